"""The quotas every AWS account enforces hold on the local cloud, each with AWS's error (moto_hooks/quotas.py)."""

from __future__ import annotations

import json
import subprocess
import threading
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from pushdeploy.adapters import stepfunctions
from pushdeploy.outcome import DescribedChild, Outcome, results_of_children
from pushdeploy_local.cloud import LocalCloud
from pushdeploy_local.moto_hooks import quotas
from pushdeploy_local.moto_hooks.lambda_invoke import route_invocations
from pushdeploy_local.moto_hooks.virtual_time import sleep_on
from pushdeploy_local.runner import ecr_event, play
from pushdeploy_local.scenario import Healthy, Push, ScenarioError, parse_scenario
from tests.integration.test_cli_local import PUSHDEPLOY
from tests.integration.test_moto_hooks import lambda_function


@pytest.fixture
def aws():
    """moto with the quotas installed, a role and one Lambda function `Fn` (its handler is routed per test)."""
    no_waiting = sleep_on(lambda seconds: None)  # retry backoffs take no time
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}), quotas.install(), no_waiting:
        session = boto3.session.Session(region_name="us-east-1")
        yield session, *lambda_function(session)


def machine(aws, definition: dict[str, Any]) -> str:
    session, role, function = aws
    text = json.dumps(definition).replace("${Fn}", function)
    return session.client("stepfunctions").create_state_machine(name="m", definition=text, roleArn=role)[
        "stateMachineArn"
    ]


