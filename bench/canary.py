"""A version that is alive but wrong (a share of its requests answered 5XX): how many bad requests each way
of deploying serves, and how soon it decides; and how often pushdeploy's canary judge rolls back a healthy one.

Every `canary_errors` run is the Phase 4 service (desired count DESIRED_COUNT) receiving REQUESTS_PER_SECOND
from its first instant, the new version pushed at PUSH_AT_SECONDS (so that the stable version has minutes of
requests behind it, which the rolling watch judges against) and watched for WINDOW_SECONDS after the push:
`bad_requests` are the 5XX the new version's tasks answered in [push, push + WINDOW_SECONDS), counted by the
local cloud's traffic model (pushdeploy_local.traffic) per image.

- `rolling_cb`: ECS's rolling deployment with the circuit breaker only (register, UpdateService, nothing
  else: bench.systems.Tool). Its tasks pass their health checks, so the breaker never trips and the version
  serves until the window ends. `verdict_s`: when ECS marked the deployment COMPLETED (its only verdict).
- `rolling_pushdeploy`: pushdeploy on the rolling strategy, its watch after the healthy verdict judging the
  service's requests after the deployment against before it (pushdeploy.judge).
- `pushdeploy_canary`: ECS's canary (CANARY_PERCENT of production for CANARY_BAKE_SECONDS, then all of it),
  pushdeploy's Lambda its lifecycle hook (pushdeploy.steps.hook).
- `ecs_canary_alarm` (ECS's canary rolled back by a CloudWatch alarm on the 5XX count) is not measured: the
  local cloud's ECS model has no deployment alarms (deploymentConfiguration.alarms) and its alarms change
  state only when a scenario sets them, not by evaluating metrics; a row for it would be invented. LEFT_OUT
  says so in the rows' place.

`canary_healthy_runs`: see `healthy_decisions` (the decision path, cheaply, for HEALTHY_RUNS seeds) and
`healthy_full_runs` (a few whole local-cloud runs of the same canary).
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from typing import Any, Literal
from unittest import mock

from pydantic import TypeAdapter

from bench.observe import RecordingCloud
from bench.rows import Record
from bench.systems import Tool, quiet
from pushdeploy.judge import JudgePolicy, Window, judge
from pushdeploy.outcome import Outcome
from pushdeploy.steps.hook import decide
from pushdeploy_local import runner
from pushdeploy_local.moto_hooks.cloudwatch_percentiles import statistic
from pushdeploy_local.scenario import Healthy, Scenario, parse_scenario
from pushdeploy_local.traffic import METRIC_PERIOD_SECONDS, answer_of, bucket_seconds

CanarySystem = Literal["rolling_cb", "rolling_pushdeploy", "ecs_canary_alarm", "pushdeploy_canary"]

REQUESTS_PER_SECOND = 50.0
CANARY_PERCENT = 10.0
# canary-errors.json's ECS canary: 5 minutes at the canary share, then a minute's bake at all of it.
CANARY_BAKE_SECONDS = 300
BAKE_SECONDS = 60
DESIRED_COUNT = 2
PUSH_AT_SECONDS = 600.0
WINDOW_SECONDS = 1800.0
ERROR_RATES = (0.2, 0.05, 0.02)
SEED = 0
CANARY_SYSTEMS: tuple[CanarySystem, ...] = ("rolling_cb", "rolling_pushdeploy", "pushdeploy_canary")
LEFT_OUT: dict[str, str] = {
    "ecs_canary_alarm": "the local cloud's ECS model has no deployment alarms (deploymentConfiguration.alarms) "
    "and its CloudWatch alarms change state only when a scenario sets them, never by evaluating the 5XX "
    "metric: ECS's own alarm rollback cannot be run faithfully, so it is not measured"
}
HEALTHY_RUNS = 200
HEALTHY_FULL_RUNS = 5
HOOK = "HookFunction"


class CanaryRow(Record):
    """One system's run of a new version answering `error_rate` of its requests 5XX."""

    scenario: Literal["canary_errors"] = "canary_errors"
    system: CanarySystem
    error_rate: float
    bad_requests: int  # 5XX the new version answered in the window
    verdict_s: float | None  # the system's verdict, seconds after the push; None: none within the window
    hook_failed_s: float | None = None  # the canary's: when the hook answered FAILED (ECS then moves traffic back)
    failed_at_percent: float | None = None  # the new version's share of production traffic then (the payload's)
    rolled_back: bool
    window_s: float
    # The canary's: when production traffic first reached it, and when it had the judge's minimum sample.
    canary_traffic_s: float | None = None
    minimum_sample_s: float | None = None


