"""The throttling replay of the 50-service push: token buckets and peak rates (aws-facts.md's limits)."""

from __future__ import annotations

from bench.limits import BUCKETS, against_limits, peak_per_second, token_bucket
from bench.observe import Call


def test_a_burst_within_the_bucket_is_not_throttled_and_one_beyond_it_is():
    assert token_bucket([0.0] * 20, burst=20, per_second=1) == (0.0, 0)
    fewest, throttled = token_bucket([0.0] * 21, burst=20, per_second=1)
    assert (fewest, throttled) == (0.0, 1)


def test_the_bucket_refills_at_its_sustained_rate():
    # Given an empty bucket at 0 s, When 5 s pass at 1 token/s, Then 5 more calls fit and the 6th does not
    calls = [0.0] * 20 + [5.0] * 6
    assert token_bucket(calls, burst=20, per_second=1)[1] == 1


def test_peak_per_second_counts_the_busiest_one_second_window():
    assert peak_per_second([0.0, 0.5, 0.9, 1.0, 1.2, 3.0]) == 4
    assert peak_per_second([0.0, 1.0, 2.0]) == 1


def test_calls_are_charged_to_the_bucket_of_their_row_and_unlisted_ones_are_named():
    calls = [Call(0.0, "ecs:ListTasks", "CheckFunction"), Call(0.0, "ecs:DescribeTasks", "CheckFunction")]
    calls += [Call(0.0, "elasticloadbalancing:DescribeTargetHealth", "CheckFunction")] * 41
    calls += [Call(0.0, "dynamodb:PutItem", "LockFunction")]

    found = against_limits(calls)

    loads = {load.bucket: load for load in found.buckets}
    assert loads["ECS DescribeTasks, ListTasks"].calls == 2
    assert loads["ELBv2 Describe* (DescribeTargetHealth)"].throttled == 1
    assert found.below_every_limit is False
    assert found.no_limit_listed == {"dynamodb:PutItem": 1}
    assert len(found.buckets) == len(BUCKETS)
