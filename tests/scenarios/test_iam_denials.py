"""Each function without its key write (or, for Plan and Check, its key read): the push ends cleanly, with
nothing half-deployed, and the refusal reaches a person the way the product can tell them."""

from __future__ import annotations

from typing import Any

import pytest

from pushdeploy.verdict import FALLBACK_PROBE_SECONDS
from pushdeploy_local import runner
from pushdeploy_local.iam.stack import STACK, function_arn
from pushdeploy_local.report import Report
from pushdeploy_local.scenario import parse_scenario
from pushdeploy_local.stack.build import physical_name

CRASH = {"kind": "crash"}
HEALTHY = {"kind": "healthy"}


def run_without(function: str, action: str, behavior: dict[str, Any]) -> tuple[Report, list[list[dict[str, Any]]]]:
    scenario = parse_scenario(
        {
            "name": f"{function}-without-{action}",
            "iam": {"remove": [{"function": function, "action": action}]},
            "pushes": [{"at_seconds": 0, "tag": "v2", "behavior": behavior}],
        }
    )
    report, histories = runner.run_recorded(scenario)
    return report, list(histories.values())


def denied(report: Report) -> set[tuple[str, str]]:
    return {(d.function, d.action) for d in report.iam.denied}


def names_the_refusal(text: str, action: str) -> bool:
    return "AccessDenied" in text and action in text


@pytest.mark.parametrize(
    ("function", "action", "outcome"),
    [
        ("LockFunction", "dynamodb:UpdateItem", "failed"),
        ("RegisterFunction", "ecs:RegisterTaskDefinition", "failed"),
        ("UpdateFunction", "ecs:UpdateService", "rolled_back"),
    ],
)
def test_a_refused_write_before_the_service_changes_leaves_it_on_what_it_ran_and_alerts_once(function, action, outcome):
    report, _ = run_without(function, action, HEALTHY)

    assert denied(report) == {(function, action)}
    (push,) = report.pushes
    assert push.outcome == outcome
    assert report.final.tag == "v1" and report.final.healthy  # what it ran
    (alert,) = report.alerts
    assert names_the_refusal(alert.message, action)


def test_a_refused_rollback_says_the_service_may_not_serve():
    report, _ = run_without("RollbackFunction", "ecs:UpdateService", CRASH)

    assert denied(report) == {("RollbackFunction", "ecs:UpdateService")}
    (push,) = report.pushes
    assert push.outcome == "rollback_failed"
    (alert,) = report.alerts
    assert "CRITICAL" in alert.subject and names_the_refusal(alert.message, "ecs:UpdateService")


def test_a_check_that_cannot_read_the_service_rolls_back_and_alerts_critical():
    report, _ = run_without("CheckFunction", "ecs:DescribeServices", HEALTHY)

    assert denied(report) == {("CheckFunction", "ecs:DescribeServices")}
    assert report.final.tag == "v1"  # the rollback's UpdateService ran; its Check could not prove it
    (alert,) = report.alerts
    assert "CRITICAL" in alert.subject and names_the_refusal(alert.message, "ecs:DescribeServices")


def _failed(histories: list[list[dict[str, Any]]]) -> bool:
    """The execution ended FAILED: the template's ExecutionFailedRule publishes its alert (on AWS; the local
    cloud delivers EventBridge to Lambda targets only)."""
    return [h[-1]["type"] for h in histories] == ["ExecutionFailed"]


def test_a_plan_that_cannot_read_the_targets_fails_the_execution_which_alerts_through_eventbridge():
    report, histories = run_without("PlanFunction", "ssm:GetParameter", HEALTHY)

    assert denied(report) == {("PlanFunction", "ssm:GetParameter")}
    (push,) = report.pushes
    assert names_the_refusal(push.reason, "ssm:GetParameter")
    assert report.api_calls.get("ecs:UpdateService", 0) == 0
    assert _failed(histories)


