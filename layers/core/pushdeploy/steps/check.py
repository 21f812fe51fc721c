"""Check: one probe of a rollout, one verdict (the rules live in pushdeploy.verdict)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pushdeploy.adapters import cloudwatch, dynamodb, ecs, elbv2
from pushdeploy.judge import MetricJudgement
from pushdeploy.judge import judge as judge_metrics
from pushdeploy.models import MetricEvidence, Model, PlanItem, Rollout, Target, TargetEvidence, Verdict
from pushdeploy.verdict import (
    METRIC_LOOK_SECONDS,
    Deployment,
    Judgement,
    Observation,
    ServiceDeploymentState,
    TaskState,
    follow,
    is_failing_stop,
    judge,
)


class CheckInput(Model):
    item: PlanItem
    rollout: Rollout  # ours, or our rollback


def check(request: CheckInput, lock_table: str | None = None) -> Rollout:
    """`lock_table`: where pushdeploy's hook records its judgements of a native deployment."""
    target, rollout = request.item.target, request.rollout
    if rollout.service_deployment is not None and rollout.watch_until is None:
        return follow_deployment(target, rollout, lock_table)
    observation = observe(target, rollout)
    judgement = judge(observation, rollout, target.policy)
    if judgement.verdict == Verdict.HEALTHY:  # healthy by every other rule: now by its requests too
        metrics = before_and_after(target, rollout, observation)
        if metrics is not None:
            observation = observation.model_copy(update={"metrics": metrics})
            judgement = judge(observation, rollout, target.policy)
    seen = [*rollout.tasks, *(t.task_arn for t in observation.tasks if t.task_arn not in rollout.tasks)]
    decided = judgement.verdict != "IN_PROGRESS"
    # A healthy verdict confirmed at the end of its watch keeps the moment it was first given.
    confirmed = judgement.verdict == rollout.verdict == "HEALTHY"
    return _judged(
        rollout,
        judgement,
        rollout.decided_at if confirmed else observation.now if decided else None,
        tasks=seen[-100:],
        stopped=sum(t.stopped for t in observation.tasks),
        failing=sum(t.stopped and is_failing_stop(t) for t in observation.tasks),
        wake=None,
    )


def _judged(rollout: Rollout, judgement: Judgement, decided_at: datetime | None, **more: object) -> Rollout:
    """The rollout as one probe's judgement leaves it (`more`: what that kind of probe records besides)."""
    return rollout.model_copy(
        update={
            "probes": rollout.probes + 1,
            "verdict": judgement.verdict,
            "reason": judgement.reason,
            "wait_seconds": judgement.wait_seconds,
            "healthy_since": judgement.healthy_since,
            "watch_until": judgement.watch_until,
            "watch_seconds": judgement.watch_seconds,
            "evidence": judgement.evidence,
            "decided_at": decided_at,
            **more,
        }
    )


def follow_deployment(target: Target, rollout: Rollout, lock_table: str | None) -> Rollout:
    """One probe of a native deployment: DescribeServiceDeployments (its status, lifecycle stage and rollback)
    and the hook's last judgement of it (the lock item); the rules are pushdeploy.verdict.follow. Its tasks
    and target health are ECS's to judge until it completes: the hook tells it the metrics."""
    assert rollout.service_deployment is not None, "a native rollout follows its service deployment"
    answer = ecs.describe_service_deployment(rollout.service_deployment)
    revision = answer.get("targetServiceRevision") or {}
    deployment = ServiceDeploymentState(
        arn=rollout.service_deployment,
        status=answer.get("status", "PENDING"),
        status_reason=answer.get("statusReason"),
        lifecycle_stage=answer.get("lifecycleStage"),
        rollback_reason=(answer.get("rollback") or {}).get("reason"),
        requested=revision.get("requestedTaskCount", 0),
        running=revision.get("runningTaskCount", 0),
        pending=revision.get("pendingTaskCount", 0),
    )
    now = datetime.now(UTC)
    judgement = follow(deployment, rollout, target.policy, now, _hook_judgement(lock_table, target, rollout))
    decided = judgement.verdict != "IN_PROGRESS"
    return _judged(
        rollout,
        judgement,
        now if decided else None,
        lifecycle_stage=judgement.lifecycle_stage,
        ecs_rollback=judgement.ecs_rollback,
    )


def _hook_judgement(lock_table: str | None, target: Target, rollout: Rollout) -> MetricEvidence | None:
    """The hook's last judgement of this rollout's deployment (the service's lock item keeps the last one)."""
    recorded = dynamodb.read(lock_table, target.key).judgement if lock_table else None
    if recorded is None:
        return None
    judgement = MetricEvidence.model_validate_json(recorded)
    return judgement if judgement.service_deployment == rollout.service_deployment else None


