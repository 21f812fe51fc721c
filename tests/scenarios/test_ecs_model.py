"""Whole-product runs on the ECS model's realistic timing and container health checks (the example files
`scenarios/realistic-timing.json` and `scenarios/container-check-fails.json`)."""

from __future__ import annotations

from pathlib import Path

from pushdeploy_local import runner
from pushdeploy_local.scenario import load_scenario

SCENARIOS = Path(__file__).parents[2] / "scenarios"


def test_realistic_timing_deploys_a_healthy_image_and_rolls_back_a_crashing_one_and_replays() -> None:
    scenario = load_scenario(SCENARIOS / "realistic-timing.json")
    report = runner.run(scenario)

    healthy, crashing = report.pushes
    assert (healthy.outcome, crashing.outcome) == ("deployed", "rolled_back")
    assert crashing.reason.startswith("Essential container in task exited")
    assert report.final.tag == "v2" and report.final.healthy
    # Drawn, not fixed: with fast timing the healthy verdict comes at 60 s exactly (tests/scenarios).
    assert healthy.verdict_at_seconds is not None and healthy.verdict_at_seconds != 60
    # The same seed replays the same run: its instants and outcomes (not the cost's GB-seconds, wall-clock
    # handler durations, nor the task ids an alert names, which moto draws).
    again = runner.run(scenario)
    assert [p.model_dump() for p in again.pushes] == [p.model_dump() for p in report.pushes]
    assert [(a.at_seconds, a.subject) for a in again.alerts] == [(a.at_seconds, a.subject) for a in report.alerts]


def test_a_container_health_check_that_fails_stops_the_tasks_and_the_deployer_rolls_back() -> None:
    # The ALB finds v2 healthy; its container check (wget of the same path, the template's) cannot pass.
    report = runner.run(load_scenario(SCENARIOS / "container-check-fails.json"))

    (push,) = report.pushes
    assert push.outcome == "rolled_back"
    assert push.reason.startswith("Task failed container health checks")
    assert report.final.tag == "v1" and report.final.healthy
