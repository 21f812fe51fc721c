"""Answering an approval: found by execution in the lock item, answered once, and gone with the lock.

DynamoDB is moto's; the token is handed to a recorder instead of Step Functions (the whole loop, with the real
state machine waiting on the token, is in tests/scenarios/test_approvals.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pushdeploy.adapters import aws, dynamodb
from pushdeploy.errors import LockLost
from pushdeploy.steps import approval
from pushdeploy.steps.rollout import Registered
from tests.unit.test_outcome import ITEM, NEW, OLD

TABLE = "pushdeploy-locks"
PUSH = "arn:aws:states:us-east-1:123456789012:execution:pushdeploy-deploy:v2"
SERVICES = ("c/api", "c/jobs")
CHILDREN = {service: f"{PUSH.replace(':v2', '/run:')}{service.split('/')[1]}" for service in SERVICES}
BY = "arn:aws:iam::123456789012:user/alice"


@pytest.fixture(autouse=True)
def region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, Any]]]:
    """Two services of one push, each waiting for approval on a token of its own; what is sent, recorded."""
    recorded: list[tuple[str, Any]] = []
    monkeypatch.setattr(
        approval.stepfunctions,
        "send_task_success",
        lambda token, output, sfn=None: recorded.append((token, output)) is None,
    )
    monkeypatch.setattr(
        approval.stepfunctions,
        "send_task_failure",
        lambda token, error, cause, sfn=None: recorded.append((token, (error, cause))) is None,
    )
    with mock_aws():
        aws.client.cache_clear()
        boto3.client("dynamodb").create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "service", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "service", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for service in SERVICES:
            assert dynamodb.note_push(TABLE, service, PUSH, "2026-11-20T09:00:00+00:00|v2")
            assert dynamodb.take(TABLE, service, PUSH, now=0, expires_at=10**10, running=None)
            assert dynamodb.start_approval(TABLE, service, PUSH, CHILDREN[service], f"token-{service}")
        yield recorded
    aws.client.cache_clear()


def test_a_services_own_execution_answers_that_service_only_and_only_once(sent):
    (answer,) = approval.answer(TABLE, CHILDREN["c/jobs"], "approve", BY)

    assert (answer.service, answer.execution, answer.done) == ("c/jobs", CHILDREN["c/jobs"], True)
    ((token, output),) = sent
    assert token == "token-c/jobs" and output["approved_by"] == BY
    assert approval.answer(TABLE, CHILDREN["c/jobs"], "abort", BY) == []  # answered: nothing waits any more
    assert dynamodb.read(TABLE, "c/jobs").holder == PUSH  # the lock stays with the deployment going on


def test_the_pushs_execution_answers_every_service_of_it_that_waits(sent):
    answers = approval.answer(TABLE, PUSH, "abort", BY)

    assert sorted(a.service for a in answers) == list(SERVICES) and all(a.done for a in answers)
    assert sorted(sent) == [(f"token-{s}", ("ApprovalAborted", f"aborted by {BY}")) for s in SERVICES]
    assert approval.answer(TABLE, PUSH, "approve", BY) == []
    assert approval.answer(TABLE, PUSH.replace(":v2", ":v3"), "approve", BY) == []  # another execution: nothing


def test_a_token_whose_task_has_ended_is_taken_out_and_said_so(sent, monkeypatch):
    monkeypatch.setattr(approval.stepfunctions, "send_task_success", lambda token, output, sfn=None: False)

    (answer,) = approval.answer(TABLE, CHILDREN["c/api"], "approve", BY)

    assert (answer.done, answer.reason) == (False, "it no longer waited")


def test_releasing_the_lock_forgets_a_waiting_approval_and_a_lost_lock_asks_nothing(sent):
    assert dynamodb.release(TABLE, "c/api", PUSH)
    assert approval.answer(TABLE, CHILDREN["c/api"], "approve", BY) == []

    registered = Registered(task_definition=NEW, previous_task_definition=OLD, previous_image=None, reused=False)
    asked = approval.ApprovalInput(
        item=ITEM.model_copy(update={"target": ITEM.target.model_copy(update={"service": "api"})}),
        registered=registered,
        execution=PUSH,
        waiting=CHILDREN["c/api"],
        token="token-2",
    )
    with pytest.raises(LockLost, match="c/api: this execution no longer holds the lock"):
        approval.ask(asked, TABLE, "arn:aws:sns:us-east-1:123456789012:alerts")
    assert sent == []
