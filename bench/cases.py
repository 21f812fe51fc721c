"""What is measured: five image behaviours (scenarios.md) x three desired counts, on the Phase 4 service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.rows import MAIN_TIMING, Breaker, System, Timing
from pushdeploy_local.scenario import (
    DeployerSettings,
    ExtraService,
    InitialImage,
    MainServiceSpec,
    Push,
    Scenario,
    parse_scenario,
)

# Each behaviour with scenarios.md's defaults: crash 5 s after RUNNING, exit 1; late crash 120 s after
# RUNNING; pull error after 20 s; an unhealthy image answers the ALB health check with a wrong code.
BEHAVIOURS: dict[str, dict[str, Any]] = {
    "healthy": {"kind": "healthy"},
    "crash_on_start": {"kind": "crash"},
    "alb_unhealthy": {"kind": "unhealthy"},
    "pull_error": {"kind": "pull_error"},
    "late_crash": {"kind": "late_crash"},
}
DESIRED_COUNTS = (1, 3, 10)
SYSTEMS: tuple[System, ...] = ("pushdeploy", "circuit_breaker", "waiter", "poll_1s")
TIMINGS: tuple[Timing, ...] = ("realistic", "fast")
# The systems that rely on ECS's circuit breaker, run again with the strictest setting (realistic timing):
# the breaker alone, and pushdeploy, whose rollbacks race it.
STRICTEST_SYSTEMS: tuple[System, ...] = ("pushdeploy", "circuit_breaker")
# The strictest circuit breaker ECS documents: trip at the first failed task, never reset by a healthy one
# (API_DeploymentCircuitBreaker.html, API_ThresholdConfiguration.html; aws-facts.md, "Circuit breaker").
STRICTEST_BREAKER: dict[str, Any] = {"threshold": {"type": "COUNT", "value": 1}, "reset_on_healthy_task": False}
# The seed of every run's world: realistic durations are drawn from it, so a run replays exactly.
SEED = 0
# Virtual seconds every run is watched after the push: long enough for the waiter's 10-minute cap plus
# a rollback (aws-facts.md). A restore that has not happened by then is reported as null ("never").
HORIZON_SECONDS = 1200.0
FANOUT_SERVICES = 50


@dataclass(frozen=True)
class Case:
    scenario: str
    desired_count: int
    timing: Timing = MAIN_TIMING
    breaker: Breaker = "default"

    @property
    def behaviour(self) -> dict[str, Any]:
        return BEHAVIOURS[self.scenario]

    @property
    def bad(self) -> bool:
        return self.scenario != "healthy"

    def build(self, **deployer: Any) -> Scenario:
        """The Phase 4 service (the local cloud's defaults) at this desired count and circuit breaker, on this
        timing, one push of v2 at 0 s."""
        service: dict[str, Any] = {"desired_count": self.desired_count}
        if self.breaker == "strictest":
            service["circuit_breaker"] = STRICTEST_BREAKER
        return parse_scenario(
            {
                "name": f"{self.scenario}-{self.desired_count}-{self.timing}-{self.breaker}",
                "world": {"timing": self.timing, "seed": SEED},
                "service": service,
                "deployer": deployer,
                "pushes": [{"at_seconds": 0, "tag": "v2", "behavior": self.behaviour}],
            }
        )


def all_cases(timing: Timing = MAIN_TIMING, breaker: Breaker = "default") -> list[Case]:
    return [Case(scenario, count, timing, breaker) for scenario in BEHAVIOURS for count in DESIRED_COUNTS]


def all_runs() -> list[tuple[System, Case]]:
    """Every system on every case on each timing with the default breaker, then the systems that rely on the
    breaker with the strictest one (realistic timing)."""
    runs = [(system, case) for timing in TIMINGS for case in all_cases(timing) for system in SYSTEMS]
    return runs + [(system, case) for case in all_cases(breaker="strictest") for system in STRICTEST_SYSTEMS]


# pushdeploy run again with its watch after the healthy verdict off (the policy override of scenario.py's
# DeployerSettings), on the cases the watch is for: the late crash it should catch and the healthy deploy
# it should cost little.
WATCH_OFF: dict[str, Any] = {"watch_seconds": 0}
WATCH_CASES = [Case("late_crash", n) for n in DESIRED_COUNTS] + [Case("healthy", 1)]


def fanout_scenario(services: int = FANOUT_SERVICES) -> Scenario:
    """One healthy push that feeds `services` services (the Phase 4 one plus extra_services).

    The scenario schema caps extra_services at 20 (a guard for hand-written files); neither the local
    cloud nor the deployer has such a limit, so the bench builds this one without that check. Every
    nested model is still validated.
    """
    extra = [ExtraService(name=f"aiuteur-fanout{i:02d}-service", desired_count=1) for i in range(1, services)]
    return Scenario.model_construct(
        name=f"fanout-{services}",
        service=MainServiceSpec(),
        extra_services=extra,
        deployer=DeployerSettings(),
        initial=InitialImage(),
        pushes=[Push(at_seconds=0, tag="v2")],
    )
