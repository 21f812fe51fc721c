"""pushdeploy's late-crash runs on the local cloud, as the bench runs them, with its watch and without."""

from __future__ import annotations

import pytest

from bench import systems
from bench.cases import WATCH_OFF, Case
from pushdeploy.verdict import POLL_SECONDS
from pushdeploy_local.ecs.facts import REALISTIC_DEPROVISIONING_SECONDS, REALISTIC_STOPPING_EXITED_SECONDS


def test_the_watch_rolls_the_late_crash_back_within_a_poll_of_its_first_stopped_task():
    # On fast timing a task is STOPPED the instant ECS stops it, so its event comes at once.
    row = systems.run("pushdeploy", Case("late_crash", 1, timing="fast"))

    assert row.policy.watch_seconds == 300
    assert row.outcome == "failure" and row.evidence.startswith("task stopped")
    assert row.watch_from_s is not None and row.watch_from_s < row.evidence_s
    assert 0 <= row.verdict_after_evidence_s <= POLL_SECONDS
    assert row.restore_s is not None
    # Wake ran for the crashed task (and the old task the rollout replaced), and is billed with the rest
    assert row.evidence_s in row.wake_at_s
    by_function = row.lambda_invocations_by_function
    # Watch recorded the token of each of the rollout's waits for its events, then the watch's own
    assert by_function["WakeFunction"] == len(row.wake_at_s) and by_function["WatchFunction"] >= 2
    assert row.lambda_invocations == sum(by_function.values())


def test_on_realistic_timing_the_watch_wakes_when_ecs_decides_the_stop_not_when_the_task_is_stopped():
    row = systems.run("pushdeploy", Case("late_crash", 1))

    assert row.outcome == "failure" and row.watch_from_s is not None and row.watch_from_s < row.evidence_s
    # Wake hands the token back on the stop's first event (desiredStatus STOPPED, the exit code known), not on
    # the STOPPED one that follows by the task's drawn STOPPING and DEPROVISIONING: the verdict comes at the
    # first evidence (stoppingAt).
    assert row.verdict_s in row.wake_at_s
    assert row.verdict_after_evidence_s == 0
    assert REALISTIC_STOPPING_EXITED_SECONDS[0] + REALISTIC_DEPROVISIONING_SECONDS[0] > 2


def test_without_the_watch_the_late_crash_is_called_healthy_and_its_crash_loop_keeps_invoking_wake():
    row = systems.run("pushdeploy", Case("late_crash", 1), WATCH_OFF)

    assert row.policy.watch_seconds == 0
    assert (row.outcome, row.verdict_correct, row.restore_s) == ("success", False, None)
    assert row.watch_from_s is None  # the Watch function ran for the rollout's waits only
    # every stopped task of the account invokes Wake, long after the execution ended: those count too
    after = [at for at in row.wake_at_s if at > row.client_busy_s]
    assert len(after) >= 2
    assert row.lambda_invocations_by_function["WakeFunction"] == len(row.wake_at_s)
    assert row.lambda_invocations == sum(row.lambda_invocations_by_function.values())


def test_only_pushdeploy_has_a_policy_to_override():
    with pytest.raises(ValueError, match="waiter has no deployer policy"):
        systems.run("waiter", Case("healthy", 1), WATCH_OFF)