def test_a_notify_that_cannot_publish_leaves_the_alert_to_the_execution_failed_rule():
    report, histories = run_without("NotifyFunction", "sns:Publish", CRASH)

    assert denied(report) == {("NotifyFunction", "sns:Publish")}
    assert report.pushes[0].outcome == "rolled_back" and report.final.tag == "v1"
    assert report.alerts == []  # Notify's own alert is the refused one
    assert _failed(histories)


def test_a_trigger_that_cannot_start_an_execution_leaves_the_event_to_its_dead_letter_alarm():
    # On AWS the asynchronous invocation fails, Lambda retries it twice, then the event lands in the
    # trigger dead-letter queue, whose alarm publishes to the alert topic; here the refusal is the answer.
    report, histories = run_without("TriggerFunction", "states:StartExecution", HEALTHY)

    assert denied(report) == {("TriggerFunction", "states:StartExecution")}
    (push,) = report.pushes
    assert push.outcome == "rejected" and names_the_refusal(push.reason, "states:StartExecution")
    assert histories == [] and report.final.tag == "v1"


def test_an_unlock_that_cannot_write_alerts_and_the_next_push_recovers_the_lock():
    scenario = parse_scenario(
        {
            "name": "unlock-without-its-write",
            "iam": {"remove": [{"function": "UnlockFunction", "action": "dynamodb:UpdateItem"}]},
            "pushes": [{"at_seconds": 0, "tag": "v2"}, {"at_seconds": 1000, "tag": "v3"}],
        }
    )
    report = runner.run(scenario)

    assert denied(report) == {("UnlockFunction", "dynamodb:UpdateItem")}
    assert [p.outcome for p in report.pushes] == ["deployed", "deployed"]  # no stuck lock
    assert report.final.tag == "v3" and report.final.healthy
    first, _ = report.alerts
    assert "The lock could not be released" in first.message
    assert names_the_refusal(first.message, "dynamodb:UpdateItem")


def test_a_watch_that_cannot_start_leaves_the_verified_version_and_alerts():
    report, _ = run_without("WatchFunction", "dynamodb:UpdateItem", HEALTHY)

    assert denied(report) == {("WatchFunction", "dynamodb:UpdateItem")}
    assert report.pushes[0].outcome == "deployed" and report.final.tag == "v2" and report.final.healthy
    (alert,) = report.alerts
    assert "The watch could not start" in alert.message and names_the_refusal(alert.message, "dynamodb:UpdateItem")


def test_a_wake_that_cannot_end_the_watch_leaves_the_verdict_to_the_watch_timeout():
    # Wake runs for EventBridge (asynchronous; no alert of its own): a refused wake-up costs time, never
    # the verdict. The rollout is judged healthy by its fallback probe (120 s: the deployment's COMPLETED
    # could not end its wait either), the watch ends at its timeout 300 s later and Check rolls back.
    report, _ = run_without("WakeFunction", "dynamodb:UpdateItem", {"kind": "late_crash"})

    assert denied(report) == {("WakeFunction", "dynamodb:UpdateItem")}
    (push,) = report.pushes
    assert push.outcome == "rolled_back" and push.verdict_at_seconds == 2 * FALLBACK_PROBE_SECONDS + 300
    assert report.final.tag == "v1" and report.final.healthy
    (alert,) = report.alerts
    assert "ROLLED BACK" in alert.subject


def test_a_state_machine_that_cannot_invoke_its_functions_fails_before_any_change():
    # The state machine's Lambda tasks are authorized against its own role (SAM's LambdaInvokePolicy).
    report, histories = run_without("DeployStateMachine", "lambda:InvokeFunction", HEALTHY)

    assert {(d.function, d.action, d.resource) for d in report.iam.denied} == {
        ("DeployStateMachine", "lambda:InvokeFunction", function_arn(physical_name(STACK, "PlanFunction")))
    }
    assert set(report.api_calls) == {"states:StartExecution"}  # the Trigger's; no function ran
    assert _failed(histories)  # the ExecutionFailedRule alerts
