"""Amazon CloudWatch: which of a rollout's alarms are firing, which of a target's alarms do not exist, and the
load balancer's metrics of the stable and the new version (the metric judge's windows)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pushdeploy.adapters.aws import client, translate_throttling
from pushdeploy.judge import Window

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient


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


# The ALB's metrics per target group: namespace AWS/ApplicationELB, dimensions LoadBalancer (app/<name>/<id>)
# and TargetGroup (targetgroup/<name>/<id>), one-minute periods.
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
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

    Two GetMetricData calls: the counts and the stable p99 over the whole window, then the share of each
    group's samples above that p99 (the percentile-rank statistic needs the threshold in its name).
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html"""
    cloudwatch = cloudwatch or client("cloudwatch")
    balancer = load_balancer_arn.split(":loadbalancer/", 1)[-1]
    groups = {"stable": stable_target_group_arn.rsplit(":", 1)[-1], "new": new_target_group_arn.rsplit(":", 1)[-1]}
    # The p99 and the percentile rank over the whole window: one datapoint of a period that covers it.
    whole = max(METRIC_PERIOD_SECONDS, -(-int((end - start).total_seconds()) // METRIC_PERIOD_SECONDS) * 60)

    def query(ident: str, group: str, metric: str, stat: str, period: int) -> dict[str, object]:
        dimensions = [{"Name": "LoadBalancer", "Value": balancer}, {"Name": "TargetGroup", "Value": groups[group]}]
        return {
            "Id": ident,
            "MetricStat": {
                "Metric": {"Namespace": ALB_NAMESPACE, "MetricName": metric, "Dimensions": dimensions},
                "Period": period,
                "Stat": stat,
            },
            "ReturnData": True,
        }

    def fetch(queries: list[dict[str, object]]) -> dict[str, list[float]]:
        values: dict[str, list[float]] = {str(q["Id"]): [] for q in queries}
        pages = cloudwatch.get_paginator("get_metric_data").paginate(
            MetricDataQueries=queries,  # type: ignore[arg-type]
            StartTime=start,
            EndTime=end,
        )
        for page in pages:
            for result in page.get("MetricDataResults", []):
                values[result["Id"]].extend(result.get("Values", []))
        return values

    counts = fetch(
        [
            *(query(f"requests_{g}", g, "RequestCount", "Sum", METRIC_PERIOD_SECONDS) for g in groups),
            *(query(f"errors_{g}", g, "HTTPCode_Target_5XX_Count", "Sum", METRIC_PERIOD_SECONDS) for g in groups),
            query("p99_stable", "stable", "TargetResponseTime", "p99", whole),
        ]
    )
    p99 = max(counts["p99_stable"], default=None)
    slow: dict[str, int | None] = {g: None for g in groups}
    if p99 is not None:
        ranks = fetch(
            [
                *(query(f"rank_{g}", g, "TargetResponseTime", f"PR({p99:.6g}:)", whole) for g in groups),
                *(query(f"samples_{g}", g, "TargetResponseTime", "SampleCount", whole) for g in groups),
            ]
        )
        # PR(x:) is the percentage of samples above x (0-100).
        slow = {g: round(sum(ranks[f"rank_{g}"]) / 100 * sum(ranks[f"samples_{g}"])) for g in groups}

    def window(group: str) -> Window:
        return Window(
            requests=round(sum(counts[f"requests_{group}"])),
            errors=round(sum(counts[f"errors_{group}"])),
            p99_seconds=p99 if group == "stable" else None,
            slow=slow[group],
        )

    return window("stable"), window("new")
