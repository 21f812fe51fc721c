"""The service throttle logic (service-throttle-logic.html): launches that keep failing to start are spaced
further and further apart, up to 27 minutes; a task that reached RUNNING is never throttled; a new task
definition ends it."""

from __future__ import annotations

import itertools

from pushdeploy_local.ecs.facts import (
    STOPPED,
    THROTTLE_MAX_DELAY_SECONDS,
    THROTTLED_MESSAGE,
)
from pushdeploy_local.scenario import CircuitBreaker, Crash, PullError, ServiceSpec
from tests.unit.localcloud.ecs.fakes import SERVICE, FakeWorld, adopted, deploy

NO_BREAKER = ServiceSpec(circuit_breaker=CircuitBreaker(enable=False, rollback=False))


def failures(world: FakeWorld) -> list[float]:
    """When each of v2's tasks stopped, in order."""
    return sorted(
        t.stopped_at
        for t in world.tasks.values()
        if t.task_definition == "aiuteur-backend:2" and t.stopped_at is not None and t.status == STOPPED
    )


def test_launches_that_keep_failing_to_start_wait_twice_as_long_each_time() -> None:
    model, world = adopted(NO_BREAKER, v2=PullError(kind="pull_error", start_seconds=20))
    deploy(model, world)

    model.advance_to(700)

    # Launched at 0, 35 and 70 (the usual 15 s), then 30, 60, 120 and 240 s after each failure.
    assert failures(world) == [20, 55, 90, 140, 220, 360, 620]
    throttled = f"(service {SERVICE}) {THROTTLED_MESSAGE}"
    assert world.messages.count(throttled) == 1
    # Written when the throttle begins: after the third launch (task 4) failed, before the fourth (newest first).
    order = [world.messages.index(f"(service {SERVICE}) has started 1 tasks: (task {n}).") for n in (5, 4)]
    assert order[0] < world.messages.index(throttled) < order[1]


def test_the_wait_between_launches_stops_growing_at_27_minutes_and_the_retries_never_end() -> None:
    model, world = adopted(NO_BREAKER, v2=PullError(kind="pull_error", start_seconds=20))
    deploy(model, world)

    model.advance_to(6 * 3600)

    gaps = [later - earlier for earlier, later in zip(failures(world), failures(world)[1:], strict=False)]
    assert max(gaps) == THROTTLE_MAX_DELAY_SECONDS + 20  # the 27 min wait, then the 20 s pull that fails
    assert gaps[-3:] == [THROTTLE_MAX_DELAY_SECONDS + 20] * 3
    assert model.next_change_at() is not None  # ECS never stops retrying


def test_a_launch_of_several_tasks_counts_once() -> None:
    # Desired 3: each launch starts three tasks, which fail together; still the third launch throttles.
    spec = NO_BREAKER.model_copy(update={"desired_count": 3})
    model, world = adopted(spec, v2=PullError(kind="pull_error", start_seconds=20))
    deploy(model, world)
    model.advance_to(200)
    assert sorted(set(failures(world))) == [20, 55, 90, 140]
    assert len(failures(world)) == 12


def test_a_new_task_definition_returns_the_service_to_normal_at_once() -> None:
    model, world = adopted(NO_BREAKER, v2=PullError(kind="pull_error", start_seconds=20))
    deploy(model, world)
    model.advance_to(220)  # five failed launches: the next would wait 120 s
    assert world.service is not None and world.service.failed_launches == 5

    # When UpdateService goes back to v1 (a new task definition for the service)
    world.task_definition_arn = "aiuteur-backend:1"
    model.on_update_service("aiuteur-cluster", SERVICE)

    # Then its task launches at once, and the count is back to zero
    assert world.service.failed_launches == 0
    assert world.tasks["task/7"].created_at == 220


def test_tasks_that_reached_running_and_crash_are_never_throttled() -> None:
    # test_behaviour's crash loop: a task every 50 s for ten minutes, the usual delay each time.
    model, world = adopted(NO_BREAKER, v2=Crash(kind="crash", crash_after_seconds=5))
    deploy(model, world)
    model.advance_to(600)
    stops = failures(world)
    assert [b - a for a, b in itertools.pairwise(stops)] == [50] * 11
    assert not any(THROTTLED_MESSAGE in m for m in world.messages)
