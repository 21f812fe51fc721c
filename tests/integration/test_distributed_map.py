"""A DISTRIBUTED Map runs child workflow executions as AWS does (moto_hooks/distributed_map.py)."""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pushdeploy_local.moto_hooks import distributed_map, quotas, sdk_integrations
from pushdeploy_local.moto_hooks.virtual_time import sleep_on

ROLE = "arn:aws:iam::123456789012:role/r"
BUCKET = "results"
WRITER = {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": BUCKET, "Prefix": "fan"}}


def definition(item_states: dict[str, Any], start: str, **map_fields: Any) -> str:
    return json.dumps(
        {
            "StartAt": "Fan",
            "States": {
                "Fan": {
                    "Type": "Map",
                    "Label": "Fan",
                    "ItemsPath": "$.items",
                    "ItemSelector": {"item.$": "$$.Map.Item.Value", "parent.$": "$$.Execution.Id"},
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                        "StartAt": start,
                        "States": item_states,
                    },
                    "End": True,
                    **map_fields,
                }
            },
        }
    )


SELF = {
    "Me": {
        "Type": "Pass",
        "Parameters": {"item.$": "$.item", "parent.$": "$.parent", "me.$": "$$.Execution.Id"},
        "End": True,
    }
}
FAIL_ODD = {
    "Odd": {
        "Type": "Choice",
        "Choices": [{"Variable": "$.item", "NumericEquals": 1, "Next": "Broken"}],
        "Default": "Fine",
    },
    "Broken": {"Type": "Fail", "Error": "Broken", "Cause": "item 1"},
    "Fine": {"Type": "Pass", "End": True},
}


@pytest.fixture
def sfn():
    no_waiting = sleep_on(lambda seconds: None)
    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        quotas.install(),
        no_waiting,
        distributed_map.install() as children,
        sdk_integrations.install(),
    ):
        session = boto3.session.Session(region_name="us-east-1")
        session.client("s3").create_bucket(Bucket=BUCKET)
        client = session.client("stepfunctions")
        client.children = children  # type: ignore[attr-defined]
        client.s3 = session.client("s3")  # type: ignore[attr-defined]
        yield client


def run(sfn, text: str, items: list[Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    arn = sfn.create_state_machine(name="m", definition=text, roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, name="e", input=json.dumps({"items": items}))["executionArn"]
    pause = threading.Event()
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        pause.wait(0.01)
    return described, sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]


def test_each_item_is_a_child_execution_with_its_own_arn_and_history(sfn):
    described, history = run(sfn, definition(SELF, "Me"), [10, 20, 30])

    # The parent's history holds the Map Run, none of the children's states.
    kinds = [e["type"] for e in history]
    assert "MapRunStarted" in kinds and "MapRunSucceeded" in kinds
    assert "PassStateEntered" not in kinds
    run_arn = next(e for e in history if e["type"] == "MapRunStarted")["mapRunStartedEventDetails"]["mapRunArn"]
    listed = sfn.list_executions(mapRunArn=run_arn)["executions"]
    assert len(listed) == 3 and {c["status"] for c in listed} == {"SUCCEEDED"}
    assert all(":execution:m/Fan:" in c["executionArn"] for c in listed)
    # A state machine's own listing holds no child.
    machine = described["stateMachineArn"]
    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]] == [
        described["executionArn"]
    ]
    # The parent's output is each child's output; ItemSelector saw the parent, the child sees itself.
    results = json.loads(described["output"])
    assert [r["item"] for r in results] == [10, 20, 30]
    assert {r["parent"] for r in results} == {described["executionArn"]}
    assert sorted(r["me"] for r in results) == sorted(c["executionArn"] for c in listed)
    for child in listed:
        events = sfn.get_execution_history(executionArn=child["executionArn"])["events"]
        assert [e["type"] for e in events] == [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded",
        ]
        assert sfn.describe_execution(executionArn=child["executionArn"])["status"] == "SUCCEEDED"
    counts = sfn.describe_map_run(mapRunArn=run_arn)["executionCounts"]
    assert (counts["total"], counts["succeeded"], counts["failed"], counts["running"]) == (3, 3, 0, 0)


def test_a_failed_child_fails_the_map_beyond_its_tolerance(sfn):
    described, history = run(sfn, definition(FAIL_ODD, "Odd"), [0, 1, 2])

    assert described["status"] == "FAILED"
    assert described["error"] == distributed_map.EXCEED_TOLERATED_FAILURE
    assert "MapRunFailed" in [e["type"] for e in history]


