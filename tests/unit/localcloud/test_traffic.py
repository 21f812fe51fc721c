"""The local cloud's requests: how the load balancer routes them and how each version answers them."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from pushdeploy_local.moto_hooks.cloudwatch_percentiles import statistic
from pushdeploy_local.scenario import Errors, Healthy, ScenarioError, Slow, Unhealthy
from pushdeploy_local.traffic import HEALTHY_ERROR_RATE, Traffic, answer_of, bucket_seconds

BALANCER = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/alb/1"
BLUE = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/blue/1"
GREEN = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/green/2"
IMAGE = "repo@sha256:" + "b" * 64
NEW_IMAGE = "repo@sha256:" + "c" * 64


class FakeElbv2:
    """One listener whose default action forwards to `forward` (target group ARN -> weight)."""

    def __init__(self, forward: dict[str, int]) -> None:
        self.forward = forward

    def describe_target_groups(self, TargetGroupArns: list[str]) -> dict[str, Any]:
        return {"TargetGroups": [{"TargetGroupArn": TargetGroupArns[0], "LoadBalancerArns": [BALANCER]}]}

    def describe_listeners(self, LoadBalancerArn: str) -> dict[str, Any]:
        return {"Listeners": [{"ListenerArn": "listener", "Port": 80}]}

    def describe_rules(self, ListenerArn: str) -> dict[str, Any]:
        groups = [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in self.forward.items()]
        action = {"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}
        return {"Rules": [{"Priority": "default", "IsDefault": True, "Conditions": [], "Actions": [action]}]}


class FakeModel:
    def __init__(self, targets: dict[str, list[tuple[str, Any, str]]]) -> None:
        self.targets = targets

    def targets_in(self, target_group_arn: str) -> list[tuple[str, Any, str]]:
        return self.targets.get(target_group_arn, [])


def traffic(
    forward: dict[str, int], targets: dict[str, list[tuple[str, Any, str]]], *, blue_rate: float | None = 100
) -> tuple[Traffic, list[Any]]:
    published: list[Any] = []
    served = Traffic(
        FakeModel(targets),  # type: ignore[arg-type]
        FakeElbv2(forward),
        lambda namespace, data: published.extend(data),
        epoch=datetime(2026, 1, 1, tzinfo=UTC),
        seed=1,
    )
    if blue_rate is not None:
        served.add_service("web", BLUE, blue_rate)
    return served, published


def counts(published: list[Any], name: str) -> dict[str | None, float]:
    """The sum of a count metric by target group (None: the load balancer's own dimension set)."""
    found: dict[str | None, float] = {}
    for datum in published:
        if datum["MetricName"] == name:
            group = next((d["Value"] for d in datum["Dimensions"] if d["Name"] == "TargetGroup"), None)
            found[group] = found.get(group, 0) + datum["StatisticValues"]["Sum"]
    return found


def test_requests_split_by_the_forward_weights_then_across_healthy_targets_only():
    served, published = traffic(
        {BLUE: 1, GREEN: 3},
        {
            BLUE: [("healthy", Healthy(), IMAGE), ("initial", Healthy(), IMAGE)],
            GREEN: [("healthy", Errors(kind="errors", error_rate=0.5), NEW_IMAGE), ("draining", Healthy(), IMAGE)],
        },
    )

    served.advance_to(600)  # ten minutes, the first nine published (a minute after each ends)

    requests = counts(published, "RequestCount")
    assert requests[None] == 9 * 60 * 100
    assert 0.22 < requests["targetgroup/blue/1"] / requests[None] < 0.28
    errors = counts(published, "HTTPCode_Target_5XX_Count")
    assert 0.45 < errors["targetgroup/green/2"] / requests["targetgroup/green/2"] < 0.55
    # Every 5XX of the new image is counted for it, the last two minutes' too
    assert served.bad_requests(NEW_IMAGE[-71:], since=0, until=None) > errors["targetgroup/green/2"]


def test_a_group_of_unhealthy_targets_fails_open_and_one_without_targets_is_answered_by_the_load_balancer():
    served, published = traffic({BLUE: 1, GREEN: 1}, {BLUE: [("unhealthy", Unhealthy(kind="unhealthy"), IMAGE)]})

    served.advance_to(180)

    requests, refused = counts(published, "RequestCount"), counts(published, "HTTPCode_ELB_5XX_Count")
    assert 0.45 < requests["targetgroup/blue/1"] / 12_000 < 0.55  # two minutes published by 180 s
    assert requests["targetgroup/blue/1"] + refused[None] == 12_000  # green's are the load balancer's 503s
    assert "targetgroup/green/2" not in requests


@pytest.mark.parametrize(
    ("behavior", "p99", "error_rate"),
    [(Healthy(), 0.2, HEALTHY_ERROR_RATE), (Slow(kind="slow", p99_ms=3000), 3.0, HEALTHY_ERROR_RATE)],
)
def test_each_version_answers_with_its_p99(behavior: Any, p99: float, error_rate: float):
    answer = answer_of(behavior)

    buckets = answer.latency_buckets(200_000, random.Random(7))

    assert sum(buckets.values()) == 200_000
    drawn = statistic("p99", [(bucket_seconds(k), float(c)) for k, c in buckets.items()])
    assert drawn is not None and abs(drawn - p99) / p99 < 0.03
    assert answer.error_rate == error_rate


def test_the_same_seed_serves_the_same_requests():
    runs = []
    for _ in range(2):
        served, published = traffic({BLUE: 1}, {BLUE: [("healthy", Healthy(), IMAGE)]})
        served.advance_to(300)
        runs.append(published)
    assert runs[0] == runs[1]


def test_traffic_for_a_group_no_listener_forwards_to_is_refused_by_name():
    served, _ = traffic({GREEN: 1}, {}, blue_rate=None)

    with pytest.raises(ScenarioError, match="jobs: `traffic` reaches a service through a listener"):
        served.add_service("jobs", BLUE, 10)
