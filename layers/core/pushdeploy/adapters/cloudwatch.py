"""Amazon CloudWatch: which of a rollout's alarms are firing, which of a target's alarms do not exist, and what
the load balancer measured for two target groups over a window (the metric judge's evidence)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pushdeploy.adapters.aws import client, translate_throttling
from pushdeploy.judge import Window

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import MetricDataQueryTypeDef


@translate_throttling
def alarms_in_alarm(names: list[str], *, cloudwatch: CloudWatchClient | None = None) -> dict[str, datetime | None]:
    """Those of `names` in ALARM, each with when it entered ALARM (StateTransitionedTimestamp: when its state
    last changed, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricAlarm.html;
    None if CloudWatch did not say)."""
    if not names:
        return {}
    cloudwatch = cloudwatch or client("cloudwatch")
    answer = cloudwatch.describe_alarms(AlarmNames=names, StateValue="ALARM")
    alarms = [*answer.get("MetricAlarms", []), *answer.get("CompositeAlarms", [])]
    return {a["AlarmName"]: a.get("StateTransitionedTimestamp") for a in alarms}


# DescribeAlarms takes at most 100 AlarmNames (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
NAMES_PER_CALL = 100


@translate_throttling
def missing_alarms(names: list[str], *, cloudwatch: CloudWatchClient | None = None) -> list[str]:
    """The names among `names` of no metric alarm: DescribeAlarms answers a name no alarm has with nothing,
    so a policy watching one would never see it fire. Without AlarmTypes it describes metric alarms only,
    as `alarms_in_alarm` does, so a composite alarm's name is missing here too."""
    if not names:
        return []
    cloudwatch = cloudwatch or client("cloudwatch")
    wanted = list(dict.fromkeys(names))
    found: set[str] = set()
    for start in range(0, len(wanted), NAMES_PER_CALL):
        pages = cloudwatch.get_paginator("describe_alarms").paginate(AlarmNames=wanted[start : start + NAMES_PER_CALL])
        found.update(a["AlarmName"] for page in pages for a in page.get("MetricAlarms", []))
    return [name for name in wanted if name not in found]


# The ALB's metrics (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html)
# and CloudWatch's statistics, percentile rank among them
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html).
ALB_NAMESPACE = "AWS/ApplicationELB"
METRIC_PERIOD_SECONDS = 60


@translate_throttling
def stable_and_new_windows(
    load_balancer_arn: str,
    stable_target_group_arn: str,
    new_target_group_arn: str,
    start: datetime,
    end: datetime,
    *,
    cloudwatch: CloudWatchClient | None = None,
) -> tuple[Window, Window]:
    """(stable, new) judge.Window of each target group over [start, end): RequestCount and
    HTTPCode_Target_5XX_Count (Sum), TargetResponseTime p99 of the stable group, and each group's count of
    requests slower than the stable p99 (PR(<stable p99>:) x SampleCount); namespace AWS/ApplicationELB,
    dimensions LoadBalancer (app/<name>/<id>) and TargetGroup (targetgroup/<name>/<id>), period 60 s.

    The window is taken in whole metric periods (start rounded up, end down, to the minute), and each
    statistic is asked for with one period spanning it, so that the p99 is the window's own (a p99 of
    per-minute p99s is not). Two GetMetricData calls: the counts and the stable p99, then the percentile
    rank at that p99 (only when the stable group has one)."""
    cloudwatch = cloudwatch or client("cloudwatch")
    span = _whole_minutes(start, end)
    found = _fetch(
        cloudwatch,
        [
            *_counts(load_balancer_arn, "stable", stable_target_group_arn, span, p99=True),
            *_counts(load_balancer_arn, "new", new_target_group_arn, span),
        ],
        span,
    )
    p99 = found.get("stable_p99")
    groups = {"stable": stable_target_group_arn, "new": new_target_group_arn}
    if p99 is not None:
        ranks = [_slower_than(load_balancer_arn, side, group, span, p99) for side, group in groups.items()]
        found.update(_fetch(cloudwatch, ranks, span))
    return _window(found, "stable", p99), _window(found, "new", p99)


