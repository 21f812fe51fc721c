"""Hook: GetMetricData's percentile (`p99`) and percentile-rank (`PR(x:y)`) statistics, over the ALB's
per-request data points, which the local cloud writes as CloudWatch's own services do.

CloudWatch computes "Percentile (p)" ("p95 is the 95th percentile and means that 95 percent of the data
within the period is lower than this value") and "Percentile rank (PR)" ("the percentage of values that
meet a fixed threshold. For example, PR(:300) returns the percentage of data points that have a value of
300 or less ... Percentile rank is exclusive on the lower bound and inclusive on the upper bound") from the
raw values of the period
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html); a statistic
set (StatisticValues) has no percentile unless its SampleCount is 1 or its Minimum equals its Maximum
(API_GetMetricStatistics.html). moto 5.2.5's GetMetricData knows Sum, Average, Minimum, Maximum and
SampleCount only (`Statistics.get_statistics_for_type` answers None for any other), and its PutMetricData
stores a value with Counts as that many separate data points (about 3,000 objects a minute for an ALB at
50 requests per second).

So `put` writes data points into moto's CloudWatch as the ALB publishes them (the local cloud's traffic
calls it: PutMetricData refuses the `AWS/` namespaces to callers), a Values/Counts member as one
`Distribution` (a statistic set moto's own statistics read, which keeps its values and counts), and
`install` wraps `CloudWatchBackend.get_metric_data` to answer each MetricStat query whose Stat is `pNN.NN`
or `PR(low:high)` from the period's values (a Distribution's, a single value's, or a statistic set's with
SampleCount 1 or Minimum equal to Maximum), the other queries by moto. A percentile is the smallest value
with at least that share of the data points at or below it (nearest rank); a period without data points
returns no value, as CloudWatch does. Metric math over a percentile query is not answered.

On a moto upgrade, check `CloudWatchBackend.get_metric_data(self, queries, start_time, end_time, scan_by)`,
its result dicts (`id`, `label`, `values`, `timestamps`, `status_code`), `metric_data`, and the constructor of
`MetricAggregatedDatum`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

from moto.cloudwatch.models import (
    CloudWatchBackend,
    MetricAggregatedDatum,
    MetricDatum,
    MetricDatumBase,
    cloudwatch_backends,
)

PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d{1,2})?|100)$")
PERCENTILE_RANK = re.compile(r"^PR\((-?[\d.]*):(-?[\d.]*)\)$")


class Distribution(MetricAggregatedDatum):
    """A Values/Counts member of PutMetricData as one data point set: moto's statistics read its Sum,
    SampleCount, Minimum and Maximum; the percentiles read its values."""

    def __init__(
        self,
        namespace: str,
        name: str,
        values: list[float],
        counts: list[float],
        dimensions: list[dict[str, str]],
        timestamp: datetime,
        unit: str | None,
    ) -> None:
        super().__init__(
            namespace,
            name,
            min_stat=min(values),
            max_stat=max(values),
            sample_count=sum(counts),
            sum_stat=sum(v * c for v, c in zip(values, counts, strict=True)),
            dimensions=dimensions,
            timestamp=timestamp,
            unit=unit,
        )
        self.values = list(zip(values, counts, strict=True))


def put(account_id: str, region: str, namespace: str, metric_data: list[dict[str, Any]]) -> None:
    """Write data points (PutMetricData's MetricDatum shape, Timestamp a datetime) as an AWS service does."""
    backend: CloudWatchBackend = cloudwatch_backends[account_id][region]
    for datum in metric_data:
        # moto keeps naive UTC timestamps, as its PutMetricData parses them
        at = datum["Timestamp"].astimezone(UTC).replace(tzinfo=None)
        common = {"dimensions": datum.get("Dimensions", []), "timestamp": at, "unit": datum.get("Unit")}
        if "Values" in datum:
            values = [float(v) for v in datum["Values"]]
            counts = [float(c) for c in datum.get("Counts") or [1.0] * len(values)]
            backend.metric_data.append(Distribution(namespace, datum["MetricName"], values, counts, **common))
        else:
            stats = datum["StatisticValues"]
            backend.metric_data.append(
                MetricAggregatedDatum(
                    namespace,
                    datum["MetricName"],
                    min_stat=float(stats["Minimum"]),
                    max_stat=float(stats["Maximum"]),
                    sample_count=float(stats["SampleCount"]),
                    sum_stat=float(stats["Sum"]),
                    **common,
                )
            )


def is_distribution_stat(stat: str) -> bool:
    return bool(PERCENTILE.match(stat) or PERCENTILE_RANK.match(stat))


def statistic(stat: str, values: list[tuple[float, float]]) -> float | None:
    """`pNN.NN` or `PR(low:high)` of weighted values (value, count); None without data points."""
    total = sum(count for _, count in values)
    if total <= 0:
        return None
    if match := PERCENTILE.match(stat):
        wanted = float(match.group(1)) / 100 * total
        seen = 0.0
        for value, count in sorted(values):
            seen += count
            if seen >= wanted:
                return value
        return max(value for value, _ in values)
    match = PERCENTILE_RANK.match(stat)
    assert match is not None, stat
    low = float(match.group(1)) if match.group(1) else float("-inf")
    high = float(match.group(2)) if match.group(2) else float("inf")
    return 100 * sum(count for value, count in values if low < value <= high) / total


def _values(datum: MetricDatumBase) -> list[tuple[float, float]]:
    if isinstance(datum, Distribution):
        return datum.values
    if isinstance(datum, MetricDatum):
        return [(datum.value, 1.0)]
    if isinstance(datum, MetricAggregatedDatum) and (datum.sample_count == 1 or datum.min == datum.max):
        return [(datum.min, datum.sample_count)]
    return []


def _answer(
    backend: CloudWatchBackend, query: dict[str, Any], start: datetime, end: datetime, scan_by: str
) -> dict[str, Any]:
    stat_query = query["MetricStat"]
    metric, stat = stat_query["Metric"], stat_query["Stat"]
    dimensions = sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", []))
    unit = stat_query.get("Unit")
    period = timedelta(seconds=int(stat_query["Period"]))
    matching = [
        datum
        for datum in backend.metric_data + backend.aws_metric_data
        if datum.namespace == metric["Namespace"]
        and datum.name == metric["MetricName"]
        and sorted((d.name, d.value) for d in datum.dimensions) == dimensions
        and (unit is None or datum.unit == unit)
        and start <= datum.timestamp < end
    ]
    values, timestamps = [], []
    slot = start
    while slot < end:
        inside = [v for d in matching if slot <= d.timestamp < slot + period for v in _values(d)]
        value = statistic(stat, inside)
        if value is not None:
            values.append(value)
            timestamps.append(slot)
        slot += period
    if scan_by == "TimestampDescending":
        values.reverse()
        timestamps.reverse()
    label = query.get("Label") or f"{metric['MetricName']} {stat}"
    return {"id": query["Id"], "label": label, "values": values, "timestamps": timestamps, "status_code": "Complete"}


@contextlib.contextmanager
def install() -> Iterator[None]:
    """While active, GetMetricData answers percentile and percentile-rank statistics."""
    original = CloudWatchBackend.get_metric_data

    def get_metric_data(
        backend: CloudWatchBackend,
        queries: list[dict[str, Any]],
        start_time: datetime,
        end_time: datetime,
        scan_by: str = "TimestampAscending",
    ) -> list[dict[str, Any]]:
        ours = [q for q in queries if "MetricStat" in q and is_distribution_stat(q["MetricStat"]["Stat"])]
        theirs = [q for q in queries if q not in ours]
        answered = {r["id"]: r for r in original(backend, theirs, start_time, end_time, scan_by)} if theirs else {}
        start, end = start_time.replace(microsecond=0), end_time.replace(microsecond=0)
        for query in ours:
            if query.get("ReturnData", True):
                answered[query["Id"]] = _answer(backend, query, start, end, scan_by)
        order = [q["Id"] for q in queries]
        return sorted(answered.values(), key=lambda r: order.index(r["id"]) if r["id"] in order else len(order))

    with mock.patch.object(CloudWatchBackend, "get_metric_data", get_metric_data):
        yield
