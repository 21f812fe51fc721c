"""The metric judge: a version that is alive but wrong is told from a healthy one by its requests."""

from __future__ import annotations

import math
import random

import pytest
from pydantic import ValidationError

from pushdeploy.judge import Decision, JudgePolicy, Window, binomial_upper_tail, judge, poisson_rates_p_value

POLICY = JudgePolicy()
# A canary of 10 % of 50 requests a second: per minute 300 requests on the new version, 2,700 on the stable.
NEW_PER_MINUTE, OLD_PER_MINUTE = 300, 2700


def exact_tail(k: int, n: int, p: float) -> float:
    # math.log of the exact integer coefficient: no float overflow at n in the thousands
    return sum(
        math.exp(math.log(math.comb(n, i)) + i * math.log(p) + (n - i) * math.log1p(-p)) for i in range(k, n + 1)
    )


@pytest.mark.parametrize(("k", "n", "p"), [(1, 1, 0.5), (6, 9, 0.1), (0, 5, 0.3), (3, 20, 0.05), (20, 20, 0.9)])
def test_the_binomial_tail_is_exact(k, n, p):
    assert binomial_upper_tail(k, n, p) == pytest.approx(exact_tail(k, n, p), rel=1e-9)


def test_the_tail_of_large_counts_does_not_overflow():
    # 2,000 events: coefficients past the float range (C(2000, 1000) ~ 1e600), summed in log space
    assert binomial_upper_tail(240, 2000, 0.1) == pytest.approx(exact_tail(240, 2000, 0.1), rel=1e-6)
    assert 0 < binomial_upper_tail(400, 2000, 0.1) < 1e-20


def test_no_event_on_the_new_version_is_never_evidence_against_it():
    assert poisson_rates_p_value(0, 300, 50, 2700) == 1.0
    assert poisson_rates_p_value(0, 300, 0, 2700) == 1.0


def test_too_few_requests_are_not_judged_and_the_reason_says_which_side():
    judged = judge(Window(requests=150, errors=40), Window(requests=2700, errors=3), POLICY)
    assert judged.decision is Decision.INSUFFICIENT
    assert judged.reason == "the new version answered fewer than 200 requests in the window"


@pytest.mark.parametrize("error_rate", [0.2, 0.05, 0.02])
def test_a_version_answering_errors_is_degraded_within_two_metric_periods(error_rate):
    # Two minutes of the canary at the expected counts, the stable version at its 0.1 % noise
    new = Window(requests=2 * NEW_PER_MINUTE, errors=round(2 * NEW_PER_MINUTE * error_rate))
    old = Window(requests=2 * OLD_PER_MINUTE, errors=round(2 * OLD_PER_MINUTE * 0.001))
    judged = judge(new, old, POLICY)
    assert judged.decision is Decision.DEGRADED
    assert judged.reason.startswith(f"5XX rate: new {error_rate:.2%} vs stable {old.error_rate:.2%} (p = ")
    assert judged.comparisons[0].p_value < POLICY.alpha_per_test


def test_a_difference_too_small_to_matter_is_clean_however_significant():
    # A million requests each: 0.15 % against 0.10 % is significant, and not worth a rollback
    judged = judge(Window(requests=10**6, errors=1500), Window(requests=10**6, errors=1000), POLICY)
    [errors] = judged.comparisons
    assert errors.significant and not errors.matters
    assert judged.decision is Decision.CLEAN


def test_a_version_whose_slowest_requests_are_slower_is_degraded():
    # 1 % of the stable version's requests are above its own p99; 12 % of the new version's
    new = Window(requests=600, errors=1, p99_seconds=3.0, slow=72)
    old = Window(requests=5400, errors=5, p99_seconds=0.2, slow=54)
    judged = judge(new, old, POLICY)
    assert judged.decision is Decision.DEGRADED
    assert [c.metric for c in judged.comparisons if c.degraded] == ["share slower than the stable p99"]


def test_each_look_spends_its_share_of_the_false_positive_rate():
    assert JudgePolicy(false_positive_rate=0.001, looks=10).alpha_per_test == pytest.approx(0.00005)
    with pytest.raises(ValidationError, match="false_positive_rate"):
        JudgePolicy(false_positive_rate=0)


def test_healthy_versions_with_realistic_noise_are_never_degraded():
    # Given 1,000 healthy canaries, each looked at 10 times over a growing window, every version at
    # 0.1 % 5XX and 1 % of requests above the stable p99 (seeded: the same draws every run)
    rng = random.Random(7)
    degraded = 0
    for _ in range(1000):
        new = old = Window(requests=0, errors=0, slow=0)
        for _minute in range(POLICY.looks):
            new = _add_minute(rng, new, NEW_PER_MINUTE)
            old = _add_minute(rng, old, OLD_PER_MINUTE)
            if judge(new, old, POLICY).decision is Decision.DEGRADED:
                degraded += 1
                break
    # Then none is rolled back (the bound allows one in 1,000; the margin makes even that unlikely)
    assert degraded == 0


def _add_minute(rng: random.Random, window: Window, requests: int) -> Window:
    return Window(
        requests=window.requests + requests,
        errors=(window.errors or 0) + rng.binomialvariate(requests, 0.001),
        slow=(window.slow or 0) + rng.binomialvariate(requests, 0.01),
    )
