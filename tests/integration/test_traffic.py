"""The local cloud's requests: routed by the listener's weights, measured as the ALB's CloudWatch metrics,
read by the product's reader."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from pushdeploy.adapters import cloudwatch
from pushdeploy_local.cloud import EPOCH, LocalCloud
from pushdeploy_local.scenario import parse_scenario

RATE = 50  # requests per second


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    scenario = parse_scenario({"service": {"desired_count": 2, "traffic": {"requests_per_second": RATE}}, "pushes": []})
    with LocalCloud(scenario) as cloud:
        yield cloud


def _balancer_and_group(cloud: LocalCloud) -> tuple[str, str]:
    group = cloud.infra.services[0].target_group
    assert group is not None
    [described] = cloud.session.client("elbv2").describe_target_groups(TargetGroupArns=[group])["TargetGroups"]
    return described["LoadBalancerArns"][0], group


def _vpc(cloud: LocalCloud, group: str) -> str:
    [described] = cloud.session.client("elbv2").describe_target_groups(TargetGroupArns=[group])["TargetGroups"]
    return str(described["VpcId"])


def _per_minute(cloud: LocalCloud, name: str, dimensions: list[dict[str, str]], minutes: int) -> list[float]:
    answer = cloud.session.client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": name, "Dimensions": dimensions},
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=EPOCH,
        EndTime=EPOCH + timedelta(minutes=minutes),
        ScanBy="TimestampAscending",
    )
    return list(answer["MetricDataResults"][0]["Values"])


def _dimensions(balancer: str, group: str | None = None) -> list[dict[str, Any]]:
    dimensions = [{"Name": "LoadBalancer", "Value": balancer.split(":loadbalancer/")[1]}]
    if group:
        dimensions.append({"Name": "TargetGroup", "Value": group.rsplit(":", 1)[1]})
    return dimensions


def test_requests_follow_the_listener_weights_and_the_metrics_each_minute(cloud: LocalCloud) -> None:
    # Given the service's group gets every request for five minutes
    balancer, group = _balancer_and_group(cloud)
    cloud.run_until(300)
    # When the listener's forward action gives another group, with no target, 3 of 4 requests
    elbv2 = cloud.session.client("elbv2")
    other = elbv2.create_target_group(
        Name="empty-tg", Protocol="HTTP", Port=3000, VpcId=_vpc(cloud, group), TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    [listener] = elbv2.describe_listeners(LoadBalancerArn=balancer)["Listeners"]
    forward = {"TargetGroups": [{"TargetGroupArn": group, "Weight": 1}, {"TargetGroupArn": other, "Weight": 3}]}
    elbv2.modify_listener(
        ListenerArn=listener["ListenerArn"], DefaultActions=[{"Type": "forward", "ForwardConfig": forward}]
    )
    cloud.run_until(720)

    # Then RequestCount per minute is every request before, about a quarter after (published a minute late)
    counts = _per_minute(cloud, "RequestCount", _dimensions(balancer, group), 10)
    assert counts[:5] == [RATE * 60] * 5
    assert all(600 < c < 900 for c in counts[5:10])
    # and the other group's requests, with no target to answer them, are the load balancer's own 503s
    refused = _per_minute(cloud, "HTTPCode_ELB_5XX_Count", _dimensions(balancer), 10)
    assert all(2100 < c < 2400 for c in refused)
    # and a minute is readable only a minute after it ended: at 720 s, the minute [660, 720) is not yet
    assert len(_per_minute(cloud, "RequestCount", _dimensions(balancer, group), 12)) == 11


def test_the_reader_gives_each_window_its_counts_p99_and_requests_slower_than_it(cloud: LocalCloud) -> None:
    balancer, group = _balancer_and_group(cloud)
    cloud.run_until(360)
    client = cloud.session.client("cloudwatch")

    stable, new = cloudwatch.stable_and_new_windows(
        balancer, group, group, EPOCH, EPOCH + timedelta(minutes=5), cloudwatch=client
    )

    assert stable.requests == new.requests == 5 * 60 * RATE
    assert stable.errors == new.errors and stable.errors < 0.005 * stable.requests  # about 0.1 % 5XX
    assert stable.p99_seconds is not None and 0.18 < stable.p99_seconds < 0.22  # p99 near 200 ms
    assert stable.slow is not None and 0.005 * stable.requests < stable.slow <= 0.01 * stable.requests
    assert new.slow == stable.slow

    before, after = cloudwatch.before_and_after_windows(
        balancer,
        group,
        (EPOCH, EPOCH + timedelta(minutes=3)),
        (EPOCH + timedelta(minutes=3, seconds=30), EPOCH + timedelta(minutes=5, seconds=10)),
        cloudwatch=client,
    )
    assert before.requests == 3 * 60 * RATE
    assert after.requests == 60 * RATE  # whole minutes only: [3:30, 5:10) holds the fourth minute
    assert after.slow is not None and after.slow < 0.05 * after.requests