def observe(target: Target, rollout: Rollout) -> Observation:
    """DescribeServices, DescribeTasks and DescribeTargetHealth; ListTasks only when tasks are unaccounted for.

    A probe remembers the tasks it has seen (Rollout.tasks): ECS keeps a stopped task describable for
    an hour, so a task that stopped since is found by DescribeTasks with its reason and exit code.
    """
    service = ecs.describe_service(target.cluster, target.service)
    deployments = ecs.deployments(service)
    tasks = _deployment_tasks(target.cluster, rollout, deployments)
    running_ips = [t.ip for t in tasks if t.ip and t.last_status == "RUNNING" and not t.stopped]
    balancers = [lb for lb in service.get("loadBalancers", []) if lb.get("targetGroupArn")]
    groups = [lb["targetGroupArn"] for lb in balancers if lb.get("containerName") == target.container] or [
        lb["targetGroupArn"] for lb in balancers
    ]
    targets: list[TargetEvidence] = []
    for lb in (lb for lb in balancers if lb["targetGroupArn"] in groups):
        found = _registered_health(lb, running_ips)
        targets += found
        groups = [found[0].target_group if found and g == lb["targetGroupArn"] else g for g in groups]
    firing = cloudwatch.alarms_in_alarm(target.policy.alarms)
    return Observation(
        now=datetime.now(UTC),
        deployments=deployments,
        events=ecs.recent_events(service),
        tasks=tasks,
        targets=targets,
        target_groups=groups,
        alarms_in_alarm=list(firing),
        alarms_since={name: since for name, since in firing.items() if since is not None},
    )


def before_and_after(target: Target, rollout: Rollout, observation: Observation) -> MetricJudgement | None:
    """The metric judge on a rolling deploy: the service's one target group after the healthy verdict
    against the same group over `policy.baseline_seconds` before the rollout started (two to three
    GetMetricData calls). None, not judged, when the service has no (or several) target groups, for a
    rollback, or when the group answered fewer than the judge's minimum of requests before the rollout: a
    service without traffic has nothing to compare with."""
    if rollout.phase != "deploy" or len(observation.target_groups) != 1:
        return None
    [group] = observation.target_groups
    balancer = elbv2.load_balancer_of(group)
    if balancer is None:
        return None
    policy = target.policy
    before = (rollout.started_at - timedelta(seconds=policy.baseline_seconds), rollout.started_at)
    after = (rollout.healthy_since or observation.now, observation.now)
    old, new = cloudwatch.before_and_after_windows(balancer, group, before, after)
    if old.requests < policy.judge.min_requests:
        return None
    # The watch asks once a minute, plus its first and closing Checks: its false-positive rate is spent over
    # at least that many looks, whatever `looks` the policy gives (pushdeploy.judge, Bonferroni).
    looks = max(policy.judge.looks, policy.watch_seconds // METRIC_LOOK_SECONDS + 2)
    return judge_metrics(new, old, policy.judge.model_copy(update={"looks": looks}))


def _registered_health(balancer: dict[str, Any], ips: list[str]) -> list[TargetEvidence]:
    """The tasks' health in the balancer's target group, or, on a blue/green service, in whichever of its two
    groups they are registered: ECS registers a deployment's tasks in the group the old ones are not in, and
    after it completes the new version serves from that one (its `advancedConfiguration.alternateTargetGroupArn`,
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html)."""
    port = balancer.get("containerPort")
    alternate = (balancer.get("advancedConfiguration") or {}).get("alternateTargetGroupArn")
    found = elbv2.target_health(balancer["targetGroupArn"], ips, port)
    if alternate and not any(_registered(t) for t in found):
        other = elbv2.target_health(alternate, ips, port)
        if any(_registered(t) for t in other):
            return other
    return found


def _registered(target: TargetEvidence) -> bool:
    # DescribeTargetHealth answers a target not in the group with the reason Target.NotRegistered
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html).
    return target.reason != "Target.NotRegistered"


def _deployment_tasks(cluster: str, rollout: Rollout, deployments: list[Deployment]) -> list[TaskState]:
    ours = next((d for d in deployments if d.id == rollout.deployment_id), None)
    known = list(rollout.tasks)
    # The task whose stop woke the rollout's wait: it may have started and stopped between two probes, unseen.
    woken_by = rollout.wake.woken_by if rollout.wake else None
    woken = [woken_by] if woken_by and ":task/" in woken_by and woken_by not in known else []
    if ours is None:
        return ecs.describe_tasks(cluster, known + woken)
    if ours.running + ours.pending > len(known) - rollout.stopped or not known:
        known += [arn for arn in ecs.list_deployment_tasks(cluster, rollout.deployment_id) if arn not in known]
    if ours.failed_tasks > rollout.stopped:
        # Tasks that failed between two probes, never seen running: ECS counts them in failedTasks.
        stopped = ecs.list_deployment_tasks(cluster, rollout.deployment_id, "STOPPED")
        known += [arn for arn in stopped if arn not in known]
    return ecs.describe_tasks(cluster, [*known, *(arn for arn in woken if arn not in known)][-100:])