def run(aws, arn: str, name: str = "e", document: Any = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Start an execution and wait until it ends (no Wait state: nothing waits on the clock); its end, its history."""
    sfn = aws[0].client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(document or {}))["executionArn"]
    ended = threading.Event()
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        ended.wait(0.01)
    return described, sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]


# -- SSM: a Standard parameter's value holds 4,096 characters --------------------------------------------------


def test_ssm_refuses_a_value_over_its_tier_with_awss_error(aws):
    ssm = aws[0].client("ssm")
    ssm.put_parameter(Name="/at-limit", Type="String", Value="x" * 4_096)
    ssm.put_parameter(Name="/advanced", Type="String", Value="x" * 8_192, Tier="Advanced")

    with pytest.raises(ClientError) as standard:
        ssm.put_parameter(Name="/over", Type="String", Value="x" * 4_097)
    with pytest.raises(ClientError) as advanced:
        ssm.put_parameter(Name="/advanced", Type="String", Value="x" * 8_193, Overwrite=True)

    assert standard.value.response["Error"]["Code"] == "ValidationException"
    assert standard.value.response["Error"]["Message"] == quotas.SSM_STANDARD_REFUSAL
    assert advanced.value.response["Error"]["Code"] == "ValidationException"
    assert "8192 characters" in advanced.value.response["Error"]["Message"]
    assert ssm.get_parameter(Name="/advanced")["Parameter"]["Version"] == 1  # the refused value was not stored


# A deployer whose tag patterns alone pass 4,096 characters: 40 globs of 120 characters.
LONG_TAGS = [f"release-{n:02d}-" + "x" * 108 + "*" for n in range(40)]


def test_a_targets_document_over_4096_characters_is_refused_naming_the_limit():
    scenario = parse_scenario({"name": "too-long", "deployer": {"tags": LONG_TAGS}, "pushes": []})

    with pytest.raises(ScenarioError) as refused, LocalCloud(scenario):
        pass

    assert "ValidationException" in str(refused.value) and "PutParameter" in str(refused.value)
    assert "maximum parameter value of 4096 characters" in str(refused.value)


def test_local_run_reports_a_scenario_aws_would_refuse_as_invalid_naming_the_limit(tmp_path):
    scenario = tmp_path / "too-long.json"
    scenario.write_text(json.dumps({"deployer": {"tags": LONG_TAGS}, "pushes": [{"at_seconds": 0, "tag": "v2"}]}))

    result = subprocess.run(
        [PUSHDEPLOY, "local", "run", str(scenario), "--json"], capture_output=True, text=True, timeout=300, check=False
    )

    assert result.returncode == 2 and result.stdout == ""
    assert "invalid scenario" in result.stderr and "maximum parameter value of 4096 characters" in result.stderr
    assert "Traceback" not in result.stderr


def test_more_targets_than_one_parameter_holds_are_stored_one_parameter_each_and_all_deploy(tmp_path):
    # 21 services: their targets document would be about 6,000 characters; each target is a parameter of its own
    services = [{"name": f"aiuteur-worker-{n:02d}-service", "load_balanced": False} for n in range(20)]
    scenario = tmp_path / "many.json"
    scenario.write_text(json.dumps({"extra_services": services, "pushes": [{"at_seconds": 0, "tag": "v2"}]}))

    result = subprocess.run(
        [PUSHDEPLOY, "local", "run", str(scenario), "--json"], capture_output=True, text=True, timeout=600, check=False
    )

    assert result.returncode == 0, result.stderr
    (push,) = json.loads(result.stdout)["pushes"]
    assert push["outcome"] == "deployed" and len(push["targets"]) == 21


# -- Step Functions: 256 KiB of state, which States.ALL does not catch -----------------------------------------


def test_a_lambda_result_over_256_kib_fails_the_real_state_machine_with_states_data_limit_exceeded():
    with LocalCloud(parse_scenario({"pushes": []})) as cloud:
        # Given a Register step whose result is over 256 KiB (its Catch is States.ALL, to Unlock)
        cloud._handlers["RegisterFunction"] = lambda event, context: {"padding": "x" * 262_144}

        # When an image is pushed
        digest = cloud.push_image("aiuteur-backend", "v2", Healthy())
        cloud.deliver(ecr_event(cloud, Push(tag="v2"), digest, index=1))
        cloud.run_until_done(3600)
        (execution,) = cloud.executions
        described = cloud.describe(execution)
        history = cloud.history(execution)
        (child,) = cloud.children.by_arn.values()
        described_children = stepfunctions.child_executions(execution, sfn=cloud.session.client("stepfunctions"))
        results = results_of_children(DescribedChild.model_validate(c) for c in described_children)

    # Then the target's child execution fails as on AWS: not caught, not retried, nothing after Register ran;
    # and the push fails, its target's result unknown (its execution ended before Notify), saying why
    assert (child.status, child.error) == ("FAILED", "States.DataLimitExceeded")
    assert (described["status"], described["error"]) == ("FAILED", "DeploymentFailed")
    assert described["cause"].startswith("1 of 1 targets failed")
    (result,) = results
    assert (result.outcome, result.severity) == (Outcome.UNKNOWN, "critical")
    assert "ended FAILED" in result.reason and "States.DataLimitExceeded" in result.reason
    assert [e["type"] for e in history].count("LambdaFunctionScheduled") == 3  # Plan, Lock, Register once
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    # (the target's last state was Register; the push then counted its failure)
    assert entered[-4:] == ["Register", "Summarize", "Outcome", "DeploymentFailed"] and "Unlock" not in entered
    assert cloud.usage.invocations["UpdateFunction"] == 0


def test_states_all_neither_retries_nor_catches_states_data_limit_exceeded_but_catches_other_errors(aws):
    calls: list[dict[str, Any]] = []

    def big_or_failing(name: str, event: dict[str, Any]) -> Any:
        calls.append(event)
        if event.get("fail"):
            raise RuntimeError("an ordinary failure")
        return {"padding": "x" * 262_144}

    task = {
        "Type": "Task",
        "Resource": "${Fn}",
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
        "End": True,
    }
    arn = machine(aws, {"StartAt": "Work", "States": {"Work": task, "Caught": {"Type": "Pass", "End": True}}})
    with route_invocations(big_or_failing):
        too_big, _ = run(aws, arn, "big")
        ordinary, _ = run(aws, arn, "ordinary", {"fail": True})

    assert (too_big["status"], too_big["error"]) == ("FAILED", "States.DataLimitExceeded")
    assert ordinary["status"] == "SUCCEEDED"  # retried twice, then caught
    assert len(calls) == 1 + 3


# -- Step Functions: 25,000 events of history ------------------------------------------------------------------


@pytest.mark.slow  # about 20 s: 12,500 Pass states; tests/unit/localcloud/test_quotas.py drives the rule directly
def test_an_execution_that_would_write_its_25000th_event_fails_there_with_states_runtime(aws):
    # Given a loop of two Pass states (two events each) that never ends
    loop = {
        "StartAt": "Ping",
        "States": {"Ping": {"Type": "Pass", "Next": "Pong"}, "Pong": {"Type": "Pass", "Next": "Ping"}},
    }

    described, history = run(aws, machine(aws, loop))

    # Then it failed as AWS fails it: event 25,000 is ExecutionFailed, 24,999 the last the loop wrote
    assert (described["status"], described["error"]) == ("FAILED", "States.Runtime")
    assert described["cause"] == "The execution reached the maximum number of history events (25000)."
    assert len(history) == quotas.HISTORY_MAX_EVENTS == 25_000
    assert [e["id"] for e in history[-2:]] == [24_999, 25_000]
    assert [e["type"] for e in history[-2:]] == ["PassStateExited", "ExecutionFailed"]
    assert history[-1]["executionFailedEventDetails"] == {"error": "States.Runtime", "cause": described["cause"]}


@pytest.mark.slow  # about 30 s, as above
def test_an_execution_that_ends_with_its_25000th_event_succeeds(aws):
    # 1 ExecutionStarted + 12,499 Pass states x 2 events + ExecutionSucceeded = 25,000 events
    passes = 12_499
    states = {f"P{n}": {"Type": "Pass", "Next": f"P{n + 1}"} for n in range(passes - 1)}
    states[f"P{passes - 1}"] = {"Type": "Pass", "End": True}

    described, history = run(aws, machine(aws, {"StartAt": "P0", "States": states}))

    assert described["status"] == "SUCCEEDED"
    assert len(history) == 25_000 and history[-1]["type"] == "ExecutionSucceeded"


# -- Step Functions: execution names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("x" * 81, "ValidationException"),
        ("a b", "InvalidName"),
        ("a/b", "InvalidName"),
        ("tab\there", "InvalidName"),
        ("nul\u0085", "InvalidName"),
        ("non\ufffe", "InvalidName"),
    ],
)
def test_start_execution_refuses_a_name_aws_refuses_with_its_error(aws, name, code):
    arn = machine(aws, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})

    with pytest.raises(ClientError) as refused:
        aws[0].client("stepfunctions").start_execution(stateMachineArn=arn, name=name, input="{}")

    assert refused.value.response["Error"]["Code"] == code
    assert not aws[0].client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]


def test_start_execution_takes_80_characters_and_refuses_an_empty_name(aws):
    arn = machine(aws, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    unchecked = aws[0].client("stepfunctions", config=Config(parameter_validation=False))  # as a raw request

    started = unchecked.start_execution(stateMachineArn=arn, name="a-b_c" * 16, input="{}")
    with pytest.raises(ClientError) as refused:
        unchecked.start_execution(stateMachineArn=arn, name="", input="{}")

    assert started["executionArn"].endswith(":" + "a-b_c" * 16)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "greater than or equal to 1" in refused.value.response["Error"]["Message"]


# -- Step Functions: an INLINE Map runs at most 40 iterations at once -------------------------------------------


class InFlight:
    """A Lambda stand-in that counts its invocations in flight. Each waits until as many are in flight as
    could be (all the items not yet started, or `expected` at once), so the peak is what the Map allows."""

    def __init__(self, items: int, expected: int) -> None:
        self.items, self.expected = items, expected
        self.started = self.now = self.peak = 0
        self.changed = threading.Condition()

    def __call__(self, name: str, event: Any) -> Any:
        with self.changed:
            self.started += 1
            self.now += 1
            self.peak = max(self.peak, self.now)
            self.changed.notify_all()
            # A safety net against a hang, never a measure: a Map that allows fewer than `expected` waits here.
            self.changed.wait_for(lambda: self.now >= self.expected or self.started == self.items, timeout=30)
        with self.changed:
            self.now -= 1
        return event


@pytest.mark.parametrize(
    ("max_concurrency", "expected"),
    [(None, 40), (0, 40), (100, 40), (5, 5)],
)
def test_an_inline_map_over_50_items_never_runs_more_than_40_iterations_at_once(aws, max_concurrency, expected):
    the_map: dict[str, Any] = {
        "Type": "Map",
        "ItemsPath": "$.items",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": "Work",
            "States": {"Work": {"Type": "Task", "Resource": "${Fn}", "End": True}},
        },
        "End": True,
    }
    if max_concurrency is not None:
        the_map["MaxConcurrency"] = max_concurrency
    arn = machine(aws, {"StartAt": "Fan", "States": {"Fan": the_map}})
    in_flight = InFlight(items=50, expected=expected)

    with route_invocations(in_flight):
        described, _ = run(aws, arn, document={"items": list(range(50))})

    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == list(range(50))
    assert in_flight.started == 50
    assert in_flight.peak == expected


# -- EventBridge: an entry is at most 256 KiB --------------------------------------------------------------------


def test_an_event_over_256_kib_is_refused_never_delivered_and_recorded():
    with LocalCloud(parse_scenario({"pushes": []})) as cloud:
        # Given an ECS task state change the Wake rule matches, padded past 256 KiB
        task_stopped = {
            "version": "0",
            "id": "big",
            "detail-type": "ECS Task State Change",
            "source": "aws.ecs",
            "account": "123456789012",
            "time": "2026-11-20T09:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": {"lastStatus": "STOPPED", "padding": "x" * 262_144},
        }
        push = ecr_event(cloud, Push(tag="v2"), "sha256:" + "0" * 64, index=1)
        push["detail"]["padding"] = "x" * 262_144

        delivered = cloud.publish(task_stopped)
        answer = cloud.deliver(push)

        assert delivered == [] and cloud.events_delivered == []
        (refusal,) = cloud.events_refused
        assert refusal.event is task_stopped
        assert "Total size of the entries in the request is over the limit" in refusal.reason
        assert answer["outcome"] == "ignored" and "262,144" in answer["reason"]
        assert cloud.executions == [] and not cloud.usage.invocations


# -- the report -------------------------------------------------------------------------------------------------


def test_the_report_gives_the_largest_history_of_the_run_each_child_execution_apart():
    with LocalCloud(parse_scenario({"pushes": [{"at_seconds": 0, "tag": "v2"}]})) as cloud:
        report = play(cloud)
        (execution,) = cloud.executions
        parent, *children = cloud.own_histories(execution)
        whole = cloud.history(execution)

    # One target: the push's execution and one child execution, each with a history of its own
    (child,) = children
    assert report.max_history_events == max(len(parent), len(child)) == len(child) > len(parent) > 0
    assert child[-1]["id"] == report.max_history_events
    # The story read as one joins them: the parent's events and the child's less its own start and end
    assert len(whole) == len(parent) + len(child) - 2
