"""One push that feeds 50 services: how fast pushdeploy calls AWS, against the throttling limits."""

from __future__ import annotations

from collections import Counter

from bench.cases import FANOUT_SERVICES, fanout_scenario
from bench.limits import against_limits
from bench.measurements import Fanout
from bench.systems import pushdeploy_report, quiet
from pushdeploy.outcome import Outcome


def fanout(services: int = FANOUT_SERVICES) -> Fanout:
    scenario = fanout_scenario(services)
    with quiet():
        report, cloud = pushdeploy_report(scenario, watch=False)
    (push,) = report.pushes
    verdicts = sorted(t.verdict_at_seconds for t in push.targets if t.verdict_at_seconds is not None)
    outcomes = Counter(Outcome(t.outcome) for t in push.targets)
    return Fanout(
        services=services,
        watch_seconds=scenario.deployer.policy()["watch_seconds"],
        outcomes=dict(outcomes),
        first_verdict_s=verdicts[0] if verdicts else None,
        last_verdict_s=verdicts[-1] if verdicts else None,
        verdicts_by_second={f"{at:g}": n for at, n in sorted(Counter(verdicts).items())},
        finished_s=push.finished_at_seconds,
        transitions=report.cost.state_transitions,
        lambda_invocations=report.cost.lambda_invocations,
        usd=round(report.cost.usd, 5),
        api_calls=sum(report.api_calls.values()),
        api_calls_by_operation=dict(sorted(report.api_calls.items())),
        limits=against_limits(cloud.calls),
    )
