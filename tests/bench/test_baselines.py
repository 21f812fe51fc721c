"""Two baseline runs on the local cloud, short ones, so that the benchmark's machinery stays honest."""

from __future__ import annotations

from bench import systems
from bench.cases import Case


def test_the_circuit_breaker_alone_rolls_a_pull_error_back_by_itself():
    row = systems.run("circuit_breaker", Case("pull_error", 10, timing="fast"))

    # on fast timing ten tasks fail to pull at 20 s: the threshold (5) is reached at once and ECS rolls back
    assert row.evidence_s == 20.0
    assert (row.rollback_s, row.rolled_back_by, row.outcome) == (20.0, "ecs", "failure")
    assert row.restore_s is not None and row.restore_s > row.rollback_s
    assert row.api_calls_by_operation == {
        "ecs:DescribeServices": 1,
        "ecs:DescribeTaskDefinition": 1,
        "ecs:RegisterTaskDefinition": 1,
        "ecs:UpdateService": 1,
    }


def test_the_waiter_polls_every_15_s_until_one_deployment_runs_its_desired_count():
    row = systems.run("waiter", Case("healthy", 1))

    assert row.outcome == "success" and row.verdict_correct is True
    assert row.verdict_s % 15 == 0 and row.verdict_s >= row.completed_s
    assert row.api_calls_by_operation["ecs:DescribeServices"] == 1 + row.probes
    assert row.restore_s is None and row.detect_s is None


def test_a_case_runs_on_its_timing_and_breaker():
    realistic = Case("pull_error", 1).build()
    strict = Case("pull_error", 1, timing="fast", breaker="strictest").build()

    assert (realistic.world.timing, realistic.service.circuit_breaker.threshold.type) == (
        "realistic",
        "BOUNDED_PERCENT",
    )
    assert (strict.world.timing, strict.service.circuit_breaker.threshold.type) == ("fast", "COUNT")
    assert strict.service.circuit_breaker.threshold.value == 1
    assert strict.service.circuit_breaker.reset_on_healthy_task is False
