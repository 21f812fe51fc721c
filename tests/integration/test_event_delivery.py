"""EventBridge delivers ECS events best effort (aws-facts.md, "EventBridge"): late, lost, twice, out of
order. The deployer's rollout and its Watch wait on a task token that Wake hands back when a task stops
or the deployment completes or fails; a probe ends every wait that no event ends (the rollout's fallback
probe, the Check that closes the watch), so whatever EventBridge does, the verdict is the same, once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pushdeploy.verdict import FALLBACK_PROBE_SECONDS
from pushdeploy_local.cloud import EPOCH, LocalCloud
from pushdeploy_local.scenario import Crash, Healthy, LateCrash, parse_scenario
from tests.integration.test_local_events import deploy, watch_events

# v2's two tasks pass their checks (verdict at 100 s, when the deployment completes), then exit 120 s after
# they started (at 150 s), while the Watch waits.
LATE_CRASH = LateCrash(kind="late_crash", crash_after_seconds=120, exit_code=137)
CRASHED_AT = 150
# Every event lost: the rollout's fallback probes (60 s apart) find it healthy at 120 s, then watch_seconds.
WATCH_ENDS_AT = 2 * FALLBACK_PROBE_SECONDS + 300


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

        crashes = [d for d in cloud.events_delivered if d.event["detail"].get("stopCode") == "EssentialContainerExited"]
        assert crashes and all(CRASHED_AT + 20 <= d.at_seconds <= CRASHED_AT + 60 for d in crashes)
        # The first crash event to arrive that carries the exit code (from STOPPING on) woke the Watch: later than
        # the crash, the verdict the same
        exited = [d for d in crashes if any(c.get("exitCode") for c in d.event["detail"]["containers"])]
        first = min(d.at_seconds for d in exited)
        (ended, kind, _) = watch_events(cloud)[-1]
        assert (ended, kind) == (pytest.approx(first, abs=0.001), "TaskSucceeded")  # history keeps milliseconds
        rolled_back_once(cloud)


def test_when_events_arrive_out_of_order_the_outcome_is_the_same() -> None:
    with cloud_with({"delay_seconds": [0, 120]}, seed=5) as cloud:
        deploy(cloud, LATE_CRASH)

        # A crash's event (150 s) was delivered before an old task's scale-down (100 s)
        tasks = [d for d in cloud.events_delivered if d.rule == "TaskStoppedRule"]
        emitted = [(d.event["time"], d.event["detail"]["stopCode"]) for d in tasks]
        assert emitted != sorted(emitted)
        assert watch_events(cloud)[-1][1] == "TaskSucceeded"  # woken by the crash all the same
        rolled_back_once(cloud)


# ------------------------------------------------------------------ the rollout's verdict, decided by events


def waits(cloud: LocalCloud) -> list[tuple[float, str]]:
    """(virtual seconds, how) each wait of the rollout for its events ended: TaskSucceeded (woken), TaskTimedOut
    (the fallback probe)."""
    ends = ("TaskSucceeded", "TaskTimedOut", "TaskFailed")
    return [(at, kind) for at, kind, _ in watch_events(cloud, "AwaitRollout") if kind in ends]


def probes(cloud: LocalCloud) -> list[tuple[float, str, list[str]]]:
    """(virtual seconds, verdict, the targets' states) of each probe of the rollout (CheckRollout)."""
    found = []
    for event in cloud.history(cloud.executions[0]):
        exited = event.get("stateExitedEventDetails", {})
        if exited.get("name") == "CheckRollout":
            rollout = json.loads(exited["output"])["rollout"]
            states = [t["state"] for t in rollout["evidence"]["targets"]]
            found.append(((event["timestamp"] - EPOCH).total_seconds(), rollout["verdict"], states))
    return found


COMPLETED_AT = 100  # v2's deployment completes (its targets healthy, the old tasks drained) in the fast world


def test_a_healthy_rollout_is_decided_when_its_deployment_completes_with_every_target_healthy() -> None:
    with cloud_with({}) as cloud:
        deploy(cloud, Healthy())

        # The first wait ran to the fallback probe (nothing to report yet), the second ended by ECS's
        # SERVICE_DEPLOYMENT_COMPLETED: its probe, at that instant, healthy with every target healthy
        assert waits(cloud) == [(FALLBACK_PROBE_SECONDS, "TaskTimedOut"), (COMPLETED_AT, "TaskSucceeded")]
        assert probes(cloud)[0][:2] == (FALLBACK_PROBE_SECONDS, "IN_PROGRESS")
        assert probes(cloud)[1] == (COMPLETED_AT, "HEALTHY", ["healthy", "healthy"])
        completed = [d for d in cloud.events_delivered if d.rule == "DeploymentStateChangeRule"]
        assert [(d.at_seconds, d.event["detail"]["eventName"]) for d in completed] == [
            (COMPLETED_AT, "SERVICE_DEPLOYMENT_COMPLETED")
        ]
        assert cloud.describe(cloud.executions[0])["status"] == "SUCCEEDED"


def test_when_the_deployments_events_are_lost_the_fallback_probe_decides() -> None:
    with cloud_with({"loss_rate": 1.0}) as cloud:
        deploy(cloud, Healthy())

        # No event reached Wake: each wait ran to its timeout, a probe every FALLBACK_PROBE_SECONDS
        assert waits(cloud) == [(FALLBACK_PROBE_SECONDS, "TaskTimedOut"), (2 * FALLBACK_PROBE_SECONDS, "TaskTimedOut")]
        assert [(at, verdict) for at, verdict, _ in probes(cloud)][:2] == [
            (FALLBACK_PROBE_SECONDS, "IN_PROGRESS"),
            (2 * FALLBACK_PROBE_SECONDS, "HEALTHY"),
        ]
        assert cloud.describe(cloud.executions[0])["status"] == "SUCCEEDED"


def test_when_the_deployments_event_is_late_the_rollout_is_decided_when_it_arrives() -> None:
    with cloud_with({"delay_seconds": [5, 15]}) as cloud:
        deploy(cloud, Healthy())

        [completed] = [d for d in cloud.events_delivered if d.rule == "DeploymentStateChangeRule"]
        assert COMPLETED_AT + 5 <= completed.at_seconds <= COMPLETED_AT + 15
        assert waits(cloud)[-1] == (pytest.approx(completed.at_seconds, abs=0.001), "TaskSucceeded")
        assert [verdict for _, verdict, _ in probes(cloud)][:2] == ["IN_PROGRESS", "HEALTHY"]


def test_when_the_deployments_event_comes_twice_the_rollouts_wait_ends_once() -> None:
    with cloud_with({"duplicate_rate": 1.0}) as cloud:
        deploy(cloud, Healthy())

        completed = [d for d in cloud.events_delivered if d.rule == "DeploymentStateChangeRule"]
        assert len(completed) == 2 and len({d.event["id"] for d in completed}) == 1
        assert waits(cloud) == [(FALLBACK_PROBE_SECONDS, "TaskTimedOut"), (COMPLETED_AT, "TaskSucceeded")]
        # the fallback probe, the verdict, the watch's end
        assert [verdict for _, verdict, _ in probes(cloud)] == ["IN_PROGRESS", "HEALTHY", "HEALTHY"]


def test_a_crash_on_start_ends_the_rollouts_wait_at_the_crash() -> None:
    with cloud_with({}) as cloud:
        deploy(cloud, Crash(kind="crash", crash_after_seconds=5, exit_code=1))

        crashes = [d for d in cloud.events_delivered if d.event["detail"].get("stopCode") == "EssentialContainerExited"]
        first = min(d.at_seconds for d in crashes)
        # The first crash's event woke the wait; the probe then failed the rollout, before any fallback probe
        assert waits(cloud)[0] == (first, "TaskSucceeded") and first < FALLBACK_PROBE_SECONDS
        assert probes(cloud)[0][:2] == (first, "FAILED")
        rolled_back_once(cloud)
