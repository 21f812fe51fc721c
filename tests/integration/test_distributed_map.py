"""A DISTRIBUTED Map runs child workflow executions as AWS does (moto_hooks/distributed_map.py)."""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pushdeploy_local.moto_hooks import distributed_map, quotas
from pushdeploy_local.moto_hooks.virtual_time import sleep_on

ROLE = "arn:aws:iam::123456789012:role/r"


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
    ):
        client = boto3.session.Session(region_name="us-east-1").client("stepfunctions")
        client.children = children  # type: ignore[attr-defined]
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


def test_the_state_machine_role_must_be_allowed_to_run_children():
    asked: list[tuple[str, str]] = []

    def refuse_stop(action: str, arn: str) -> str | None:
        asked.append((action, arn))
        return "not authorized to perform: states:StopExecution" if action == "states:StopExecution" else None

    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        quotas.install(),
        distributed_map.install(refuse_stop),
    ):
        sfn = boto3.session.Session(region_name="us-east-1").client("stepfunctions")
        described, _ = run(sfn, definition(SELF, "Me"), [1])

    assert described["status"] == "FAILED"
    assert described["error"] == "States.Runtime"
    assert "states:StopExecution" in described["cause"]
    assert [a for a, _ in asked] == ["states:StartExecution", "states:DescribeExecution", "states:StopExecution"]
    assert asked[0][1].endswith(":stateMachine:m")
    assert asked[1][1].endswith(":execution:m/Fan:*")
