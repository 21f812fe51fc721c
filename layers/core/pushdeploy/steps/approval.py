"""Approval: a deployment that waits for a person before it changes the service.

The state machine's Approval state waits on a task token (`lambda:invoke.waitForTaskToken`) until someone
answers it or its TimeoutSeconds (the policy's `approval_timeout_seconds`) passes. `ask` records the token in
the service's lock item, as the watch records its own (pushdeploy.steps.watch), and alerts what waits and how
to answer. `answer` is what `pushdeploy approve` and `pushdeploy abort` do: whoever takes the token out of the
lock item sends it, so it is answered once; success goes on to UpdateService, failure (`ApprovalAborted`)
ends the target `failed` with nothing deployed, as a timeout does.

Nothing here is about the rolling path: an ECS-native deployment can wait the same way before its production
traffic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from aws_lambda_powertools import Logger
from pydantic import Field

from pushdeploy import alerts
from pushdeploy.adapters import dynamodb, sns, stepfunctions
from pushdeploy.errors import ApprovalAborted, LockLost
from pushdeploy.models import Approved, Model, PlanItem
from pushdeploy.steps.rollout import Registered

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_stepfunctions import SFNClient

logger = Logger(child=True)

Decision = Literal["approve", "abort"]


class ApprovalInput(Model):
    item: PlanItem
    registered: Registered
    execution: str  # the push's execution: the lock's holder
    waiting: str  # the target's own execution (the Distributed Map's child), which waits
    token: str = Field(min_length=1)


class ApprovalAsked(Model):
    service: str
    waiting: str
    until: datetime


@dataclass(frozen=True)
class Answer:
    service: str
    execution: str  # the execution that waited
    done: bool
    reason: str


def ask(request: ApprovalInput, table: str, topic: str) -> ApprovalAsked:
    """Record the token where `answer` finds it by execution, then say what waits and how to answer."""
    target = request.item.target
    if not dynamodb.start_approval(table, target.key, request.execution, request.waiting, request.token):
        raise LockLost(f"{target.key}: this execution no longer holds the lock (another recovered it)")
    until = datetime.now(UTC) + timedelta(seconds=target.policy.approval_timeout_seconds)
    asked = ApprovalAsked(service=target.key, waiting=request.waiting, until=until)
    request_text = alerts.ApprovalRequest(
        item=request.item,
        task_definition=request.registered.task_definition,
        execution=request.execution,
        waiting=request.waiting,
        token=request.token,
        until=until,
    )
    sns.publish(
        topic,
        request_text.subject(),
        request_text.message(),
        json.dumps({"approval": asked.model_dump(mode="json")}),
        request_text.chat(),
    )
    logger.info("waiting for approval", extra={"service": target.key, "until": until.isoformat()})
    return asked


def answer(
    table: str,
    execution: str,
    decision: Decision,
    by: str,
    *,
    dynamodb_client: DynamoDBClient | None = None,
    sfn: SFNClient | None = None,
) -> list[Answer]:
    """Approve or abort every deployment `execution` waits for (the push's execution: each of its targets that
    waits; a target's child execution: that one). Empty when it waits for none."""
    answers = []
    for waiting in dynamodb.approvals_waiting(table, execution, dynamodb=dynamodb_client):
        if not dynamodb.end_approval(table, waiting.service, waiting.token, dynamodb=dynamodb_client):
            answers.append(Answer(waiting.service, waiting.execution, False, "someone else answered it first"))
            continue
        if decision == "approve":
            approved = Approved(approved_by=by, approved_at=datetime.now(UTC))
            sent = stepfunctions.send_task_success(waiting.token, approved.model_dump(mode="json"), sfn=sfn)
        else:
            sent = stepfunctions.send_task_failure(waiting.token, ApprovalAborted.__name__, f"aborted by {by}", sfn=sfn)
        done = "approved: UpdateService next" if decision == "approve" else "aborted: nothing is deployed"
        answers.append(Answer(waiting.service, waiting.execution, sent, done if sent else "it no longer waited"))
    return answers
