"""ECS and ELBv2 API throttling (aws-facts.md, "API throttling"): a token bucket per account and Region.

https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html
https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-throttling.html

aws-facts.md lists some APIs together on one row; the bench treats each row as one shared bucket, which
can only overstate the load on it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bench.measurements import BucketLoad, Limits
from bench.observe import Call


@dataclass(frozen=True)
class Bucket:
    name: str
    operations: tuple[str, ...]  # service:Operation; a trailing "*" is a prefix
    burst: int
    per_second: int  # sustained

    def covers(self, operation: str) -> bool:
        return any(operation.startswith(o[:-1]) if o.endswith("*") else operation == o for o in self.operations)


BUCKETS = (
    Bucket("ECS DescribeServices, ListServices", ("ecs:DescribeServices", "ecs:ListServices"), 100, 20),
    Bucket("ECS UpdateService, CreateService", ("ecs:UpdateService", "ecs:CreateService"), 50, 5),
    Bucket("ECS RegisterTaskDefinition", ("ecs:RegisterTaskDefinition",), 20, 1),
    Bucket("ECS DescribeTaskDefinition", ("ecs:DescribeTaskDefinition",), 50, 20),
    Bucket("ECS DescribeTasks, ListTasks", ("ecs:DescribeTasks", "ecs:ListTasks"), 100, 20),
    Bucket(
        "ECS Describe/ListServiceDeployments",
        ("ecs:DescribeServiceDeployments", "ecs:ListServiceDeployments"),
        50,
        20,
    ),
    Bucket("ELBv2 Describe* (DescribeTargetHealth)", ("elasticloadbalancing:Describe*",), 40, 10),
)


def token_bucket(times: list[float], burst: int, per_second: float) -> tuple[float, int]:
    """Replay calls (virtual seconds) against a bucket that starts full: (fewest tokens left, calls throttled)."""
    tokens, last, fewest, throttled = float(burst), 0.0, float(burst), 0
    for at in sorted(times):
        tokens = min(float(burst), tokens + (at - last) * per_second)
        last = at
        if tokens >= 1:
            tokens -= 1
        else:
            throttled += 1
        fewest = min(fewest, tokens)
    return fewest, throttled


def peak_per_second(times: list[float]) -> int:
    """The most calls in any window of one second."""
    return busiest_second(times)[1]


def busiest_second(times: list[float]) -> tuple[float, int]:
    """(start, calls) of the one-second window with the most calls."""
    ordered, best, start = sorted(times), (0.0, 0), 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - 1:
            start += 1
        if end - start + 1 > best[1]:
            best = (ordered[start], end - start + 1)
    return best


def against_limits(calls: list[Call]) -> Limits:
    """Every bucket's load from these calls, and the calls aws-facts.md lists no limit for."""
    loads = []
    for bucket in BUCKETS:
        times = [c.at for c in calls if bucket.covers(c.operation)]
        fewest, throttled = token_bucket(times, bucket.burst, bucket.per_second)
        start, _ = busiest_second(times) if times else (0.0, 0)
        in_peak = [c for c in calls if bucket.covers(c.operation) and start <= c.at < start + 1]
        by_caller = Counter(f"{call.function or 'client'} {call.operation}" for call in in_peak)
        loads.append(
            BucketLoad(
                bucket=bucket.name,
                calls=len(times),
                peak_per_second=peak_per_second(times) if times else 0,
                burst=bucket.burst,
                sustained_per_second=bucket.per_second,
                fewest_tokens_left=round(fewest, 1),
                throttled=throttled,
                busiest_second_at=start,
                busiest_second_by_caller=dict(sorted(by_caller.items(), key=lambda item: -item[1])),
            )
        )
    unlisted = Counter(call.operation for call in calls if not any(b.covers(call.operation) for b in BUCKETS))
    return Limits(
        buckets=loads,
        below_every_limit=all(load.throttled == 0 for load in loads),
        peak_per_second_all=peak_per_second([c.at for c in calls]) if calls else 0,
        no_limit_listed=dict(sorted(unlisted.items())),
    )
