"""Requests through the load balancer, and the ALB's CloudWatch metrics they make, on the virtual clock.

A service with `traffic` receives `requests_per_second` at its load balancer. The requests follow the
listener's forward action that names the service's target group, split across that action's target groups
by their weights as moto's ELBv2 holds them now (ECS's blue/green, canary and linear deployments move those
weights; "Each target group weight is a value from 0 to 999. Requests that match a listener rule with
weighted target groups are distributed to these target groups based on their weights",
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html#forward-actions),
then equally across the group's healthy targets ("Each load balancer node routes requests only to the healthy
targets"; a group whose registered targets are all unhealthy "fails open": requests go to all of them,
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html). A group
with no target to route to answers nothing: the load balancer answers 503 itself (HTTPCode_ELB_5XX_Count;
RequestCount counts only requests for which a target was chosen, load-balancer-cloudwatch-metrics.html).

Each target answers as its task's behaviour says (`answer_of`): every image answers HEALTHY_ERROR_RATE of
its requests 5XX with response times drawn from a lognormal distribution whose p99 is HEALTHY_P99_SECONDS;
`errors` answers `error_rate` 5XX; `slow` has the same shape scaled to its `p99_ms`. Counts are drawn, not
simulated per request: requests arrive at a steady rate, their split across target groups and targets is
binomial (the weights and round robin), the 5XX among a target's requests binomial, and their response
times a multinomial over fine buckets (conditional binomials), all seeded with `world.seed`: a report
replays exactly.

The ALB's metrics, per minute, as CloudWatch publishes them (namespace AWS/ApplicationELB, dimension sets
LoadBalancer and LoadBalancer+TargetGroup; the AvailabilityZone sets are not modelled: the model has no
zones): RequestCount and HTTPCode_Target_5XX_Count (each request a data point of value 1: "Minimum,
Maximum, and Average all return 1"), TargetResponseTime (each request's response time, in seconds), each
only when nonzero ("If there are no requests flowing through the load balancer or no data for a metric,
the metric is not reported"). A minute's data points are written PUBLISH_DELAY_SECONDS after it ends.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import NormalDist
from typing import Any

from pushdeploy_local.ecs import EcsModel
from pushdeploy_local.ecs.state import image_digest
from pushdeploy_local.scenario import Behavior, Errors, ScenarioError, Slow

NAMESPACE = "AWS/ApplicationELB"
METRIC_PERIOD_SECONDS = 60  # "sends its metrics in 60-second intervals" (load-balancer-cloudwatch-metrics.html)
# Modelling choice: AWS documents no delay before an ALB data point can be read; it can be no earlier than
# the end of its minute, and a minute's data is commonly seen a minute or more later. One minute here.
PUBLISH_DELAY_SECONDS = 60.0
# Every image answers about 0.1 % of its requests 5XX, with p99 near 200 ms (scenarios.md, part 2).
HEALTHY_ERROR_RATE = 0.001
HEALTHY_P99_SECONDS = 0.200
# Modelling choice: the median of a healthy image's response times; with the p99 it fixes the lognormal.
HEALTHY_MEDIAN_SECONDS = 0.080
_Z99 = NormalDist().inv_cdf(0.99)
LATENCY_SIGMA = math.log(HEALTHY_P99_SECONDS / HEALTHY_MEDIAN_SECONDS) / _Z99
# Response times are drawn into buckets (BUCKET_RATIO**k - 1, BUCKET_RATIO**k] seconds, each reported as its
# upper edge (never faster than drawn); 2 % wide, finer than any threshold the judge uses.
BUCKET_RATIO = 1.02
_LOG_RATIO = math.log(BUCKET_RATIO)
_TAIL_SIGMAS = 6.0  # buckets beyond 6 sigma hold less than 1e-9 of the requests
# PutMetricData takes at most 150 values per datum (API_MetricDatum.html, Values).
VALUES_PER_DATUM = 150


@dataclass(frozen=True)
class Answer:
    """How a version answers its requests: its 5XX share and its response times' lognormal median."""

    error_rate: float
    median_seconds: float

    def latency_buckets(self, requests: int, rng: random.Random) -> Counter[int]:
        """How many of `requests` fall in each bucket: a multinomial drawn as conditional binomials."""
        drawn: Counter[int] = Counter()
        mu = math.log(self.median_seconds)
        normal = NormalDist(mu, LATENCY_SIGMA)
        low = math.floor((mu - _TAIL_SIGMAS * LATENCY_SIGMA) / _LOG_RATIO)
        high = math.ceil((mu + _TAIL_SIGMAS * LATENCY_SIGMA) / _LOG_RATIO)
        left, mass_left, below = requests, 1.0, normal.cdf(low * _LOG_RATIO)
        for k in range(low + 1, high + 1):
            if left == 0:
                break
            upper = 1.0 if k == high else normal.cdf(k * _LOG_RATIO)
            share = (upper - below) / mass_left if mass_left > 0 else 1.0
            count = left if k == high else rng.binomialvariate(left, min(1.0, max(0.0, share)))
            if count:
                drawn[k] = count
            left, mass_left, below = left - count, mass_left - (upper - below), upper
        return drawn


