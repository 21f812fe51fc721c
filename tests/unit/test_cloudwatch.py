"""The CloudWatch adapter: which alarms fire, and which named alarms do not exist (moto, with the local cloud's
DescribeAlarms filters)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from pushdeploy.adapters import cloudwatch
from pushdeploy_local.moto_hooks import cloudwatch_alarms


@pytest.fixture
def client():
    with mock_aws(), cloudwatch_alarms.install():
        client = boto3.client("cloudwatch", region_name="us-east-1")
        for name in ("api-5xx", "api-latency"):
            client.put_metric_alarm(
                AlarmName=name,
                Namespace="AWS/ApplicationELB",
                MetricName="HTTPCode_Target_5XX_Count",
                Statistic="Sum",
                Period=60,
                EvaluationPeriods=1,
                Threshold=1,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
            )
        client.set_alarm_state(AlarmName="api-5xx", StateValue="ALARM", StateReason="test")
        yield client


def test_only_the_named_alarms_in_alarm_fire(client):
    assert cloudwatch.alarms_in_alarm(["api-5xx", "api-latency"], cloudwatch=client) == ["api-5xx"]
    assert cloudwatch.alarms_in_alarm(["api-latency"], cloudwatch=client) == []


def test_missing_alarms_are_the_names_no_alarm_has_in_the_order_given(client):
    names = ["jobs-5xx", "api-5xx", "api-latency", "jobs-5xx", "worker-queue"]
    assert cloudwatch.missing_alarms(names, cloudwatch=client) == ["jobs-5xx", "worker-queue"]


def test_missing_alarms_asks_a_hundred_names_at_a_time(client):
    # DescribeAlarms takes at most 100 AlarmNames; the existing alarm is in the second batch.
    names = [f"absent-{i:03d}" for i in range(120)] + ["api-latency"]
    calls = []
    client.meta.events.register(
        "before-parameter-build.cloudwatch.DescribeAlarms", lambda params, **_: calls.append(dict(params))
    )

    missing = cloudwatch.missing_alarms(names, cloudwatch=client)

    assert missing == names[:120]
    assert [len(c["AlarmNames"]) for c in calls] == [100, 21]


def test_no_names_ask_nothing():
    assert cloudwatch.missing_alarms([]) == []