@translate_throttling
def before_and_after_windows(
    load_balancer_arn: str,
    target_group_arn: str,
    before: tuple[datetime, datetime],
    after: tuple[datetime, datetime],
    *,
    cloudwatch: CloudWatchClient | None = None,
) -> tuple[Window, Window]:
    """(before, after) judge.Window of one target group over two windows, as `stable_and_new_windows` measures
    two groups over one: the slow requests of each window are those slower than the before window's p99.
    Three GetMetricData calls (each takes one time range): the before window's counts and p99, its
    percentile rank at that p99, and the after window's counts and percentile rank."""
    cloudwatch = cloudwatch or client("cloudwatch")
    first, second = _whole_minutes(*before), _whole_minutes(*after)
    found = _fetch(cloudwatch, _counts(load_balancer_arn, "stable", target_group_arn, first, p99=True), first)
    p99 = found.get("stable_p99")
    later = _counts(load_balancer_arn, "new", target_group_arn, second)
    if p99 is not None:
        found.update(
            _fetch(cloudwatch, [_slower_than(load_balancer_arn, "stable", target_group_arn, first, p99)], first)
        )
        later.append(_slower_than(load_balancer_arn, "new", target_group_arn, second, p99))
    found.update(_fetch(cloudwatch, later, second))
    return _window(found, "stable", p99), _window(found, "new", p99)


Span = tuple[datetime, datetime]


def _whole_minutes(start: datetime, end: datetime) -> Span:
    """[start, end) narrowed to whole metric periods: start rounded up, end rounded down."""

    def floor(t: datetime) -> datetime:
        return t - timedelta(seconds=t.timestamp() % METRIC_PERIOD_SECONDS)

    first = floor(start)
    if first < start:
        first += timedelta(seconds=METRIC_PERIOD_SECONDS)
    return first, floor(end)


def _query(
    balancer_arn: str, side: str, group_arn: str, span: Span, metric: str, stat: str, key: str
) -> MetricDataQueryTypeDef:
    """One statistic of a target group's metric with one period spanning the window."""
    dimensions = [
        {"Name": "LoadBalancer", "Value": balancer_arn.split(":loadbalancer/", 1)[-1]},
        {"Name": "TargetGroup", "Value": group_arn.rsplit(":", 1)[-1]},
    ]
    return {
        "Id": f"{side}_{key}",
        "MetricStat": {
            "Metric": {"Namespace": ALB_NAMESPACE, "MetricName": metric, "Dimensions": dimensions},  # type: ignore[typeddict-item]
            "Period": max(METRIC_PERIOD_SECONDS, int((span[1] - span[0]).total_seconds())),
            "Stat": stat,
        },
    }


def _counts(balancer: str, side: str, group: str, span: Span, *, p99: bool = False) -> list[MetricDataQueryTypeDef]:
    queries = [
        _query(balancer, side, group, span, "RequestCount", "Sum", "requests"),
        _query(balancer, side, group, span, "HTTPCode_Target_5XX_Count", "Sum", "errors"),
        _query(balancer, side, group, span, "TargetResponseTime", "SampleCount", "samples"),
    ]
    if p99:
        queries.append(_query(balancer, side, group, span, "TargetResponseTime", "p99", "p99"))
    return queries


def _slower_than(balancer: str, side: str, group: str, span: Span, p99: float) -> MetricDataQueryTypeDef:
    # The threshold rounded up to the microsecond: a request at the p99 itself is not slower than it.
    threshold = f"{math.ceil(p99 * 1e6) / 1e6:.6f}"
    return _query(balancer, side, group, span, "TargetResponseTime", f"PR({threshold}:)", "slow")


def _window(found: dict[str, float], side: str, p99: float | None) -> Window:
    share = found.get(f"{side}_slow")
    return Window(
        requests=int(found.get(f"{side}_requests", 0)),
        errors=int(found.get(f"{side}_errors", 0)),
        p99_seconds=p99 if side == "stable" else None,
        slow=None if p99 is None else round((share or 0.0) / 100 * found.get(f"{side}_samples", 0.0)),
    )


def _fetch(cloudwatch: CloudWatchClient, queries: list[MetricDataQueryTypeDef], span: Span) -> dict[str, float]:
    """Each query's value over the window (a query without data points is absent: the ALB publishes a metric
    only when it is nonzero); nothing for an empty window."""
    start, end = span
    if end <= start or not queries:
        return {}
    found: dict[str, float] = {}
    pages = cloudwatch.get_paginator("get_metric_data").paginate(
        MetricDataQueries=queries, StartTime=start, EndTime=end
    )
    for page in pages:
        for result in page["MetricDataResults"]:
            if result.get("Values"):
                found[result["Id"]] = found.get(result["Id"], 0.0) + sum(result["Values"])
    return found
