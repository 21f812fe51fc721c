"""Whole-product runs with the circuit breaker configured as ECS lets it be (`service.circuit_breaker`):
the deployer reports what ECS did, however soon or late its breaker trips."""

from __future__ import annotations

from pathlib import Path

from pushdeploy_local import runner
from pushdeploy_local.cloud import LocalCloud
from pushdeploy_local.scenario import load_scenario, parse_scenario
from tests.scenarios.conftest import run

SCENARIOS = Path(__file__).parents[2] / "scenarios"
PULL_ERROR = {"kind": "pull_error", "start_seconds": 20}


def test_a_breaker_that_trips_at_the_first_failure_is_reported_as_ecs_rolling_back_then() -> None:
    report = runner.run(load_scenario(SCENARIOS / "circuit-breaker-count.json"))
    default = run(
        "default-breaker", [{"at_seconds": 0, "tag": "v2", "behavior": PULL_ERROR}], service={"desired_count": 2}
    )

    (push,), (by_default,) = report.pushes, default.pushes
    assert (push.outcome, by_default.outcome) == ("rolled_back", "rolled_back")
    # Both v2 tasks fail at 20 s, and their events end the rollout's wait then. COUNT 1 trips ECS's breaker at
    # that instant: ECS is rolling back, and the deployer says so. The default threshold (3 for 2 tasks) would
    # trip at 55 s: the deployer judged the stopped tasks itself first.
    assert push.verdict_at_seconds == by_default.verdict_at_seconds == 20
    assert push.reason == "ECS deployment circuit breaker: tasks failed to start."
    assert by_default.reason.startswith("CannotPullContainerError")
    assert report.final.tag == "v1" and report.final.healthy
    assert len(report.alerts) == 1


def test_describe_services_shows_the_breaker_as_the_scenario_configures_it() -> None:
    def breaker_of(circuit_breaker: dict[str, object]) -> dict[str, object]:
        scenario = parse_scenario({"service": {"circuit_breaker": circuit_breaker}, "pushes": []})
        with LocalCloud(scenario) as cloud:
            ecs = cloud.session.client("ecs")
            [service] = ecs.describe_services(cluster="aiuteur-cluster", services=["aiuteur-backend-service"])[
                "services"
            ]
            return dict(service["deploymentConfiguration"]["deploymentCircuitBreaker"])

    assert breaker_of({}) == {"enable": True, "rollback": True}
    assert breaker_of({"threshold": {"type": "COUNT", "value": 3}, "reset_on_healthy_task": False}) == {
        "enable": True,
        "rollback": True,
        "resetOnHealthyTask": False,
        "thresholdConfiguration": {"type": "COUNT", "value": 3},
    }
