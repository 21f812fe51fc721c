"""Every behaviour kind of scenarios.md, end to end: the verdict, what runs after, and the alert."""

from __future__ import annotations

import re

import pytest

from pushdeploy_local.report import Report
from tests.scenarios.conftest import run

CRASH = {"kind": "crash", "start_seconds": 30, "crash_after_seconds": 5, "exit_code": 1}


@pytest.fixture(scope="module")
def healthy() -> Report:
    """One healthy push, run once for the tests that only read its report."""
    return run("healthy", [{"at_seconds": 0, "tag": "v2"}])


def test_a_healthy_image_is_deployed_and_pinned_by_digest(healthy: Report):
    report = healthy

    (push,) = report.pushes
    assert push.outcome == "deployed", push.reason
    assert push.executions == 1
    assert report.final.tag == "v2"
    assert report.final.image.endswith(f"/aiuteur-backend@{push.digest}")
    assert report.final.task_definition.endswith("aiuteur-backend:2")
    assert report.final.healthy and report.final.running == 1
    assert report.alerts == []
    assert push.started_at_seconds <= push.verdict_at_seconds <= push.finished_at_seconds
    assert report.api_calls["ecs:RegisterTaskDefinition"] == 1
    assert report.api_calls["ecs:UpdateService"] == 1


@pytest.mark.parametrize(
    ("behavior", "cause"),
    [
        (CRASH, r"Essential container in task exited \(exit code 1\)"),
        ({"kind": "crash", "exit_code": 137}, r"Essential container in task exited \(exit code 137\)"),
        # ECS stops a task whose target turned unhealthy: either the target's reason or the stop names it
        ({"kind": "unhealthy"}, r"Target\.ResponseCodeMismatch|Task failed ELB health checks"),
        ({"kind": "pull_error"}, r"CannotPullContainerError"),
        ({"kind": "late_crash", "crash_after_seconds": 60}, r"Essential container in task exited \(exit code 1\)"),
    ],
    ids=["crash", "crash-137", "alb-unhealthy", "pull-error", "late-crash"],
)
def test_a_bad_image_is_rolled_back_to_exactly_what_ran_with_one_alert_naming_the_cause(behavior, cause):
    report = run("bad", [{"at_seconds": 0, "tag": "v2", "behavior": behavior}], service={"desired_count": 2})

    (push,) = report.pushes
    assert push.outcome == "rolled_back", push.reason
    assert re.search(cause, push.reason), push.reason
    # the exact previous task definition and digest run again, healthy
    assert report.final.task_definition.endswith("aiuteur-backend:1")
    assert report.final.tag == "v1"
    assert push.digest not in report.final.image
    assert report.final.healthy and report.final.running == 2
    (alert,) = report.alerts
    assert "ROLLED BACK" in alert.subject and "aiuteur-backend-service" in alert.subject
    assert re.search(cause, alert.message), alert.message
    assert f"What runs now: {report.final.task_definition}, image {report.final.image} (healthy)" in alert.message
    assert "#/v2/executions/details/arn:aws:states:" in alert.message
    assert push.verdict_at_seconds is not None and push.verdict_at_seconds < push.finished_at_seconds


def test_a_crash_is_caught_within_one_poll_of_the_first_stopped_task():
    report = run("crash-fast", [{"at_seconds": 0, "tag": "v2", "behavior": CRASH}])

    (push,) = report.pushes
    first_stop = 30 + 5  # start_seconds + crash_after_seconds
    assert first_stop <= push.verdict_at_seconds <= first_stop + 15


def test_an_image_that_never_becomes_healthy_times_out_and_rolls_back():
    never = {"kind": "healthy", "start_seconds": 5000}
    report = run("timeout", [{"at_seconds": 0, "tag": "v2", "behavior": never}], deployer={"deadline_seconds": 300})

    (push,) = report.pushes
    assert push.outcome == "rolled_back"
    assert "deadline 300 s" in push.reason
    assert 300 <= push.verdict_at_seconds <= 315
    assert report.final.tag == "v1" and report.final.healthy
    assert len(report.alerts) == 1


def test_the_report_costs_the_run(healthy: Report):
    cost = healthy.cost
    assert cost.lambda_invocations >= 8  # trigger, plan, lock, register, update, check..., unlock, notify
    assert 10 < cost.state_transitions < 60
    expected = cost.state_transitions * 0.000025 + cost.lambda_invocations * 0.0000002
    assert cost.usd >= expected
    assert cost.lambda_gb_seconds > 0


def test_a_rollback_without_to_returns_to_the_last_version_verified_healthy_never_to_one_rolled_back():
    # Given bad v2 rolled back to v1, then good v3 deployed and watched,
    report = run(
        "rollback-to-last-good",
        [
            {"at_seconds": 0, "tag": "v2", "behavior": {"kind": "crash"}},
            {"at_seconds": 400, "tag": "v3"},
            # when the operator asks for a rollback without naming where to (after v3's watch),
            {"at_seconds": 900, "input": {"action": "rollback", "service": "aiuteur-backend-service"}},
        ],
    )

    # then the service goes back to v1, the last verified version before v3, not to v2 (revision N-1).
    v2, v3, rollback = report.pushes
    assert (v2.outcome, v3.outcome, rollback.outcome) == ("rolled_back", "deployed", "reverted")
    assert report.final.tag == "v1" and report.final.healthy
    assert report.final.task_definition.endswith(":1")