def answer_of(behavior: Behavior) -> Answer:
    if isinstance(behavior, Errors):
        return Answer(behavior.error_rate, HEALTHY_MEDIAN_SECONDS)
    if isinstance(behavior, Slow):
        return Answer(HEALTHY_ERROR_RATE, behavior.p99_ms / 1000 / math.exp(LATENCY_SIGMA * _Z99))
    return Answer(HEALTHY_ERROR_RATE, HEALTHY_MEDIAN_SECONDS)


def bucket_seconds(bucket: int) -> float:
    return float(BUCKET_RATIO**bucket)


@dataclass
class GroupMinute:
    """One target group's requests in one minute."""

    requests: int = 0
    errors: int = 0
    latencies: Counter[int] = field(default_factory=Counter)


@dataclass(frozen=True)
class Route:
    """Where a service's requests go now: each target group of its listener action with its share."""

    load_balancer: str  # the ARN
    shares: tuple[tuple[str, float], ...]  # (target group ARN, weight / total weight)


@dataclass(frozen=True)
class Served:
    """5XX answered by the tasks of one image between two instants."""

    start: float
    end: float
    errors: int


class Traffic:
    """The requests of the services that have `traffic`, and the metrics they make."""

    def __init__(
        self,
        model: EcsModel,
        elbv2: Any,
        publish: Callable[[str, list[dict[str, Any]]], None],
        *,
        epoch: datetime,
        seed: int,
    ) -> None:
        self._model = model
        self._elbv2 = elbv2
        self._publish = publish
        self._epoch = epoch
        self._rng = random.Random(f"{seed}:traffic")
        self._rates: dict[str, float] = {}  # the service's target group ARN -> requests per second
        self._carry: dict[str, float] = defaultdict(float)  # a fraction of a request not yet arrived
        self._now = 0.0
        self._minutes: dict[tuple[int, str, str], GroupMinute] = {}  # (minute, load balancer, target group)
        self._refused: Counter[tuple[int, str]] = Counter()  # (minute, load balancer): answered 503 by the ALB
        self.errors_by_image: dict[str, list[Served]] = defaultdict(list)  # digest -> the 5XX its tasks answered

    def add_service(self, service: str, target_group_arn: str, requests_per_second: float) -> None:
        """Send the service's requests to its target group; refused when no listener forwards to the group (an
        extra service's target group is attached to no listener: its requests could reach none of its tasks)."""
        if self._route(target_group_arn) is None:
            raise ScenarioError(
                f"{service}: `traffic` reaches a service through a listener, and no listener of its load balancer "
                f"forwards to its target group {target_group_arn.rsplit(':', 1)[-1]}"
            )
        self._rates[target_group_arn] = requests_per_second

    def advance_to(self, t: float) -> None:
        """Serve [now, t) as the world stands now (the model's state only changes at its steps, and a step
        calls this first), then publish the minutes due by `t`."""
        if t > self._now:
            routes = {group: self._route(group) for group in self._rates}
            start = self._now
            while start < t:
                end = min(t, (math.floor(start / METRIC_PERIOD_SECONDS) + 1) * METRIC_PERIOD_SECONDS)
                for group, rate in self._rates.items():
                    route = routes[group]
                    if route is not None:
                        self._serve(group, route, rate, start, end)
                start = end
            self._now = t
        self._publish_due(t)

    def bad_requests(self, digest: str, since: float, until: float | None) -> int:
        """5XX answered by tasks of image `digest` in [since, until) (until None: so far), counted by the
        segments served (a segment straddling a bound counts in proportion)."""
        total = 0.0
        for served in self.errors_by_image.get(digest, []):
            end = served.end if until is None else min(served.end, until)
            overlap = end - max(served.start, since)
            if overlap > 0:
                total += served.errors * overlap / (served.end - served.start)
        return round(total)

    # -- routing ---------------------------------------------------------------------------------

    def _route(self, target_group_arn: str) -> Route | None:
        """The forward action of the load balancer's listener (lowest port first; rules by priority, then
        the default action) that names the group. Modelling choice: the clients' requests match every rule
        condition on path or host, and no rule condition on headers, query strings, methods or source IPs
        (those are how test traffic is told apart)."""
        [group] = self._elbv2.describe_target_groups(TargetGroupArns=[target_group_arn])["TargetGroups"]
        for balancer in group.get("LoadBalancerArns", []):
            listeners = self._elbv2.describe_listeners(LoadBalancerArn=balancer)["Listeners"]
            for listener in sorted(listeners, key=lambda item: item["Port"]):
                rules = self._elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
                ordered = sorted(rules, key=lambda r: (r.get("IsDefault", False), _priority(r)))
                for rule in ordered:
                    if not all(c.get("Field") in ("path-pattern", "host-header") for c in rule.get("Conditions", [])):
                        continue
                    shares = _forward_shares(rule.get("Actions", []))
                    if shares and target_group_arn in dict(shares):
                        return Route(balancer, shares)
        return None

    def _serve(self, group: str, route: Route, rate: float, start: float, end: float) -> None:
        minute = math.floor(start / METRIC_PERIOD_SECONDS)
        arrived = rate * (end - start) + self._carry[group]
        requests = math.floor(arrived)
        self._carry[group] = arrived - requests
        left, share_left = requests, 1.0
        for index, (target_group, share) in enumerate(route.shares):
            last = index == len(route.shares) - 1
            count = left if last else self._binomial(left, share / share_left if share_left > 0 else 0.0)
            left, share_left = left - count, share_left - share
            if count:
                self._serve_group(minute, route.load_balancer, target_group, count, start, end)

    def _serve_group(
        self, minute: int, balancer: str, target_group: str, requests: int, start: float, end: float
    ) -> None:
        targets = self._model.targets_in(target_group)
        chosen = [t for t in targets if t[0] == "healthy"] or [t for t in targets if t[0] in ("unhealthy", "initial")]
        if not chosen:
            self._refused[(minute, balancer)] += requests
            return
        stats = self._minutes.setdefault((minute, balancer, target_group), GroupMinute())
        left = requests
        for index, (_, behavior, image) in enumerate(chosen):
            count = left if index == len(chosen) - 1 else self._binomial(left, 1 / (len(chosen) - index))
            left -= count
            if not count:
                continue
            answer = answer_of(behavior)
            errors = self._binomial(count, answer.error_rate)
            stats.requests += count
            stats.errors += errors
            stats.latencies.update(answer.latency_buckets(count, self._rng))
            digest = image_digest(image)
            if digest is not None and errors:
                self.errors_by_image[digest].append(Served(start, end, errors))

    def _binomial(self, n: int, p: float) -> int:
        if n <= 0 or p <= 0:
            return 0
        if p >= 1:
            return n
        return self._rng.binomialvariate(n, p)

    # -- metrics ---------------------------------------------------------------------------------

    def _publish_due(self, t: float) -> None:
        due = [key for key in self._minutes if _published_at(key[0]) <= t]
        refused = [key for key in self._refused if _published_at(key[0]) <= t]
        data: list[dict[str, Any]] = []
        for minute, balancer, target_group in sorted(due):
            stats = self._minutes.pop((minute, balancer, target_group))
            data += self._datums(minute, balancer, target_group, stats)
        for minute, balancer in sorted(refused):
            count = self._refused.pop((minute, balancer))
            data += [_count("HTTPCode_ELB_5XX_Count", count, self._at(minute), [_balancer(balancer)])]
        if data:
            self._publish(NAMESPACE, data)

    def _datums(self, minute: int, balancer: str, target_group: str, stats: GroupMinute) -> list[dict[str, Any]]:
        at = self._at(minute)
        data = []
        for dimensions in ([_balancer(balancer)], [_balancer(balancer), _group(target_group)]):
            data.append(_count("RequestCount", stats.requests, at, dimensions))
            if stats.errors:
                data.append(_count("HTTPCode_Target_5XX_Count", stats.errors, at, dimensions))
            data += _distribution("TargetResponseTime", stats.latencies, at, dimensions)
        return data

    def _at(self, minute: int) -> datetime:
        return self._epoch + timedelta(seconds=minute * METRIC_PERIOD_SECONDS)


