"""The local cloud's own hooks into moto, each on its own: in-process Lambda, virtual time, the ASL parsed once."""

from __future__ import annotations

import io
import json
import time
import zipfile
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser, ASLParserException

from pushdeploy_local.clock import VirtualClock
from pushdeploy_local.moto_hooks.asl_parse import parse_once
from pushdeploy_local.moto_hooks.lambda_invoke import route_invocations
from pushdeploy_local.moto_hooks.virtual_time import callbacks_on, sleep_on

EPOCH = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
# Two parallel branches that wait 30 s and 100 s; the second one's task is throttled once and retried
# after 7 s. Virtual time must end at 107 s, not 137 s (parallel waits counted once).
ASL = {
    "StartAt": "Fan",
    "States": {
        "Fan": {
            "Type": "Map",
            "ItemsPath": "$.waits",
            "ItemSelector": {"wait.$": "$$.Map.Item.Value"},
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Wait",
                "States": {
                    "Wait": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Work"},
                    "Work": {
                        "Type": "Task",
                        "Resource": "${Fn}",
                        "Retry": [{"ErrorEquals": ["Throttled"], "IntervalSeconds": 7, "MaxAttempts": 2}],
                        "End": True,
                    },
                },
            },
            "End": True,
        }
    },
}


# A task that hands its token to the function and waits for it up to 300 s (the deployer's Watch).
CALLBACK_ASL = {
    "StartAt": "Watch",
    "States": {
        "Watch": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "${Fn}", "Payload": {"token.$": "$$.Task.Token"}},
            "TimeoutSeconds": 300,
            "End": True,
        }
    },
}


class Throttled(Exception):
    pass


def lambda_function(session: boto3.session.Session) -> tuple[str, str]:
    """In moto: a role, and a Lambda function `Fn` whose invocations a test routes; their ARNs."""
    role = session.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    archive = io.BytesIO()
    zipfile.ZipFile(archive, "w").writestr("app.py", "")
    function = session.client("lambda").create_function(
        FunctionName="Fn",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": archive.getvalue()},
    )["FunctionArn"]
    return role, function


@pytest.fixture
def aws():
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        session = boto3.session.Session(region_name="us-east-1")
        role, function = lambda_function(session)
        sfn = session.client("stepfunctions")
        machines = {
            name: sfn.create_state_machine(
                name=name, definition=json.dumps(asl).replace("${Fn}", function), roleArn=role
            )["stateMachineArn"]
            for name, asl in (("m", ASL), ("callback", CALLBACK_ASL))
        }
        yield session, machines


def test_lambda_invocations_run_in_process_and_errors_keep_their_class_name(aws):
    session, _ = aws
    calls = []

    def router(name, event):
        calls.append((name, event))
        if event.get("fail"):
            raise Throttled("slow down")
        return {"echo": event}

    with route_invocations(router):
        ok = session.client("lambda").invoke(FunctionName="Fn", Payload=b'{"a": 1}')
        failed = session.client("lambda").invoke(FunctionName="Fn", Payload=b'{"fail": true}')

    assert json.loads(ok["Payload"].read()) == {"echo": {"a": 1}}
    assert failed["FunctionError"]
    assert json.loads(failed["Payload"].read())["errorType"] == "Throttled"
    assert calls == [("Fn", {"a": 1}), ("Fn", {"fail": True})]


def test_waits_and_retries_run_on_virtual_time_and_parallel_waits_count_once(aws):
    session, machines = aws
    seen: list[tuple[int, str]] = []

    def router(name, event):
        if event["wait"] == 100 and not any(w == 100 for w, _ in seen):
            seen.append((100, "throttled"))
            raise Throttled("slow down")
        seen.append((event["wait"], datetime.now(UTC).isoformat()))
        return event

    sfn = session.client("stepfunctions")
    with VirtualClock(EPOCH) as clock, route_invocations(router), sleep_on(clock.sleep):
        execution = sfn.start_execution(stateMachineArn=machines["m"], name="e", input='{"waits": [30, 100]}')
        while sfn.describe_execution(executionArn=execution["executionArn"])["status"] == "RUNNING":
            clock.wait_quiescent()
            wakeup = clock.next_wakeup()
            if wakeup is not None:
                clock.advance_to(wakeup, lambda instant: None)

    assert seen == [
        (30, "2026-11-20T09:00:30+00:00"),
        (100, "throttled"),
        (100, "2026-11-20T09:01:47+00:00"),
    ]
    assert clock.now == 107