class HealthyRunsRow(Record):
    """Runs of a healthy version on pushdeploy's canary, and how many of them it rolled back."""

    scenario: Literal["canary_healthy_runs"] = "canary_healthy_runs"
    system: Literal["pushdeploy_canary"] = "pushdeploy_canary"
    runs: int
    false_rollbacks: int
    method: Literal["decision_path", "full_run"]


AnyCanaryRow = CanaryRow | HealthyRunsRow
CANARY_ROWS: TypeAdapter[list[AnyCanaryRow]] = TypeAdapter(list[AnyCanaryRow])


def canary_scenario(system: CanarySystem, error_rate: float | None, seed: int = SEED) -> Scenario:
    """The run of `system` with a new version answering `error_rate` 5XX (None: a healthy version)."""
    service: dict[str, Any] = {"desired_count": DESIRED_COUNT, "traffic": {"requests_per_second": REQUESTS_PER_SECOND}}
    if system == "pushdeploy_canary":
        service["deployment"] = {
            "strategy": "canary",
            "canary_percent": CANARY_PERCENT,
            "canary_bake_seconds": CANARY_BAKE_SECONDS,
            "bake_seconds": BAKE_SECONDS,
        }
    behavior = {"kind": "healthy"} if error_rate is None else {"kind": "errors", "error_rate": error_rate}
    return parse_scenario(
        {
            "name": f"canary-errors-{system}-{error_rate}-{seed}",
            "world": {"seed": seed},
            "service": service,
            "pushes": [{"at_seconds": PUSH_AT_SECONDS, "tag": "v2", "behavior": behavior}],
        }
    )


def minimum_sample_seconds(policy: JudgePolicy) -> float:
    """The minimum sample, in time: how long the canary takes to answer the judge's JudgePolicy.min_requests
    at its share of the bench's traffic, from the moment production traffic first reaches it."""
    return policy.min_requests / (REQUESTS_PER_SECOND * CANARY_PERCENT / 100)


