"""EventBridge delivers ECS events best effort (aws-facts.md, "EventBridge"): late, lost, twice, out of
order. The deployer's Watch waits on a task token that Wake hands back when a task stops; a Check
closes every watch, so whatever EventBridge does, a crash while watched is decided, once."""

from __future__ import annotations

from typing import Any

import pytest

from pushdeploy_local.cloud import LocalCloud
from pushdeploy_local.scenario import LateCrash, parse_scenario
from tests.integration.test_local_events import deploy, watch_events

# v2's two tasks pass their checks (verdict at 105 s), then exit 120 s after they started (at 150 s),
# while the Watch waits.
LATE_CRASH = LateCrash(kind="late_crash", crash_after_seconds=120, exit_code=137)
CRASHED_AT = 150
WATCH_ENDS_AT = 105 + 300  # the verdict, then watch_seconds


def cloud_with(events: dict[str, Any], *, seed: int = 7) -> LocalCloud:
    return LocalCloud(
        parse_scenario({"world": {"seed": seed, "events": events}, "service": {"desired_count": 2}, "pushes": []})
    )


def rolled_back_once(cloud: LocalCloud) -> None:
    """The execution failed with one rollback to v1 (healthy), one alert and one UpdateService each way."""
    assert cloud.describe(cloud.executions[0])["error"] == "DeploymentFailed"
    assert cloud.usage.api_calls["ecs:UpdateService"] == 2  # the deploy, the rollback
    [alert] = cloud.alerts()
    assert "ROLLED BACK" in alert["Subject"]
    state = cloud.model.service_state("aiuteur-cluster", "aiuteur-backend-service")
    assert state.task_definition.endswith("aiuteur-backend:1") and state.healthy


def test_by_default_the_crash_wakes_the_watch_at_once() -> None:
    with cloud_with({}) as cloud:
        deploy(cloud, LATE_CRASH)

        assert watch_events(cloud)[-1][:2] == (CRASHED_AT, "TaskSucceeded")
        rolled_back_once(cloud)


def test_when_every_event_is_lost_the_closing_check_decides_the_crash_when_the_watch_ends() -> None:
    with cloud_with({"loss_rate": 1.0}) as cloud:
        deploy(cloud, LATE_CRASH)

        assert cloud.events_delivered == [] and "WakeFunction" not in cloud.usage.invocations
        assert watch_events(cloud)[-1][:2] == (WATCH_ENDS_AT, "TaskTimedOut")
        rolled_back_once(cloud)


def test_when_every_event_comes_twice_the_watch_ends_once_and_nothing_is_done_twice() -> None:
    with cloud_with({"duplicate_rate": 1.0}) as cloud:
        deploy(cloud, LATE_CRASH)

        # Every stopped task's event reached Wake twice (the same event id)
        ids = [d.event["id"] for d in cloud.events_delivered]
        assert ids and all(ids.count(i) == 2 for i in ids)
        assert cloud.usage.invocations["WakeFunction"] == len(ids)
        # The Watch ended once, at the crash; one rollback, one alert
        assert [kind for _, kind, _ in watch_events(cloud)].count("TaskSucceeded") == 1
        assert watch_events(cloud)[-1][:2] == (CRASHED_AT, "TaskSucceeded")
        rolled_back_once(cloud)


def test_when_events_are_late_the_watch_ends_when_the_first_crash_event_arrives() -> None:
    with cloud_with({"delay_seconds": [20, 60]}) as cloud:
        deploy(cloud, LATE_CRASH)

        crashes = [d for d in cloud.events_delivered if d.event["detail"]["stopCode"] == "EssentialContainerExited"]
        assert crashes and all(CRASHED_AT + 20 <= d.at_seconds <= CRASHED_AT + 60 for d in crashes)
        # The first crash event to arrive woke the Watch: later than the crash, the verdict the same
        first = min(d.at_seconds for d in crashes)
        (ended, kind, _) = watch_events(cloud)[-1]
        assert (ended, kind) == (pytest.approx(first, abs=0.001), "TaskSucceeded")  # history keeps milliseconds
        rolled_back_once(cloud)


def test_when_events_arrive_out_of_order_the_outcome_is_the_same() -> None:
    with cloud_with({"delay_seconds": [0, 120]}, seed=5) as cloud:
        deploy(cloud, LATE_CRASH)

        # A crash's event (150 s) was delivered before an old task's scale-down (100 s)
        emitted = [(d.event["time"], d.event["detail"]["stopCode"]) for d in cloud.events_delivered]
        assert emitted != sorted(emitted)
        assert watch_events(cloud)[-1][1] == "TaskSucceeded"  # woken by the crash all the same
        rolled_back_once(cloud)