class Tokens(list[str]):
    """A function that keeps the task token it is invoked with, and does nothing else."""

    def __call__(self, name: str, event: dict) -> None:
        self.append(event["token"])


def run_to_end(sfn, clock: VirtualClock, execution: str) -> dict:
    """Advance to each wake-up until the execution ends; its description."""
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        clock.wait_quiescent()
        wakeup = clock.next_wakeup()
        if wakeup is not None:
            clock.advance_to(wakeup, lambda instant: None)
    return described


def test_a_task_token_nobody_returns_times_out_at_the_virtual_deadline_in_little_real_time(aws):
    session, machines = aws
    sfn = session.client("stepfunctions")
    tokens = Tokens()
    started = time.monotonic()
    with VirtualClock(EPOCH) as clock, route_invocations(tokens), callbacks_on(clock.wait_for):
        arn = sfn.start_execution(stateMachineArn=machines["callback"], name="e", input="{}")["executionArn"]
        clock.wait_quiescent()
        assert clock.next_wakeup() == 300

        # Not before its deadline
        clock.advance_to(299, lambda instant: None)
        clock.wait_quiescent()
        assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"

        described = run_to_end(sfn, clock, arn)

    assert len(tokens) == 1
    assert (described["status"], described["error"]) == ("FAILED", "States.Timeout")
    assert described["stopDate"] == clock.at(300)
    assert clock.now == 300 and clock.next_wakeup() is None
    assert time.monotonic() - started < 20


def test_a_task_token_returned_at_120_seconds_continues_with_its_output_then(aws):
    session, machines = aws
    sfn = session.client("stepfunctions")
    tokens = Tokens()
    with VirtualClock(EPOCH) as clock, route_invocations(tokens), callbacks_on(clock.wait_for):
        arn = sfn.start_execution(stateMachineArn=machines["callback"], name="e", input="{}")["executionArn"]
        clock.wait_quiescent()

        # When the token comes back at virtual 120 s
        clock.advance_to(120, lambda instant: None)
        sfn.send_task_success(taskToken=tokens[0], output='{"woken": "task stopped"}')
        described = run_to_end(sfn, clock, arn)

        # Then the wait ended there and its deadline left the clock
        assert clock.next_wakeup() is None

    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"woken": "task stopped"}
    assert described["stopDate"] == clock.at(120)
    assert clock.now == 120


def test_a_task_token_returned_by_the_function_itself_needs_no_wait(aws):
    session, machines = aws
    sfn = session.client("stepfunctions")

    def answer_at_once(name, event):
        session.client("stepfunctions").send_task_success(taskToken=event["token"], output='{"at": "once"}')

    with VirtualClock(EPOCH) as clock, route_invocations(answer_at_once), callbacks_on(clock.wait_for):
        arn = sfn.start_execution(stateMachineArn=machines["callback"], name="e", input="{}")["executionArn"]
        described = run_to_end(sfn, clock, arn)

    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"at": "once"}
    assert clock.now == 0 and clock.next_wakeup() is None


def test_a_definition_parsed_once_gives_every_execution_components_of_its_own() -> None:
    definition = json.dumps(ASL).replace("${Fn}", "arn:aws:lambda:us-east-1:123456789012:function:Fn")
    with parse_once():
        first, tree = AmazonStateLanguageParser.parse(definition)
        second, same_tree = AmazonStateLanguageParser.parse(definition)
        with pytest.raises(ASLParserException):
            AmazonStateLanguageParser.parse('{"StartAt": ')

    assert same_tree is tree
    assert second is not first and type(second) is type(first)
    assert second.start_at.start_at_name == first.start_at.start_at_name == "Fan"
