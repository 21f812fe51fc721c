"""Which stopped tasks the bench counts as failure evidence: the deployer's own rule, not one of its own."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bench.observe import failing_stops
from pushdeploy_local.cloud import EPOCH

ESSENTIAL_EXIT = "Essential container in task exited"


def stopped(reason: str, stop_code: str, exit_code: int | None, at: float = 30.0) -> dict[str, Any]:
    """A task as DescribeTasks shows it once ECS has decided to stop it."""
    return {
        "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/main/0123456789abcdef",
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/app:2",
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        "stoppedReason": reason,
        "stopCode": stop_code,
        "stoppingAt": EPOCH + timedelta(seconds=at),
        "containers": [{"name": "app", "exitCode": exit_code}],
    }


def test_an_essential_container_that_exits_0_is_not_failure_evidence():
    # an ECS stop code of EssentialContainerExited alone says nothing of fault: a clean exit is no failure
    clean = stopped(ESSENTIAL_EXIT, "EssentialContainerExited", exit_code=0)

    assert failing_stops([clean], now=40.0) == []


def test_an_essential_container_that_exits_non_zero_is_failure_evidence_from_its_stopping_at():
    crashed = stopped(ESSENTIAL_EXIT, "EssentialContainerExited", exit_code=1, at=30.0)

    assert failing_stops([crashed], now=40.0) == [(30.0, f"task stopped: {ESSENTIAL_EXIT}")]


def test_failed_health_checks_and_failed_starts_are_evidence_and_a_scale_in_is_not():
    reason = "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:1:tg/app/1)"
    unhealthy = stopped(reason, "ServiceSchedulerInitiated", exit_code=0, at=90.0)
    pull = stopped("CannotPullContainerError: pull image manifest has been retried", "TaskFailedToStart", None, 20.0)
    scaled_in = stopped("Scaling activity initiated by (deployment ecs-svc/1)", "ServiceSchedulerInitiated", 0)

    assert [at for at, _ in failing_stops([unhealthy, pull, scaled_in], now=100.0)] == [90.0, 20.0]
