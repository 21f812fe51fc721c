"""The "A version alive but wrong" section: bad requests served by each way of deploying a version that answers
a share of its requests 5XX, and pushdeploy's canary on healthy versions."""

from __future__ import annotations

from bench.canary import (
    BAKE_SECONDS,
    CANARY_BAKE_SECONDS,
    CANARY_PERCENT,
    DESIRED_COUNT,
    LEFT_OUT,
    PUSH_AT_SECONDS,
    REQUESTS_PER_SECOND,
    WINDOW_SECONDS,
    AnyCanaryRow,
    CanaryRow,
    HealthyRunsRow,
)
from bench.render.cells import n, table

LABELS = {
    "rolling_cb": "ECS rolling, circuit breaker only",
    "rolling_pushdeploy": "pushdeploy, rolling (the watch's judge)",
    "pushdeploy_canary": "ECS canary, pushdeploy's hook",
}
METHODS = {
    "decision_path": "the hook's decision path on the traffic model's draws",
    "full_run": "whole local-cloud runs",
}


def section(rows: list[AnyCanaryRow], measured_on: str = "") -> list[str]:
    """`measured_on`: what the rows were measured on, when not by the whole bench (cells.remeasured)."""
    head = ["", "## A version alive but wrong: canary against rolling", ""]
    errors = [r for r in rows if isinstance(r, CanaryRow)]
    healthy = [r for r in rows if isinstance(r, HealthyRunsRow)]
    if not rows:
        return [*head, "The canary runs were not measured.", ""]
    out = [
        *head,
        f"The Phase 4 service (desired {DESIRED_COUNT}) receives {REQUESTS_PER_SECOND:g} requests a second through "
        f"its load balancer from its first instant; the new version, pushed at {PUSH_AT_SECONDS:g} s, answers "
        "`error_rate` of its requests 5XX and passes every health check. The window is the "
        f"{WINDOW_SECONDS:g} s after the push: `bad_requests` are the 5XX the new version's tasks answered in it "
        "(the local cloud's traffic model counts them per image). The canary is ECS's own: "
        f"{CANARY_PERCENT:g} % of production traffic for {CANARY_BAKE_SECONDS} s, then all of it and a "
        f"{BAKE_SECONDS} s bake. `verdict_s`: the system's verdict after the push (for ECS's rolling deployment, "
        "the moment it marked the deployment COMPLETED: the breaker counts failed tasks, and these tasks never "
        "fail, so the version stays until the window ends); `hook_failed_s`: when pushdeploy's hook answered "
        "FAILED and ECS began moving the traffic back, with the new version's share of production traffic at that "
        "moment (the hook payload's weights: the canary's share, or all of it once the canary bake had passed); "
        "`canary_traffic_s`: when production traffic first reached "
        "the canary; `minimum_sample_s`: when the canary had answered the judge's minimum sample "
        "(JudgePolicy.min_requests) at its share of the traffic. All seconds after the push, virtual." + measured_on,
        "",
    ]
    body = [
        [
            LABELS.get(r.system, r.system),
            n(r.error_rate),
            str(r.bad_requests),
            n(r.verdict_s),
            n(r.hook_failed_s),
            n(r.failed_at_percent, " %"),
            "yes" if r.rolled_back else "no",
            n(r.canary_traffic_s),
            n(r.minimum_sample_s),
        ]
        for r in sorted(errors, key=lambda r: (-r.error_rate, list(LABELS).index(r.system)))
    ]
    out += table(
        [
            "system",
            "error_rate",
            "bad_requests",
            "verdict_s",
            "hook_failed_s",
            "new version's share then",
            "rolled back",
            "canary_traffic_s",
            "minimum_sample_s",
        ],
        body,
    )
    for system, why in LEFT_OUT.items():
        out += ["", f"`{system}` is left out: {why}."]
    out += [
        "",
        "Healthy canaries (every version answers about 0.1 % 5XX, p99 near 200 ms). The decision path: for each "
        "seed, the same seeded draws the local cloud's traffic model makes (a healthy image's 5XX share and "
        "response-time buckets, each minute's requests split between the two target groups by the canary's "
        "weight), the windows' statistics by the local CloudWatch's own p99 and percentile-rank functions, and "
        "the real `pushdeploy.judge.judge` and `pushdeploy.steps.hook.decide`, asked at every metric period "
        "from the canary's first minute until the bake ends (at least every look the hook makes). Not exercised "
        "there: ECS's lifecycle, the hook's Lambda, its payload and lock item, moto's CloudWatch storage and "
        "GetMetricData, the ALB's routing across tasks, the publish delay, the stable version's minutes before the "
        "canary step (the hook's windows start at its first call, at the test traffic stage). The whole "
        "local-cloud runs exercise all of it, for a few seeds.",
        "",
    ]
    out += table(
        ["method", "runs", "false rollbacks"],
        [[METHODS[r.method], str(r.runs), str(r.false_rollbacks)] for r in healthy],
    )
    return [*out, ""]
