"""Approvals: the policy, what an unapproved deployment's outcome and alert say, and the request people answer."""

from __future__ import annotations

import json
import shlex
from datetime import timedelta

import jsonschema
import pytest
from pydantic import ValidationError

from pushdeploy import alerts
from pushdeploy.models import APPROVAL_TIMEOUT_MAX_SECONDS, Approved, HealthPolicy, PlanItem
from pushdeploy.outcome import IterationState, Outcome, StepError, decide
from pushdeploy.steps.lock import LOCK_GRACE_SECONDS, lock_lifetime
from tests.unit.test_chat_alerts import SCHEMA
from tests.unit.test_outcome import EXECUTION, ITEM, NEW, OLD, T0, Verdict, rollout, state

CHILD = EXECUTION.replace(":pushdeploy-deploy:", ":pushdeploy-deploy/run-1:") + "-child"
TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAA'token"  # a quote in it: the console command must still paste as one argument
APPROVING = ITEM.model_copy(
    update={"target": ITEM.target.model_copy(update={"policy": HealthPolicy(approval=True)})}, deep=True
)


def unapproved(error: str, cause: str | None) -> IterationState:
    return IterationState(
        item=APPROVING,
        execution=EXECUTION,
        approval_error=StepError.model_validate({"Error": error, "Cause": cause}),
    )


@pytest.mark.parametrize(
    ("error", "cause", "reason"),
    [
        (
            "ApprovalAborted",
            "aborted by arn:aws:iam::123456789012:user/alice",
            "aborted by arn:aws:iam::123456789012:user/alice; nothing was deployed",
        ),
        # SendTaskFailure's cause is optional (the console's AWS CLI may leave it out): a null Cause
        ("ApprovalAborted", None, "aborted; nothing was deployed"),
        ("States.Timeout", None, "not approved within 3600 s: the approval timed out; nothing was deployed"),
        (
            "LockLost",
            json.dumps({"errorType": "LockLost", "errorMessage": "c/svc: this execution no longer holds the lock"}),
            "the approval could not be asked for: LockLost: c/svc: this execution no longer holds the lock; "
            "nothing was deployed",
        ),
    ],
)
def test_a_deployment_nobody_approved_failed_with_nothing_deployed_and_says_why(error, cause, reason):
    recorded = unapproved(error, cause)

    result = decide(recorded, T0 + timedelta(seconds=90))

    assert (result.outcome, result.ok, result.severity) == (Outcome.FAILED, False, "warning")
    assert result.reason == reason
    assert result.runs_now == OLD and result.runs_now_image is None  # what ran before still runs
    message = alerts.message(result, recorded)
    assert f"What happened: {reason}" in message
    assert alerts.NOT_APPROVED_ACTION in message and alerts.ACTIONS[Outcome.FAILED] not in message


def test_an_approved_deployment_is_judged_by_its_rollout_as_any_other():
    recorded = state(
        approval=Approved(approved_by="arn:aws:iam::123456789012:user/alice", approved_at=T0),
        rollout=rollout("deploy", Verdict.HEALTHY, "1/1 tasks running and healthy"),
    )

    result = decide(recorded, T0 + timedelta(seconds=200))

    assert result.outcome == Outcome.DEPLOYED and result.runs_now == NEW


def test_the_policy_asks_for_no_approval_by_default_and_bounds_the_wait():
    policy = HealthPolicy()
    assert (policy.approval, policy.approval_timeout_seconds) == (False, 3600)
    # lock_wait_seconds' default still outlasts a waiting approval, its rollout, watch and rollback
    assert policy.lock_wait_seconds > policy.approval_timeout_seconds + 2 * policy.deadline_seconds
    for bad in (59, APPROVAL_TIMEOUT_MAX_SECONDS + 1):
        with pytest.raises(ValidationError, match="approval_timeout_seconds"):
            HealthPolicy(approval=True, approval_timeout_seconds=bad)


def test_the_lock_outlives_a_waiting_approval():
    plain = lock_lifetime(ITEM)
    assert plain == 2 * ITEM.target.policy.deadline_seconds + LOCK_GRACE_SECONDS
    assert lock_lifetime(APPROVING) == plain + 3600
    # A rollback by hand never waits for approval, whatever the policy says.
    rollback = PlanItem.model_validate(
        {**APPROVING.model_dump(), "kind": "rollback", "image": None, "rollback_to": OLD}
    )
    assert lock_lifetime(rollback) == plain


def request() -> alerts.ApprovalRequest:
    return alerts.ApprovalRequest(
        item=APPROVING,
        task_definition=NEW,
        execution=EXECUTION,
        waiting=CHILD,
        token=TOKEN,
        until=T0 + timedelta(seconds=3600),
    )


def test_the_request_says_what_waits_until_when_and_exactly_how_to_answer():
    asked = request()

    message = asked.message()

    assert asked.subject() == "[pushdeploy] APPROVAL NEEDED: svc aiuteur-backend:v2"
    assert f"What runs now: {OLD}" in message and f"What would run: {NEW}" in message
    assert "Waits until: 2026-11-20 10:00:00 UTC (3600 s)" in message
    assert f"To approve: pushdeploy approve {CHILD}\n" in message
    assert f"To abort:   pushdeploy abort {CHILD}\n" in message
    assert f"pushdeploy approve {EXECUTION} answers every service of this push" in message
    # The console way: the token, quoted for the shell, answered from CloudShell.
    (success,) = [line for line in message.splitlines() if "send-task-success" in line]
    assert shlex.split(success)[:5] == ["aws", "stepfunctions", "send-task-success", "--task-token", TOKEN]
    (failure,) = [line for line in message.splitlines() if "send-task-failure" in line]
    assert shlex.split(failure)[5:7] == ["--error", "ApprovalAborted"]


def test_the_request_in_chat_is_a_valid_custom_notification_with_the_commands():
    notification = request().chat()

    jsonschema.validate(notification, SCHEMA)
    assert notification["content"]["nextSteps"] == [
        f"Approve: `pushdeploy approve {CHILD}`",
        f"Abort: `pushdeploy abort {CHILD}`",
    ]
    assert notification["metadata"]["threadId"] == "c/svc"  # the service's thread, as its alerts
    assert notification["metadata"]["eventType"] == "pushdeploy.approval"
