"""Watching a run from outside: what the ECS/ALB model did, and which AWS calls were made when.

`RecordingCloud` is the local cloud with two additions and no change of behaviour:

- after every instant the ECS/ALB model steps to, a `Timeline` reads the main service through the
  API (the cloud's own, uncounted session) and notes the first failure evidence, the start of a
  rollback, the rollout's completion and the moment the previous version runs alone and healthy again;
- every AWS call a handler makes is logged with its virtual time and its function, so calls per probe
  and call rates can be computed; so is every Lambda invocation (the state machine's, and Wake's from
  the ECS task events EventBridge delivers).

It also keeps the world running until `observe_until` (virtual seconds) after the deployer is done,
so that what happens after a verdict (a late crash, a stalled rollout) is seen too.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pushdeploy.adapters.ecs import task_state
from pushdeploy.verdict import is_failing_stop
from pushdeploy_local.cloud import EPOCH, LocalCloud
from pushdeploy_local.scenario import Scenario

CIRCUIT_BREAKER_ROLLBACK = "ECS deployment circuit breaker"


def seconds(moment: datetime | None) -> float | None:
    return None if moment is None else round((moment - EPOCH).total_seconds(), 3)


def failing_stops(tasks: list[dict[str, Any]], now: float) -> list[tuple[float, str]]:
    """(when, why) of each task (as DescribeTasks shows it) stopped for a failure, by the deployer's own rule:
    the one its Check and Wake steps judge stops by.

    A stop counts from the moment ECS decided it (stoppingAt): a task that failed its ELB health checks
    drains for the deregistration delay before it is STOPPED.
    """
    return [
        (seconds(t.get("stoppingAt") or t.get("stoppedAt")) or now, f"task stopped: {t.get('stoppedReason')}")
        for t in tasks
        if t.get("desiredStatus") == "STOPPED" and is_failing_stop(task_state(t))
    ]


@dataclass
class Call:
    at: float  # virtual seconds
    operation: str  # service:Operation
    function: str | None  # the Lambda function that made it (None: not a handler)


@dataclass
class Timeline:
    """First instants (virtual seconds) of what matters about one service during one push."""

    cluster: str
    service: str
    target_group: str | None
    previous_task_definition: str
    evidence_at: float | None = None
    evidence: str = ""
    rollback_at: float | None = None
    rolled_back_by: str | None = None  # "ecs" (circuit breaker) or "tool"
    new_completed_at: float | None = None  # the new deployment COMPLETED, alone, every target healthy
    new_failed_at: float | None = None  # ECS marked the new deployment FAILED
    restored_at: float | None = None  # the previous task definition alone, COMPLETED, healthy
    new_deployments: set[str] = field(default_factory=set)

    def observe(self, cloud: LocalCloud, now: float) -> None:
        ecs = cloud.session.client("ecs")
        found = ecs.describe_services(cluster=self.cluster, services=[self.service])["services"][0]
        deployments = found.get("deployments", [])
        for deployment in deployments:
            ours = deployment["taskDefinition"] != self.previous_task_definition
            if ours:
                self.new_deployments.add(deployment["id"])
                if deployment.get("rolloutState") == "FAILED" and self.new_failed_at is None:
                    self.new_failed_at = now
            elif (created := seconds(deployment.get("createdAt"))) and created > 0 and self.rollback_at is None:
                self.rollback_at = created
                reason = deployment.get("rolloutStateReason") or ""
                self.rolled_back_by = "ecs" if reason.startswith(CIRCUIT_BREAKER_ROLLBACK) else "tool"
        state = cloud.model.service_state(self.cluster, self.service)
        alone = len(deployments) == 1 and deployments[0].get("rolloutState") == "COMPLETED" and state.healthy
        if alone and deployments[0]["taskDefinition"] != self.previous_task_definition:
            self.new_completed_at = self.new_completed_at if self.new_completed_at is not None else now
        back = alone and deployments[0]["taskDefinition"] == self.previous_task_definition
        if back and self.rollback_at is not None and self.restored_at is None:
            self.restored_at = now
        if self.evidence_at is None and self.new_deployments:
            self._look_for_evidence(cloud, now)

    def _look_for_evidence(self, cloud: LocalCloud, now: float) -> None:
        """The first new task stopped for a failure, or the first new target `unhealthy`."""
        ecs = cloud.session.client("ecs")
        arns: list[str] = []
        for deployment in sorted(self.new_deployments):
            for desired in ("RUNNING", "STOPPED"):
                arns += ecs.list_tasks(cluster=self.cluster, startedBy=deployment, desiredStatus=desired)["taskArns"]
        tasks = []
        for start in range(0, len(arns), 100):
            tasks += ecs.describe_tasks(cluster=self.cluster, tasks=arns[start : start + 100])["tasks"]
        stops = failing_stops(tasks, now)
        if stops:
            self.evidence_at, self.evidence = min(stops)
        if self.target_group is None:
            return
        ips = {
            d["value"]
            for t in tasks
            if t.get("lastStatus") == "RUNNING"
            for a in t.get("attachments", [])
            for d in a.get("details", [])
            if d.get("name") == "privateIPv4Address"
        }
        if not ips:
            return
        health = cloud.session.client("elbv2").describe_target_health(TargetGroupArn=self.target_group)
        unhealthy = [
            h
            for h in health["TargetHealthDescriptions"]
            if h["Target"]["Id"] in ips and h["TargetHealth"]["State"] == "unhealthy"
        ]
        if unhealthy and (self.evidence_at is None or now < self.evidence_at):
            reason = unhealthy[0]["TargetHealth"].get("Reason", "")
            self.evidence_at, self.evidence = now, f"target unhealthy: {reason}"


class _TimedCounter(Counter[str]):
    """The cloud's per-operation call counter, which also logs each call's virtual time and function."""

    def __init__(self, cloud: RecordingCloud) -> None:
        super().__init__()
        self._cloud = cloud

    def __setitem__(self, key: str, value: int) -> None:
        for _ in range(max(0, value - self.get(key, 0))):
            self._cloud.calls.append(Call(self._cloud.clock.now, key, getattr(self._cloud.current, "function", None)))
        super().__setitem__(key, value)


class RecordingCloud(LocalCloud):
    def __init__(self, scenario: Scenario, *, observe_until: float | None = None, watch: bool = True) -> None:
        super().__init__(scenario)
        self.observe_until = observe_until
        self.calls: list[Call] = []
        self.invoked: list[tuple[float, str]] = []  # (virtual seconds, function) of every Lambda invocation
        # When the Watch function recorded the watch of a healthy deploy (it records the rollout's waits too)
        self.watched: list[float] = []
        self.current = threading.local()
        self.timeline: Timeline | None = None
        self.usage.api_calls = _TimedCounter(self)
        self._watch = watch
        step = self.model.advance_to

        def advance_to(t: float) -> None:  # the signature of the method it stands in for
            step(t)
            if self.timeline is not None:
                self.timeline.observe(self, t)

        self.model.advance_to = advance_to  # type: ignore[method-assign]

    def __enter__(self) -> RecordingCloud:
        super().__enter__()
        if self._watch:
            main = self.infra.services[0]
            found = self.session.client("ecs").describe_services(cluster=main.cluster, services=[main.name])
            self.timeline = Timeline(
                cluster=main.cluster,
                service=main.name,
                target_group=main.target_group,
                previous_task_definition=found["services"][0]["taskDefinition"],
            )
        return self

    def invoke(self, function_name: str, event: Any) -> Any:
        self.invoked.append((self.clock.now, function_name))
        rollout = event.get("rollout") if isinstance(event, dict) else None
        if function_name == "WatchFunction" and isinstance(rollout, dict) and rollout.get("verdict") == "HEALTHY":
            self.watched.append(self.clock.now)
        self.current.function = function_name
        try:
            return super().invoke(function_name, event)
        finally:
            self.current.function = None

    def run_until_done(self, limit: float) -> None:
        super().run_until_done(limit)
        if self.observe_until is not None and self.clock.now < self.observe_until:
            self.run_until(self.observe_until)
