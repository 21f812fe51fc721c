"""Check: one probe of a rollout, one verdict (the rules live in pushdeploy.verdict)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel

from pushdeploy.adapters import cloudwatch, ecs, elbv2
from pushdeploy.models import Rollout, Target
from pushdeploy.steps.plan import PlanItem
from pushdeploy.verdict import Observation, judge


class CheckInput(BaseModel):
    item: PlanItem
    rollout: Rollout  # ours, or our rollback


def check(request: CheckInput) -> Rollout:
    target, rollout = request.item.target, request.rollout
    observation = observe(target, rollout)
    judgement = judge(observation, rollout, target.policy)
    decided = judgement.verdict != "IN_PROGRESS"
    return rollout.model_copy(
        update={
            "probes": rollout.probes + 1,
            "verdict": judgement.verdict,
            "reason": judgement.reason,
            "wait_seconds": judgement.wait_seconds,
            "healthy_since": judgement.healthy_since,
            "evidence": judgement.evidence,
            "decided_at": observation.now if decided else None,
        }
    )


def observe(target: Target, rollout: Rollout) -> Observation:
    service = ecs.describe_service(target.cluster, target.service)
    tasks = ecs.deployment_tasks(target.cluster, rollout.deployment_id)
    running_ips = [t.ip for t in tasks if t.ip and t.last_status == "RUNNING" and not t.stopped]
    balancers = [lb for lb in service.get("loadBalancers", []) if lb.get("targetGroupArn")]
    groups = [lb["targetGroupArn"] for lb in balancers if lb.get("containerName") == target.container] or [
        lb["targetGroupArn"] for lb in balancers
    ]
    targets = [
        health
        for lb in balancers
        if lb["targetGroupArn"] in groups
        for health in elbv2.target_health(lb["targetGroupArn"], running_ips, lb.get("containerPort"))
    ]
    return Observation(
        now=datetime.now(UTC),
        deployments=ecs.deployments(service),
        events=ecs.recent_events(service),
        tasks=tasks,
        targets=targets,
        target_groups=groups,
        alarms_in_alarm=cloudwatch.alarms_in_alarm(target.policy.alarms),
    )
