"""The metric judge: the new version's requests against the stable version's, over the same window.

A version that is alive but wrong (a share of its requests answered 5XX, its slowest requests slower)
passes every health check. The judge compares what the load balancer measured for each version's target
group over the same minutes and says `degraded`, `clean` or `insufficient` (not enough requests yet).
Pure: the numbers come from CloudWatch through an adapter; no AWS call here.

What is compared, per version, over the window:
- errors: HTTPCode_Target_5XX_Count out of RequestCount;
- slow requests: TargetResponseTime samples above the stable version's p99 over the window, counted with
  CloudWatch's percentile-rank statistic (`PR(threshold:)`, the share of samples above a value, times
  SampleCount). The stable version has about 1 % of its requests there by definition; a version whose
  slowest requests are slower has more.
ALB metrics: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
Percentile rank: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html

The test, the same for both counts: the exact conditional test of two Poisson rates. Given that k events
(errors, or slow requests) occurred among both versions' requests, and the versions are alike, the new
version's share of the k events follows Binomial(k, n_new / (n_new + n_old)); the p-value is the chance of
the new version's count or more (Przyborowski and Wilenski, 1940, Biometrika 31, "Homogeneity of results
in testing samples from Poisson series"; Gu, Ng, Tang and Schucany, 2008, Biometrical Journal 50,
"Testing the ratio of two Poisson rates"). It is exact at the small counts a canary yields (a healthy
version answers about 0.1 % 5XX: a few errors a minute), where a normal approximation is not.

A verdict is `degraded` only when a count is significant *and* worse by a margin that matters (`min_*`):
many requests make a tiny difference significant, and noise must never roll a healthy version back. The
judge is asked again at every metric period while evidence accrues, so the false-positive rate is spent
across looks: each look tests at alpha / (looks x 2 counts) (Bonferroni), so that a healthy version is
rolled back with probability at most `false_positive_rate` over its whole judgement.
"""

from __future__ import annotations

import math
from enum import StrEnum

from pydantic import Field

from pushdeploy.base import Frozen


class Decision(StrEnum):
    DEGRADED = "degraded"  # worse than the stable version, significantly and by a margin that matters
    CLEAN = "clean"  # enough requests, and nothing worse: go on
    INSUFFICIENT = "insufficient"  # too few requests on one side to judge yet


class JudgePolicy(Frozen):
    """How a target's new version is judged by its metrics; every field has a default for a web service."""

    # At most this chance that a healthy version is judged degraded over its whole judgement.
    false_positive_rate: float = Field(0.001, gt=0, lt=0.5)
    # How many times the judge is asked at most (one per metric period until the bake ends).
    looks: int = Field(10, ge=1, le=1440)
    # Requests each version must have answered in the window before anything is judged.
    min_requests: int = Field(200, ge=1)
    # How much higher the new 5XX rate must be to matter (absolute: 0.005 is half a percentage point).
    min_error_rate_increase: float = Field(0.005, ge=0, le=1)
    # How much higher the new share of requests slower than the stable p99 must be to matter.
    min_slow_share_increase: float = Field(0.02, ge=0, le=1)

    @property
    def alpha_per_test(self) -> float:
        return self.false_positive_rate / (self.looks * 2)


class Window(Frozen):
    """What the load balancer measured for one version's target group over the window."""

    requests: int = Field(ge=0)  # RequestCount, Sum
    errors: int = Field(ge=0)  # HTTPCode_Target_5XX_Count, Sum
    p99_seconds: float | None = Field(default=None, ge=0)  # TargetResponseTime, p99
    # Requests slower than the stable version's p99 (PR statistic x SampleCount); None: not measured.
    slow: int | None = Field(default=None, ge=0)

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @property
    def slow_share(self) -> float:
        return (self.slow or 0) / self.requests if self.requests else 0.0


class Comparison(Frozen):
    """One count compared: both versions' rates, the p-value and whether it decides."""

    metric: str  # "5XX rate" or "share slower than the stable p99"
    new_rate: float
    old_rate: float
    p_value: float
    significant: bool
    matters: bool

    @property
    def degraded(self) -> bool:
        return self.significant and self.matters

    def describe(self) -> str:
        return (
            f"{self.metric}: new {self.new_rate:.2%} vs stable {self.old_rate:.2%} "
            f"(p = {self.p_value:.2g}{', significant' if self.significant else ''})"
        )


class MetricJudgement(Frozen):
    decision: Decision
    reason: str
    new: Window
    old: Window
    comparisons: list[Comparison] = Field(default_factory=list)


def judge(new: Window, old: Window, policy: JudgePolicy) -> MetricJudgement:
    """The new version's window against the stable version's, as the module describes."""
    if min(new.requests, old.requests) < policy.min_requests:
        short = "new" if new.requests < policy.min_requests else "stable"
        reason = f"the {short} version answered fewer than {policy.min_requests} requests in the window"
        return MetricJudgement(decision=Decision.INSUFFICIENT, reason=reason, new=new, old=old)
    comparisons = [
        _compare("5XX rate", new.errors, new.requests, old.errors, old.requests, policy.min_error_rate_increase, policy)
    ]
    if new.slow is not None and old.slow is not None:
        comparisons.append(
            _compare(
                "share slower than the stable p99",
                new.slow,
                new.requests,
                old.slow,
                old.requests,
                policy.min_slow_share_increase,
                policy,
            )
        )
    worse = [c for c in comparisons if c.degraded]
    decision = Decision.DEGRADED if worse else Decision.CLEAN
    reason = "; ".join(c.describe() for c in worse or comparisons)
    return MetricJudgement(decision=decision, reason=reason, new=new, old=old, comparisons=comparisons)


def _compare(
    metric: str, new_events: int, new_total: int, old_events: int, old_total: int, margin: float, policy: JudgePolicy
) -> Comparison:
    p_value = poisson_rates_p_value(new_events, new_total, old_events, old_total)
    new_rate, old_rate = new_events / new_total, old_events / old_total
    return Comparison(
        metric=metric,
        new_rate=new_rate,
        old_rate=old_rate,
        p_value=p_value,
        significant=p_value < policy.alpha_per_test,
        matters=new_rate - old_rate >= margin,
    )


def poisson_rates_p_value(new_events: int, new_exposure: int, old_events: int, old_exposure: int) -> float:
    """One-sided p-value that the new rate exceeds the old: P(X >= new_events) for
    X ~ Binomial(new_events + old_events, new_exposure / (new_exposure + old_exposure))."""
    total = new_events + old_events
    if total == 0 or new_events == 0:
        return 1.0
    share = new_exposure / (new_exposure + old_exposure)
    return min(1.0, binomial_upper_tail(new_events, total, share))


def binomial_upper_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed in log space (n may be in the thousands)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    terms = [_log_comb(n, i) + i * log_p + (n - i) * log_q for i in range(k, n + 1)]
    top = max(terms)
    return math.exp(top) * sum(math.exp(t - top) for t in terms)


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