def _published_at(minute: int) -> float:
    return (minute + 1) * METRIC_PERIOD_SECONDS + PUBLISH_DELAY_SECONDS


def _priority(rule: dict[str, Any]) -> int:
    priority = str(rule.get("Priority", "default"))
    return int(priority) if priority.isdigit() else 50_001  # the default rule comes last


def _forward_shares(actions: Iterable[dict[str, Any]]) -> tuple[tuple[str, float], ...]:
    """The target groups of a forward action with their share of its requests (ForwardConfig's weights, or
    the one TargetGroupArn)."""
    for action in actions:
        if action.get("Type") != "forward":
            continue
        groups = action.get("ForwardConfig", {}).get("TargetGroups") or [
            {"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}
        ]
        weights = [(g["TargetGroupArn"], float(g.get("Weight", 1))) for g in groups]
        total = sum(w for _, w in weights)
        if total <= 0:
            return ()
        return tuple((arn, w / total) for arn, w in weights)
    return ()


def _balancer(arn: str) -> dict[str, str]:
    """The LoadBalancer dimension: the ARN's final part, app/<name>/<id> (load-balancer-cloudwatch-metrics.html)."""
    return {"Name": "LoadBalancer", "Value": arn.split(":loadbalancer/", 1)[1]}


def _group(arn: str) -> dict[str, str]:
    """The TargetGroup dimension: targetgroup/<name>/<id>."""
    return {"Name": "TargetGroup", "Value": arn.rsplit(":", 1)[1]}


def _count(name: str, count: int, at: datetime, dimensions: list[dict[str, str]]) -> dict[str, Any]:
    """A count as the ALB reports it: `count` data points of value 1."""
    return {
        "MetricName": name,
        "Dimensions": dimensions,
        "Timestamp": at,
        "Unit": "Count",
        "StatisticValues": {"SampleCount": count, "Sum": count, "Minimum": 1.0, "Maximum": 1.0},
    }


def _distribution(
    name: str, buckets: Counter[int], at: datetime, dimensions: list[dict[str, str]]
) -> list[dict[str, Any]]:
    """Each request's response time as Values and Counts, VALUES_PER_DATUM values a datum."""
    items = sorted(buckets.items())
    return [
        {
            "MetricName": name,
            "Dimensions": dimensions,
            "Timestamp": at,
            "Unit": "Seconds",
            "Values": [bucket_seconds(k) for k, _ in items[i : i + VALUES_PER_DATUM]],
            "Counts": [float(c) for _, c in items[i : i + VALUES_PER_DATUM]],
        }
        for i in range(0, len(items), VALUES_PER_DATUM)
    ]
