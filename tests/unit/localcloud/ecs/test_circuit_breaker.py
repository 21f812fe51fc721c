"""The circuit breaker as ECS documents it: its threshold (thresholdConfiguration), its reset when a task
turns healthy (resetOnHealthyTask), and the tasks it does not count (aws-facts.md, "Circuit breaker")."""

from __future__ import annotations

import pytest

from pushdeploy_local.ecs.behaviour import circuit_breaker_threshold
from pushdeploy_local.ecs.facts import FAILED, IN_PROGRESS, STOPPED
from pushdeploy_local.scenario import (
    CircuitBreaker,
    CircuitBreakerThreshold,
    LateCrash,
    PullError,
    ServiceSpec,
)
from tests.unit.localcloud.ecs.fakes import V2, adopted, deploy


def threshold(kind: str, value: int) -> CircuitBreakerThreshold:
    return CircuitBreakerThreshold(type=kind, value=value)  # type: ignore[arg-type]


def test_bounded_percent_is_the_value_percent_of_the_desired_count_clamped_to_3_200() -> None:
    assert [circuit_breaker_threshold(n, threshold("BOUNDED_PERCENT", 50)) for n in (1, 7, 401)] == [3, 4, 200]
    assert [circuit_breaker_threshold(n, threshold("BOUNDED_PERCENT", 10)) for n in (10, 100)] == [3, 10]
    assert [circuit_breaker_threshold(n, threshold("BOUNDED_PERCENT", 100)) for n in (5, 300)] == [5, 200]


def test_unbounded_percent_is_not_clamped_and_count_is_the_value_itself() -> None:
    assert [circuit_breaker_threshold(n, threshold("UNBOUNDED_PERCENT", 50)) for n in (1, 2, 7, 1000)] == [
        1,
        1,
        4,
        500,
    ]
    assert circuit_breaker_threshold(0, threshold("UNBOUNDED_PERCENT", 50)) == 1  # modelling choice: never 0
    assert circuit_breaker_threshold(7, threshold("UNBOUNDED_PERCENT", 7)) == 1  # 0.49, rounded up
    assert [circuit_breaker_threshold(n, threshold("COUNT", 1)) for n in (1, 100)] == [1, 1]


def breaking(breaker: CircuitBreaker, *, desired: int = 2) -> tuple[float | None, int]:
    """The instant v2's deployment FAILED (None: by 400 s) and the tasks it failed; v2 cannot be pulled."""
    model, world = adopted(ServiceSpec(desired_count=desired, circuit_breaker=breaker), v2=PullError(kind="pull_error"))
    deployment = deploy(model, world)
    while (instant := model.next_change_at()) is not None and instant <= 400:
        model.advance_to(instant)
        if deployment.rollout_state == FAILED:
            return instant, deployment.failed_tasks
    return None, deployment.failed_tasks


@pytest.mark.parametrize(
    ("configured", "trips"),
    [
        # Two tasks fail at 20 s, their replacements at 55 s, then at 90 s...
        (CircuitBreaker(), (55.0, 4)),  # the default: 50 % of 2, clamped to 3
        (CircuitBreaker(threshold=threshold("COUNT", 1)), (20.0, 2)),
        (CircuitBreaker(threshold=threshold("UNBOUNDED_PERCENT", 50)), (20.0, 2)),
        (CircuitBreaker(threshold=threshold("COUNT", 5)), (90.0, 6)),
        (CircuitBreaker(threshold=threshold("BOUNDED_PERCENT", 300)), (90.0, 6)),  # 6 for desired 2
    ],
    ids=["default", "count-1", "unbounded-50", "count-5", "bounded-300"],
)
def test_the_deployment_fails_when_its_failed_tasks_reach_the_configured_threshold(configured, trips) -> None:
    assert breaking(configured) == trips


def test_a_task_that_turns_healthy_resets_the_failures_so_only_consecutive_ones_trip_the_breaker() -> None:
    def run(reset: bool) -> tuple[str, int]:
        breaker = CircuitBreaker(threshold=threshold("COUNT", 2), reset_on_healthy_task=reset)
        model, world = adopted(ServiceSpec(circuit_breaker=breaker), v2=PullError(kind="pull_error"))
        deployment = deploy(model, world)
        model.advance_to(20)  # the first v2 task cannot be pulled: 1 failure
        assert deployment.failed_tasks == 1
        # Its replacement (launched at 35) runs, is healthy at 105, then exits at 125 (not counted)
        model.set_behavior(V2, LateCrash(kind="late_crash", crash_after_seconds=60))
        model.advance_to(105)
        failures_when_healthy = deployment.failed_tasks
        # and the next one (launched at 140) cannot be pulled again, at 160
        model.set_behavior(V2, PullError(kind="pull_error"))
        model.advance_to(160)
        assert world.tasks["task/4"].status == STOPPED
        return deployment.rollout_state, failures_when_healthy

    assert run(reset=True) == (IN_PROGRESS, 0)  # 1, reset to 0, then 1 again: below 2
    assert run(reset=False) == (FAILED, 1)  # 1, then 2: the breaker trips


def test_without_a_load_balancer_a_task_turns_healthy_for_the_breaker_40_s_after_it_is_running() -> None:
    spec = ServiceSpec(load_balanced=False, circuit_breaker=CircuitBreaker(threshold=threshold("COUNT", 9)))
    model, world = adopted(spec, v2=PullError(kind="pull_error"))
    deployment = deploy(model, world)
    model.advance_to(20)
    model.set_behavior(V2, LateCrash(kind="late_crash", crash_after_seconds=300))
    model.advance_to(65)  # the replacement is RUNNING at 35 + 30

    assert (deployment.failed_tasks, model.next_change_at()) == (1, 105.0)
    model.advance_to(105)
    assert deployment.failed_tasks == 0


def test_tasks_that_start_pass_their_checks_then_stop_never_trip_the_breaker() -> None:
    # AWS's knowledge center: such tasks may not trip it (aws-facts.md). Even at a threshold of 1.
    breaker = CircuitBreaker(threshold=threshold("COUNT", 1))
    model, world = adopted(
        ServiceSpec(circuit_breaker=breaker), v2=LateCrash(kind="late_crash", crash_after_seconds=60)
    )
    deployment = deploy(model, world)

    while (instant := model.next_change_at()) is not None and instant <= 1000:
        model.advance_to(instant)
        assert deployment.rollout_state != FAILED and deployment.failed_tasks == 0
        assert world.deployments[0] is deployment  # no rollback
    crashed = [t for t in world.tasks.values() if t.deployment_id == deployment.id and t.stop_code]
    assert len(crashed) >= 8
    assert all(t.stop_code == "EssentialContainerExited" for t in crashed)
