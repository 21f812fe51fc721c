"""The local cloud's own hooks into moto, each on its own: in-process Lambda and virtual time."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from pushdeploy_local.clock import VirtualClock
from pushdeploy_local.moto_hooks.lambda_invoke import route_invocations
from pushdeploy_local.moto_hooks.virtual_time import sleep_on

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


class Throttled(Exception):
    pass


@pytest.fixture
def aws():
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        session = boto3.session.Session(region_name="us-east-1")
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
        sfn = session.client("stepfunctions")
        machine = sfn.create_state_machine(
            name="m", definition=json.dumps(ASL).replace("${Fn}", function), roleArn=role
        )["stateMachineArn"]
        yield session, machine


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
    session, machine = aws
    seen: list[tuple[int, str]] = []

    def router(name, event):
        if event["wait"] == 100 and not any(w == 100 for w, _ in seen):
            seen.append((100, "throttled"))
            raise Throttled("slow down")
        seen.append((event["wait"], datetime.now(UTC).isoformat()))
        return event

    sfn = session.client("stepfunctions")
    with VirtualClock(EPOCH) as clock, route_invocations(router), sleep_on(clock.sleep):
        execution = sfn.start_execution(stateMachineArn=machine, name="e", input='{"waits": [30, 100]}')
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