def test_a_failed_child_within_its_tolerance_leaves_the_map_succeeding(sfn):
    described, history = run(sfn, definition(FAIL_ODD, "Odd", ToleratedFailurePercentage=50.0), [0, 1, 2])

    assert described["status"] == "SUCCEEDED"
    run_arn = next(e for e in history if e["type"] == "MapRunStarted")["mapRunStartedEventDetails"]["mapRunArn"]
    counts = sfn.describe_map_run(mapRunArn=run_arn)["executionCounts"]
    assert (counts["succeeded"], counts["failed"]) == (2, 1)
    failed = [c for c in sfn.list_executions(mapRunArn=run_arn)["executions"] if c["status"] == "FAILED"]
    assert sfn.describe_execution(executionArn=failed[0]["executionArn"])["error"] == "Broken"


def run_refusing(
    refused: str, text: str, objects: dict[str, bytes] | None = None
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Run `text` over one item with the state machine's role refused the action `refused` (with `objects` in the
    bucket): how the execution ended, and every (action, ARN) the role was asked for."""
    asked: list[tuple[str, str]] = []

    def authorize(action: str, arn: str) -> str | None:
        asked.append((action, arn))
        return f"not authorized to perform: {refused}" if action == refused else None

    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        quotas.install(),
        distributed_map.install(authorize),
    ):
        session = boto3.session.Session(region_name="us-east-1")
        session.client("s3").create_bucket(Bucket=BUCKET)
        for key, body in (objects or {}).items():
            session.client("s3").put_object(Bucket=BUCKET, Key=key, Body=body)
        described, _ = run(session.client("stepfunctions"), text, [1])
    return described, asked


def test_the_state_machine_role_must_be_allowed_to_run_children():
    described, asked = run_refusing("states:StopExecution", definition(SELF, "Me"))

    assert described["status"] == "FAILED"
    assert described["error"] == "States.Runtime"
    assert "states:StopExecution" in described["cause"]
    assert [a for a, _ in asked] == ["states:StartExecution", "states:DescribeExecution", "states:StopExecution"]
    assert asked[0][1].endswith(":stateMachine:m")
    assert asked[1][1].endswith(":execution:m/Fan:*")


def _object(sfn, key: str) -> Any:
    return json.loads(sfn.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def test_result_writer_writes_each_status_to_its_file_and_the_map_outputs_only_the_manifest(sfn):
    # Given a Map that writes its results, over three items of which one fails (tolerated)
    fields = {"ResultWriter": WRITER, "ToleratedFailurePercentage": 100}
    described, history = run(sfn, definition(FAIL_ODD, "Odd", **fields), [0, 1, 2])

    # Then the Map's output is where the results are, not the results
    assert described["status"] == "SUCCEEDED"
    run_arn = next(e for e in history if e["type"] == "MapRunStarted")["mapRunStartedEventDetails"]["mapRunArn"]
    run_id = run_arn.rsplit(":", 1)[-1]
    assert json.loads(described["output"]) == {
        "MapRunArn": run_arn,
        "ResultWriterDetails": {"Bucket": BUCKET, "Key": f"fan/{run_id}/manifest.json"},
    }
    # and the manifest lists one file per status that has children, with its size
    manifest = _object(sfn, f"fan/{run_id}/manifest.json")
    assert manifest["DestinationBucket"] == BUCKET and manifest["MapRunArn"] == run_arn
    files = manifest["ResultFiles"]
    assert [f["Key"] for f in files["SUCCEEDED"]] == [f"fan/{run_id}/SUCCEEDED_0.json"]
    assert [f["Key"] for f in files["FAILED"]] == [f"fan/{run_id}/FAILED_0.json"]
    assert files["PENDING"] == []
    succeeded = _object(sfn, files["SUCCEEDED"][0]["Key"])
    body = sfn.s3.get_object(Bucket=BUCKET, Key=files["SUCCEEDED"][0]["Key"])["Body"].read()
    assert files["SUCCEEDED"][0]["Size"] == len(body)
    # each entry is the child as DescribeExecution tells it: output as text, or error and cause
    assert sorted(json.loads(e["Output"])["item"] for e in succeeded) == [0, 2]
    assert {e["Status"] for e in succeeded} == {"SUCCEEDED"}
    (failed,) = _object(sfn, files["FAILED"][0]["Key"])
    assert (failed["Status"], failed["Error"], failed["Cause"]) == ("FAILED", "Broken", "item 1")
    assert "Output" not in failed and json.loads(failed["Input"])["item"] == 1
    # and DescribeMapRun counts every written result, the failed one too
    counts = sfn.describe_map_run(mapRunArn=run_arn)["itemCounts"]
    assert (counts["succeeded"], counts["failed"], counts["resultsWritten"]) == (2, 1, 3)


def test_result_writer_needs_the_documented_permissions_on_each_object():
    described, asked = run_refusing("s3:AbortMultipartUpload", definition(SELF, "Me", ResultWriter=WRITER))

    assert described["status"] == "FAILED"
    assert described["error"] == distributed_map.RESULT_WRITER_FAILED
    assert "s3:AbortMultipartUpload" in described["cause"]
    written = [(a, arn) for a, arn in asked if a.startswith("s3:")]
    assert [a for a, _ in written] == list(distributed_map.RESULT_WRITER_ACTIONS)
    assert written[0][1].startswith(f"arn:aws:s3:::{BUCKET}/fan/") and written[0][1].endswith("/SUCCEEDED_0.json")


ITEMS_KEY = "plan/e/items.json"


def reading(item_states: dict[str, Any], start: str) -> str:
    """A Map that reads its items from the JSON array at ITEMS_KEY (ItemReader) instead of its input: no
    ReaderConfig, as the state machine's (an object's default format is a JSON array)."""
    document = json.loads(definition(item_states, start))
    fan = document["States"]["Fan"]
    del fan["ItemsPath"]
    fan["ItemReader"] = {
        "Resource": "arn:aws:states:::s3:getObject",
        "Parameters": {"Bucket": BUCKET, "Key": ITEMS_KEY},
    }
    return json.dumps(document)


def test_item_reader_runs_a_child_for_each_entry_of_the_json_array_in_s3(sfn):
    # Given a Map whose items are a JSON array in S3, and an input that holds none
    sfn.s3.put_object(Bucket=BUCKET, Key=ITEMS_KEY, Body=json.dumps([{"n": 1}, {"n": 2}, {"n": 3}]).encode())
    described, history = run(sfn, reading(SELF, "Me"), [])

    # Then each entry is a child's item, as the Map's ItemSelector shapes it
    assert described["status"] == "SUCCEEDED"
    run_arn = next(e for e in history if e["type"] == "MapRunStarted")["mapRunStartedEventDetails"]["mapRunArn"]
    children = sfn.list_executions(mapRunArn=run_arn)["executions"]
    inputs = [json.loads(sfn.describe_execution(executionArn=c["executionArn"])["input"]) for c in children]
    assert sorted(i["item"]["n"] for i in inputs) == [1, 2, 3]
    assert {i["parent"] for i in inputs} == {described["executionArn"]}


def test_item_reader_reads_with_the_state_machine_role_s3_get_object_on_the_object():
    objects = {ITEMS_KEY: b"[1]"}
    described, asked = run_refusing("s3:GetObject", reading(SELF, "Me"), objects)

    assert described["status"] == "FAILED"
    assert described["error"] == distributed_map.ITEM_READER_FAILED
    assert "s3:GetObject" in described["cause"]
    assert ("s3:GetObject", f"arn:aws:s3:::{BUCKET}/{ITEMS_KEY}") in asked


def test_item_reader_fails_the_map_naming_an_object_that_is_not_there():
    described, _ = run_refusing("nothing", reading(SELF, "Me"))

    assert described["status"] == "FAILED"
    assert described["error"] == distributed_map.ITEM_READER_FAILED
    assert f"s3://{BUCKET}/{ITEMS_KEY}" in described["cause"] and "NoSuchKey" in described["cause"]


def test_an_sdk_integration_answers_in_pascal_case_with_iso_timestamps(sfn):
    # Given a Map Run that ended, and a machine that describes it through the SDK integration
    _, history = run(sfn, definition(SELF, "Me"), [1, 2])
    run_arn = next(e for e in history if e["type"] == "MapRunStarted")["mapRunStartedEventDetails"]["mapRunArn"]
    describe = {
        "StartAt": "Describe",
        "States": {
            "Describe": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sfn:describeMapRun",
                "Parameters": {"MapRunArn": run_arn},
                "End": True,
            }
        },
    }
    arn = sfn.create_state_machine(name="d", definition=json.dumps(describe), roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, name="d", input="{}")["executionArn"]
    pause = threading.Event()
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        pause.wait(0.01)

    # Then the state sees AWS's rendering: PascalCase names, the dates as ISO-8601 text
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["MapRunArn"] == run_arn and output["Status"] == "SUCCEEDED"
    assert (output["ItemCounts"]["Succeeded"], output["ItemCounts"]["Failed"], output["ItemCounts"]["Total"]) == (
        2,
        0,
        2,
    )
    assert "itemCounts" not in output and isinstance(output["StartDate"], str)