class _HookTimes(RecordingCloud):
    """The recording cloud, also noting when ECS invoked the hook at each lifecycle stage."""

    def __init__(self, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(scenario, **kwargs)
        # (virtual seconds, stage, the hook's answer, the new version's production traffic weight in the payload)
        self.hook_calls: list[tuple[float, str, str, float | None]] = []

    def invoke(self, function_name: str, event: Any) -> Any:
        answer = super().invoke(function_name, event)
        if function_name == HOOK and isinstance(event, dict):
            status = answer.get("hookStatus") if isinstance(answer, dict) else None
            details = event.get("executionDetails") or {}
            weight = (details.get("productionTrafficWeights") or {}).get(details.get("targetServiceRevisionArn"))
            self.hook_calls.append((self.clock.now, str(event.get("lifecycleStage")), str(status), weight))
        return answer


def measure(system: CanarySystem, error_rate: float) -> CanaryRow:
    """One `canary_errors` row."""
    if system == "rolling_cb":
        return _rolling_cb(error_rate)
    scenario = canary_scenario(system, error_rate)
    made: list[_HookTimes] = []

    def cloud(scenario: Scenario) -> _HookTimes:
        made.append(_HookTimes(scenario, observe_until=PUSH_AT_SECONDS + WINDOW_SECONDS, watch=False))
        return made[-1]

    with quiet(), mock.patch.object(runner, "LocalCloud", cloud):
        report = runner.run(scenario)
    (push,) = report.pushes
    assert push.digest is not None
    calls = made[0].hook_calls
    shifted = [at for at, stage, _, _ in calls if stage == "PRODUCTION_TRAFFIC_SHIFT"]
    failed = [(at, weight) for at, _, status, weight in calls if status == "FAILED"]
    return CanaryRow(
        system=system,
        error_rate=error_rate,
        bad_requests=_bad(made[0], push.digest),
        verdict_s=None if push.verdict_at_seconds is None else push.verdict_at_seconds - PUSH_AT_SECONDS,
        hook_failed_s=failed[0][0] - PUSH_AT_SECONDS if failed else None,
        failed_at_percent=failed[0][1] if failed else None,
        rolled_back=push.outcome == Outcome.ROLLED_BACK,
        window_s=WINDOW_SECONDS,
        canary_traffic_s=shifted[0] - PUSH_AT_SECONDS if shifted else None,
        minimum_sample_s=shifted[0] + minimum_sample_seconds(JudgePolicy()) - PUSH_AT_SECONDS if shifted else None,
    )


def _rolling_cb(error_rate: float) -> CanaryRow:
    scenario = canary_scenario("rolling_cb", error_rate)
    with quiet(), RecordingCloud(scenario) as cloud:
        cloud.run_until(PUSH_AT_SECONDS)
        tool = Tool(cloud)
        push = scenario.pushes[0]
        assert push.tag is not None
        digest = cloud.push_image(tool.repository, push.tag, push.behavior)
        tool.deploy(digest)
        cloud.run_until(PUSH_AT_SECONDS + WINDOW_SECONDS)
        assert cloud.timeline is not None
        completed, rolled_back = cloud.timeline.new_completed_at, cloud.timeline.rollback_at is not None
    return CanaryRow(
        system="rolling_cb",
        error_rate=error_rate,
        bad_requests=_bad(cloud, digest),
        verdict_s=None if completed is None else completed - PUSH_AT_SECONDS,
        rolled_back=rolled_back,
        window_s=WINDOW_SECONDS,
    )


def _bad(cloud: RecordingCloud, digest: str) -> int:
    return cloud.traffic.bad_requests(digest, since=PUSH_AT_SECONDS, until=PUSH_AT_SECONDS + WINDOW_SECONDS)


# ---------------------------------------------------------------------------------------------- healthy runs


def healthy_decisions(runs: int = HEALTHY_RUNS, policy: JudgePolicy | None = None) -> HealthyRunsRow:
    """The canary hook's decision path for `runs` seeds of a healthy version, without the rest of the cloud.

    Exercised: the traffic model's own draws (a healthy image's answer, `answer_of(Healthy())`: its 5XX share
    and its response-time buckets; the weighted split of each minute's requests between the two target groups
    as binomial draws), the window statistics as the local CloudWatch computes them (`statistic`, the same
    p99 and PR(p99:) functions moto is hooked with; slow = PR x SampleCount, as the hook's reader rounds it),
    and the real `pushdeploy.judge.judge` and `pushdeploy.steps.hook.decide` with the default JudgePolicy.
    Not exercised: ECS's lifecycle and the hook's Lambda (its payload, its lock item), moto's CloudWatch
    storage and GetMetricData, the ALB's routing across targets (each minute's share of the canary is the
    weight, as there), the publish delay (every look sees every minute before it: more data, never less), the
    stable version's minutes before the canary step (the hook's windows start at its first call, at
    POST_TEST_TRAFFIC_SHIFT: the stable side has more requests there than here).

    Each run looks at every metric period from the first minute of canary traffic until the bake ends
    (CANARY_BAKE_SECONDS at CANARY_PERCENT, then BAKE_SECONDS with all the traffic), each look the whole
    window since the first: at least every look the hook makes (it stops looking at a stage once `clean`),
    so a false rollback here is at least as likely as in the product. One `degraded` look is a rollback.
    """
    policy = policy or JudgePolicy()
    answer = answer_of(Healthy())
    per_minute = int(REQUESTS_PER_SECOND * METRIC_PERIOD_SECONDS)
    canary_minutes = CANARY_BAKE_SECONDS // METRIC_PERIOD_SECONDS
    minutes = canary_minutes + math.ceil(BAKE_SECONDS / METRIC_PERIOD_SECONDS)
    false_rollbacks = 0
    for seed in range(runs):
        rng = random.Random(f"{seed}:traffic")  # how the traffic model seeds its draws (Traffic.__init__)
        sides: dict[str, list[int]] = {"stable": [0, 0], "new": [0, 0]}
        latencies: dict[str, Counter[int]] = {"stable": Counter(), "new": Counter()}
        rolled_back = False
        for minute in range(minutes):
            share = CANARY_PERCENT / 100 if minute < canary_minutes else 1.0
            new_requests = rng.binomialvariate(per_minute, share) if share < 1 else per_minute
            for side, requests in (("new", new_requests), ("stable", per_minute - new_requests)):
                if requests:
                    sides[side][0] += requests
                    sides[side][1] += rng.binomialvariate(requests, answer.error_rate)
                    latencies[side].update(answer.latency_buckets(requests, rng))
            stable, new = _windows(sides, latencies)
            stage = "PRODUCTION_TRAFFIC_SHIFT" if minute < canary_minutes else "POST_PRODUCTION_TRAFFIC_SHIFT"
            status, _ = decide(stage, judge(new, stable, policy), minute + 1, policy.looks, policy.min_requests)
            if status == "FAILED":
                rolled_back = True
                break
            # A stage judged clean moves on; nothing the hook does later sees less than this window.
        false_rollbacks += rolled_back
    return HealthyRunsRow(runs=runs, false_rollbacks=false_rollbacks, method="decision_path")


def _windows(sides: dict[str, list[int]], latencies: dict[str, Counter[int]]) -> tuple[Window, Window]:
    """(stable, new) as the hook's reader builds them: the stable p99, each side's count slower than it."""
    values = {side: [(bucket_seconds(k), float(c)) for k, c in counts.items()] for side, counts in latencies.items()}
    p99 = statistic("p99", values["stable"])

    def window(side: str) -> Window:
        requests, errors = sides[side]
        slow = None
        if p99 is not None:
            rank = statistic(f"PR({p99}:)", values[side]) or 0.0
            slow = round(rank / 100 * requests)
        return Window(requests=requests, errors=errors, p99_seconds=p99 if side == "stable" else None, slow=slow)

    return window("stable"), window("new")


def healthy_full_runs(runs: int = HEALTHY_FULL_RUNS) -> HealthyRunsRow:
    """Whole local-cloud runs of the same canary with a healthy version, seeds 0 to runs - 1."""
    false_rollbacks = 0
    for seed in range(runs):
        with quiet():
            report = runner.run(canary_scenario("pushdeploy_canary", None, seed))
        (push,) = report.pushes
        if push.outcome not in (Outcome.DEPLOYED, Outcome.ROLLED_BACK):  # never judged: not a run to count
            raise RuntimeError(f"healthy canary run {seed}: {push.outcome}: {push.reason}")
        false_rollbacks += push.outcome == Outcome.ROLLED_BACK
    return HealthyRunsRow(runs=runs, false_rollbacks=false_rollbacks, method="full_run")


def dump(rows: list[AnyCanaryRow]) -> str:
    """bench/canary.json's text."""
    return json.dumps([r.model_dump(mode="json") for r in rows], indent=1) + "\n"


def load(text: str) -> list[AnyCanaryRow]:
    return CANARY_ROWS.validate_json(text)
