"""The moto hook for CloudWatch's percentile and percentile-rank statistics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from pushdeploy_local.moto_hooks import cloudwatch_percentiles

AT = datetime(2026, 1, 1, tzinfo=UTC)
DIMENSIONS = [{"Name": "LoadBalancer", "Value": "app/lb/1"}]


@pytest.fixture
def cloudwatch() -> Iterator[object]:
    with mock_aws(), cloudwatch_percentiles.install():
        client = boto3.client("cloudwatch", region_name="us-east-1")
        cloudwatch_percentiles.put(
            "123456789012",
            "us-east-1",
            "AWS/ApplicationELB",
            [
                # 100 response times: 0.01, 0.02, ..., 1.00 s, the last 10 in the next minute
                {
                    "MetricName": "TargetResponseTime",
                    "Dimensions": DIMENSIONS,
                    "Timestamp": AT,
                    "Unit": "Seconds",
                    "Values": [i / 100 for i in range(1, 91)],
                    "Counts": [1.0] * 90,
                },
                {
                    "MetricName": "TargetResponseTime",
                    "Dimensions": DIMENSIONS,
                    "Timestamp": AT + timedelta(minutes=1),
                    "Unit": "Seconds",
                    "Values": [i / 100 for i in range(91, 101)],
                    "Counts": [1.0] * 10,
                },
            ],
        )
        yield client


def _stat(client: object, stat: str, period: int = 120) -> list[float]:
    answer = client.get_metric_data(  # type: ignore[attr-defined]
        MetricDataQueries=[
            {
                "Id": "q",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/ApplicationELB",
                        "MetricName": "TargetResponseTime",
                        "Dimensions": DIMENSIONS,
                    },
                    "Period": period,
                    "Stat": stat,
                },
            }
        ],
        StartTime=AT,
        EndTime=AT + timedelta(minutes=2),
        ScanBy="TimestampAscending",
    )
    return [round(v, 6) for v in answer["MetricDataResults"][0]["Values"]]


def test_percentiles_over_the_period(cloudwatch: object) -> None:
    assert _stat(cloudwatch, "p99") == [0.99]
    assert _stat(cloudwatch, "p50") == [0.5]
    assert _stat(cloudwatch, "p99", period=60) == [0.9, 1.0]  # each minute its own


def test_percentile_rank_excludes_its_lower_bound_and_includes_its_upper_bound(cloudwatch: object) -> None:
    assert _stat(cloudwatch, "PR(0.9:)") == [10.0]
    assert _stat(cloudwatch, "PR(:0.3)") == [30.0]
    assert _stat(cloudwatch, "PR(0.1:0.2)") == [10.0]


def test_moto_still_answers_the_other_statistics_of_the_same_data_points(cloudwatch: object) -> None:
    assert _stat(cloudwatch, "SampleCount") == [100.0]
    assert _stat(cloudwatch, "Sum") == [50.5]
    assert _stat(cloudwatch, "Maximum") == [1.0]
