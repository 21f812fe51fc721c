"""`world.timing`: the fixed `fast` durations, and `realistic` ones drawn from facts' ranges with the seed."""

from __future__ import annotations

import pytest

from pushdeploy_local.ecs.facts import (
    DEFAULT_STOP_TIMEOUT_SECONDS,
    DEPROVISIONING,
    REALISTIC_ACTIVATING_SECONDS,
    REALISTIC_DEPROVISIONING_SECONDS,
    REALISTIC_PROVISIONING_SECONDS,
    REALISTIC_PULL_SECONDS,
    REALISTIC_REPLACEMENT_DELAY_SECONDS,
    REALISTIC_STOPPING_EXITED_SECONDS,
    REPLACEMENT_DELAY_SECONDS,
    STOPPED,
    STOPPING,
)
from pushdeploy_local.ecs.timing import Start, Timing
from pushdeploy_local.scenario import Healthy, PullError, ServiceSpec
from tests.unit.localcloud.ecs.fakes import adopted, deploy

SEEDS = range(300)


def within(value: float, bounds: tuple[float, float]) -> bool:
    low, high = bounds
    return low <= value <= high


def test_fast_timing_is_the_behaviours_start_split_as_before_and_stops_take_no_time() -> None:
    timing = Timing("fast")
    assert timing.start(Healthy()) == Start(pending=5, activating=28, ready=30)
    assert timing.start(Healthy(start_seconds=4)) == Start(pending=2, activating=3, ready=4)
    assert timing.start(PullError(kind="pull_error")) == Start(pending=5, activating=18, ready=20)
    assert timing.stopping(sigterm=True, stop_timeout=30) == timing.deprovisioning() == 0
    assert timing.replacement_delay() == REPLACEMENT_DELAY_SECONDS


def test_realistic_durations_stay_within_their_documented_ranges() -> None:
    starts, stops, exits, deprovisions, delays = [], [], [], [], []
    for seed in SEEDS:
        timing = Timing("realistic", seed=seed)
        starts.append(timing.start(Healthy()))
        stops.append(timing.stopping(sigterm=True, stop_timeout=DEFAULT_STOP_TIMEOUT_SECONDS))
        exits.append(timing.stopping(sigterm=False, stop_timeout=DEFAULT_STOP_TIMEOUT_SECONDS))
        deprovisions.append(timing.deprovisioning())
        delays.append(timing.replacement_delay())
    assert all(within(s.pending, REALISTIC_PROVISIONING_SECONDS) for s in starts)
    assert all(within(s.activating - s.pending, REALISTIC_PULL_SECONDS) for s in starts)
    assert all(within(s.ready - s.activating, REALISTIC_ACTIVATING_SECONDS) for s in starts)
    assert all(within(stop, (1, DEFAULT_STOP_TIMEOUT_SECONDS)) for stop in stops)
    assert all(within(stop, REALISTIC_STOPPING_EXITED_SECONDS) for stop in exits)
    assert all(within(d, REALISTIC_DEPROVISIONING_SECONDS) for d in deprovisions)
    assert all(within(d, REALISTIC_REPLACEMENT_DELAY_SECONDS) for d in delays)
    # and they are draws, not one value: the starts spread over most of their range
    readies = [s.ready for s in starts]
    assert max(readies) - min(readies) > 30


def test_realistic_timing_replays_for_a_seed_and_differs_between_seeds() -> None:
    def draws(seed: int) -> list[Start]:
        timing = Timing("realistic", seed=seed)
        return [timing.start(Healthy()) for _ in range(5)]

    assert draws(7) == draws(7)
    assert draws(7) != draws(8)


def test_a_failing_pull_fails_at_the_end_of_its_drawn_pull_and_a_set_start_seconds_wins() -> None:
    timing = Timing("realistic", seed=3)
    failing = timing.start(PullError(kind="pull_error"))
    assert failing.ready == failing.activating and within(failing.ready - failing.pending, REALISTIC_PULL_SECONDS)
    # The scenario's own start_seconds fixes the whole start, as in `fast`.
    assert timing.start(Healthy(start_seconds=60)) == Start(pending=5, activating=58, ready=60)


def test_a_realistic_stop_walks_stopping_and_deprovisioning_each_for_its_drawn_duration() -> None:
    # Given a worker service on realistic timing: the old task is stopped (SIGTERM) when the new one runs
    model, world = adopted(ServiceSpec(load_balanced=False), timing="realistic", seed=11)
    deployment = deploy(model, world)
    old = world.tasks["task/1"]
    statuses: list[tuple[float, str]] = []
    while (instant := model.next_change_at()) is not None and old.status != STOPPED:
        model.advance_to(instant)
        if not statuses or statuses[-1][1] != old.status:
            statuses.append((instant, old.status))

    # Then STOPPING lasts up to the stopTimeout, DEPROVISIONING within its range, each from its own instant
    (stopping_at, first), (deprovisioning_at, second), (stopped_at, third) = statuses[-3:]
    assert (first, second, third) == (STOPPING, DEPROVISIONING, STOPPED)
    assert within(deprovisioning_at - stopping_at, (1, DEFAULT_STOP_TIMEOUT_SECONDS))
    assert within(stopped_at - deprovisioning_at, REALISTIC_DEPROVISIONING_SECONDS)
    assert old.stopped_at == stopped_at and old.stopping_at == stopping_at
    # The deployment completes only once the old task has STOPPED.
    model.advance_to(stopped_at)
    assert deployment.rollout_state == "COMPLETED"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_realistic_rollout_replays_exactly_for_its_seed(seed: int) -> None:
    def run() -> list[tuple[str, float | None, float | None]]:
        model, world = adopted(timing="realistic", seed=seed)
        deploy(model, world)
        model.advance_to(600)
        return [(t.arn, t.started_at, t.stopped_at) for t in world.tasks.values()]

    assert run() == run()
