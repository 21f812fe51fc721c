"""The verdict rules of design.md: one probe's observation in, one verdict out. Pure: no AWS calls here.

Order matters and is the order of design.md: a failure seen at any time wins over progress, and a
deployment that someone else replaced is never judged healthy or failed on their behalf.

Events, not polls: while a deploy's rollout is IN_PROGRESS, the state machine waits on a task token that
ECS's and CloudWatch's events hand back (pushdeploy.steps.watch.wake: a task of the deployment stopped
for a failure, `is_failing_stop`; the deployment COMPLETED or FAILED; a watched alarm in ALARM), and
probes again with these rules. `wait_seconds` is how long that wait may last: FALLBACK_PROBE_SECONDS
while an event will end it (the deployment's rollout state is IN_PROGRESS, so ECS sends COMPLETED or
FAILED), POLL_SECONDS when no event reports what the rollout waits for (target health after COMPLETED,
a deployment without a rollout state, a rollback, which the state machine polls).

The watch: a healthy deploy stays watched for `policy.watch_seconds` after its first healthy verdict,
on the same token: it waits for a task of the deployment to stop for a failure or for the watch to
end, and then probes once more with these same rules.

Alarms: as ECS's alarm-based rollback does, a rollout ignores an alarm already in ALARM when it started
(CloudWatch says when an alarm entered its state), and heeds it again once it has left ALARM and come
back. A fix pushed during an incident is not rolled back for the incident, nor a rollback failed by the
alarm that caused it.

Metrics: a healthy deploy of a service with a load balancer is also judged by its requests, the target
group's window after the healthy verdict against the same group's window before the rollout
(`pushdeploy.judge`, given by Check in `Observation.metrics`): a `degraded` judgement fails it, and while
the judge has something to judge, the watch wakes at every metric period to ask again.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field

from pushdeploy.judge import Decision, MetricJudgement
from pushdeploy.models import (
    DeploymentEvidence,
    Evidence,
    Frozen,
    HealthPolicy,
    MetricEvidence,
    Rollout,
    StoppedTask,
    TargetEvidence,
    Verdict,
)

# How long to wait between probes when no event will end the wait (the rollback, target health once the
# deployment is COMPLETED). Each probe costs three state transitions. aws-facts.md: the services-stable
# waiter polls every 15 s, fabfuel/ecs-deploy every 1 s.
POLL_SECONDS = 15
# The probe of a deploy whose events end the wait (docs/decisions.md, "The rollout decided by events"):
# it only covers an event EventBridge lost, so it is rare; a healthy rollout of a few minutes stays
# within a few probes (three transitions each).
FALLBACK_PROBE_SECONDS = 60
MIN_WAIT_SECONDS = 5
MAX_WAIT_SECONDS = 60

# Stopped reasons that a retry will not cure (design.md, "Verdict rules").
FAILING_STOP_MARKERS = (
    "CannotPullContainerError",
    "ResourceInitializationError",
    "Task failed ELB health checks",
    "Task failed container health checks",
)
ESSENTIAL_EXIT = "Essential container in task exited"
# A task that is merely RUNNING has proven nothing: without a target group to pass, a rollout must
# also stay clean this long (at least) before it is called healthy.
UNBALANCED_BAKE_SECONDS = 30
# The ALB publishes its metrics per minute (load-balancer-cloudwatch-metrics.html): a watch judged by them looks
# again each minute.
METRIC_LOOK_SECONDS = 60


class ContainerState(Frozen):
    name: str
    exit_code: int | None = None
    reason: str | None = None
    health_status: str | None = None


class TaskState(Frozen):
    task_arn: str = ""
    task_id: str
    task_definition: str
    last_status: str
    desired_status: str
    ip: str | None = None
    health_status: str | None = None
    stopped_reason: str | None = None
    stop_code: str | None = None
    stopped_at: datetime | None = None
    containers: list[ContainerState] = Field(default_factory=list)

    @property
    def stopped(self) -> bool:
        return self.last_status == "STOPPED" or (self.desired_status == "STOPPED" and bool(self.stopped_reason))

    def as_stopped(self, log_stream: str | None = None) -> StoppedTask:
        return StoppedTask(
            task_id=self.task_id,
            task_definition=self.task_definition,
            stopped_reason=self.stopped_reason or "stopped",
            stop_code=self.stop_code,
            stopped_at=self.stopped_at,
            containers=[{"name": c.name, "exit_code": c.exit_code, "reason": c.reason} for c in self.containers],
            log_stream=log_stream,
        )


class Deployment(DeploymentEvidence):
    created_at: datetime | None = None


class Observation(Frozen):
    """One probe: the service's deployments and events, the tasks of our deployment, their target health."""

    now: datetime
    deployments: list[Deployment]
    events: list[str] = Field(default_factory=list)
    tasks: list[TaskState] = Field(default_factory=list)
    targets: list[TargetEvidence] = Field(default_factory=list)
    target_groups: list[str] = Field(default_factory=list)
    alarms_in_alarm: list[str] = Field(default_factory=list)
    alarms_since: dict[str, datetime] = Field(default_factory=dict)  # when each entered ALARM, where known
    # The target group after the deployment against before it; None: not judged by metrics (no load balancer,
    # not a deploy, or no traffic before it).
    metrics: MetricJudgement | None = None


class Judgement(Frozen):
    verdict: Verdict
    reason: str
    wait_seconds: int = 0
    healthy_since: datetime | None = None
    watch_until: datetime | None = None
    watch_seconds: int = 0
    evidence: Evidence


def judge(observation: Observation, rollout: Rollout, policy: HealthPolicy) -> Judgement:
    ours = _find(observation.deployments, rollout.deployment_id)
    since = observation.alarms_since
    # In ALARM before the rollout started (or at that instant): ignored; since an unknown time: it counts.
    firing = [name for name in observation.alarms_in_alarm if name not in since or since[name] > rollout.started_at]
    primary = next((d for d in observation.deployments if d.status == "PRIMARY"), None)
    failing = [t for t in observation.tasks if t.stopped and is_failing_stop(t)]
    evidence = Evidence(
        deployment=ours and DeploymentEvidence(**ours.model_dump(exclude={"created_at"})),
        stopped_tasks=[t.as_stopped() for t in failing[:5]],
        targets=observation.targets,
        alarms=observation.alarms_in_alarm,
        events=observation.events[:5],
        metrics=observation.metrics,
    )

    def verdict(kind: Verdict, reason: str, wait: int = 0, healthy_since: datetime | None = None) -> Judgement:
        if rollout.watch_until is not None and kind == Verdict.FAILED:
            reason = f"{reason} (after it was judged healthy, while watched)"
        return Judgement(
            verdict=kind,
            reason=reason,
            wait_seconds=wait,
            healthy_since=healthy_since,
            watch_until=rollout.watch_until,
            evidence=evidence,
        )

    if ours is not None and ours.rollout_state == "FAILED":
        return verdict(Verdict.FAILED, ours.rollout_state_reason or f"ECS marked deployment {ours.id} FAILED")
    if ours is None or ours.status != "PRIMARY":
        if primary is not None and rollout.previous_task_definition == primary.task_definition:
            return verdict(
                Verdict.FAILED,
                f"ECS rolled deployment {rollout.deployment_id} back to {primary.task_definition}",
            )
        replacing = f"deployment {primary.id} of {primary.task_definition}" if primary else "no deployment"
        return verdict(Verdict.SUPERSEDED, f"{replacing} replaced ours ({rollout.deployment_id})")
    if len(failing) >= policy.failure_budget:
        return verdict(Verdict.FAILED, failing[0].as_stopped().summary)
    unhealthy = [t for t in observation.targets if t.state in ("unhealthy", "unhealthy.draining")]
    if unhealthy:
        return verdict(Verdict.FAILED, unhealthy[0].summary)
    if firing:
        return verdict(Verdict.FAILED, f"alarm {firing[0]} is in ALARM")

    waiting_for = _not_yet_healthy(observation, ours)
    if waiting_for:
        # Healthy once, a rollout must be healthy again by the end of its watch; before, by its deadline.
        if rollout.watch_until is None:
            deadline = rollout.started_at + timedelta(seconds=policy.deadline_seconds)
            elapsed = int((observation.now - rollout.started_at).total_seconds())
            late = f"not healthy after {elapsed} s (deadline {policy.deadline_seconds} s): {waiting_for}"
        else:
            deadline, late = rollout.watch_until, f"not healthy again by the end of its watch: {waiting_for}"
        left = (deadline - observation.now).total_seconds()
        if left <= 0:
            return verdict(Verdict.TIMED_OUT, late)
        return verdict(
            Verdict.IN_PROGRESS, waiting_for, _clamp(probe_interval(rollout.phase, ours.rollout_state), left)
        )
    healthy_since = rollout.healthy_since or observation.now
    baked = (observation.now - healthy_since).total_seconds()
    bake = policy.bake_seconds if observation.target_groups else max(policy.bake_seconds, UNBALANCED_BAKE_SECONDS)
    if baked < bake:
        remaining = bake - baked
        return verdict(
            Verdict.IN_PROGRESS,
            f"baking: {int(remaining)} s to go",
            _clamp(remaining, remaining),
            healthy_since,
        )
    metrics = observation.metrics
    if metrics is not None and metrics.decision == Decision.DEGRADED:
        return verdict(Verdict.FAILED, f"its requests are worse than before the deployment: {metrics.reason}")
    healthy = verdict(Verdict.HEALTHY, _healthy_reason(ours, observation), healthy_since=healthy_since)
    watch_until = _watch_until(observation.now, rollout, policy)
    left = max(0, math.ceil((watch_until - observation.now).total_seconds())) if watch_until else 0
    if metrics is not None:  # judged by its requests: look again when the next minute is published
        left = min(left, METRIC_LOOK_SECONDS)
    return healthy.model_copy(update={"watch_until": watch_until, "watch_seconds": left})


class ServiceDeploymentState(Frozen):
    """An ECS service deployment as DescribeServiceDeployments shows it (a native strategy's deployment).
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html"""

    arn: str
    # PENDING, IN_PROGRESS, SUCCESSFUL, STOPPED, STOP_REQUESTED, ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS,
    # ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED
    status: str
    status_reason: str | None = None
    lifecycle_stage: str | None = None
    rollback_reason: str | None = None  # set once ECS started rolling it back (ServiceDeployment.rollback)
    requested: int = 0  # the target revision's requestedTaskCount, runningTaskCount, pendingTaskCount
    running: int = 0
    pending: int = 0


class NativeJudgement(Judgement):
    lifecycle_stage: str | None = None
    ecs_rollback: Literal["succeeded", "failed"] | None = None


def follow(
    deployment: ServiceDeploymentState,
    rollout: Rollout,
    policy: HealthPolicy,
    now: datetime,
    hook: MetricEvidence | None = None,
    events: list[str] | None = None,
) -> NativeJudgement:
    """The verdict on a native deployment from its lifecycle: ECS shifts the traffic, pushdeploy's hook judges
    the metrics (`hook`, its last answer and judgement), and ECS rolls back by itself when the hook answers FAILED
    (or its own checks fail), so pushdeploy's Rollback is not needed then: the verdict is FAILED and
    `ecs_rollback` says whether ECS's way back succeeded (outcome rolled_back or rollback_failed).
    After SUCCESSFUL, the deploy is watched like a rolling one (ECS judges nothing after it completes)."""
    judged = f"; the judge: {hook.summary()}" if hook else ""
    failed_by_hook = hook.reason if hook and hook.hook_status == "FAILED" else None
    evidence = Evidence(
        deployment=DeploymentEvidence(
            id=deployment.arn,
            task_definition=rollout.task_definition,
            status=deployment.status,
            rollout_state=deployment.lifecycle_stage,
            rollout_state_reason=deployment.status_reason,
            desired=deployment.requested,
            running=deployment.running,
            pending=deployment.pending,
        ),
        events=(events or [])[:5],
        hook=hook,
    )

    def verdict(kind: Verdict, reason: str, **fields: object) -> NativeJudgement:
        return NativeJudgement(
            verdict=kind,
            reason=reason,
            evidence=evidence,
            lifecycle_stage=deployment.lifecycle_stage,
            **fields,  # type: ignore[arg-type]
        )

    ecs_reason = deployment.rollback_reason or deployment.status_reason or "no reason given"
    if deployment.status == "SUCCESSFUL":
        healthy = verdict(Verdict.HEALTHY, f"ECS completed {rollout.strategy} deployment {deployment.arn}{judged}")
        watch_until = _watch_until(now, rollout, policy)
        left = math.ceil((watch_until - now).total_seconds()) if watch_until else 0
        return healthy.model_copy(
            update={"healthy_since": now, "watch_until": watch_until, "watch_seconds": max(0, left)}
        )
    if deployment.status == "ROLLBACK_SUCCESSFUL":
        return verdict(
            Verdict.FAILED, failed_by_hook or f"ECS rolled the deployment back: {ecs_reason}", ecs_rollback="succeeded"
        )
    if deployment.status == "ROLLBACK_FAILED":
        why = failed_by_hook or f"ECS rolled the deployment back: {ecs_reason}"
        return verdict(
            Verdict.FAILED,
            f"{why}; ECS's rollback failed: {deployment.status_reason or 'no reason given'}",
            ecs_rollback="failed",
        )
    if deployment.status in ("STOPPED", "STOP_REQUESTED"):
        return verdict(Verdict.SUPERSEDED, f"ECS stopped deployment {deployment.arn}: {ecs_reason}")
    rolling_back = deployment.status in ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")
    stage = deployment.lifecycle_stage or deployment.status
    tasks = f"{deployment.running}/{deployment.requested} new tasks running"
    progress = f"ECS is rolling back: {failed_by_hook or ecs_reason}" if rolling_back else f"{stage}: {tasks}{judged}"
    deadline = rollout.started_at + timedelta(seconds=policy.deadline_seconds)
    to_deadline = (deadline - now).total_seconds()
    if to_deadline <= 0:
        elapsed = int((now - rollout.started_at).total_seconds())
        return verdict(
            Verdict.TIMED_OUT, f"not done after {elapsed} s (deadline {policy.deadline_seconds} s): {progress}"
        )
    return verdict(Verdict.IN_PROGRESS, progress, wait_seconds=_clamp(POLL_SECONDS, to_deadline))


def _watch_until(now: datetime, rollout: Rollout, policy: HealthPolicy) -> datetime | None:
    """The end of a deploy's watch: `policy.watch_seconds` after its first healthy verdict (rollbacks: none)."""
    if rollout.phase != "deploy" or policy.watch_seconds == 0:
        return None
    return rollout.watch_until or now + timedelta(seconds=policy.watch_seconds)


def probe_interval(phase: str, rollout_state: str | None) -> int:
    """How long a rollout that is still in progress waits for its next probe: an event ends a deploy's wait
    sooner while ECS will report its deployment COMPLETED or FAILED; nothing reports the rest."""
    return FALLBACK_PROBE_SECONDS if phase == "deploy" and rollout_state == "IN_PROGRESS" else POLL_SECONDS


def is_failing_stop(task: TaskState) -> bool:
    """A stop that a retry will not cure: the image or its configuration is at fault."""
    texts = [task.stopped_reason or ""] + [c.reason or "" for c in task.containers]
    if any(marker in text for marker in FAILING_STOP_MARKERS for text in texts):
        return True
    if task.stop_code == "TaskFailedToStart":
        return True
    exited = ESSENTIAL_EXIT in (task.stopped_reason or "")
    return exited and any(c.exit_code not in (None, 0) for c in task.containers)


def _not_yet_healthy(observation: Observation, ours: Deployment) -> str | None:
    """What the rollout still waits for, or None when every healthy condition holds."""
    running = [t for t in observation.tasks if t.last_status == "RUNNING" and not t.stopped]
    if len(running) < ours.desired:
        return f"{len(running)}/{ours.desired} new tasks running"
    for group in observation.target_groups:
        healthy = {t.target_id for t in observation.targets if t.target_group == group and t.state == "healthy"}
        pending = [t for t in running if t.ip not in healthy]
        if pending:
            return f"{len(running) - len(pending)}/{len(running)} new targets healthy in {group.rsplit(':', 1)[-1]}"
    unproven = [t for t in running if t.health_status == "UNHEALTHY" or (t.health_status == "UNKNOWN" and _checked(t))]
    if unproven:
        return f"{len(running) - len(unproven)}/{len(running)} new tasks pass their container health check"
    only_ours = len(observation.deployments) == 1 and ours.running == ours.desired
    if ours.rollout_state != "COMPLETED" and not only_ours:
        return "waiting for the old tasks to drain"
    return None


def _checked(task: TaskState) -> bool:
    """A container health check is configured when some container reports a health status of its own."""
    return any(c.health_status in ("HEALTHY", "UNHEALTHY") for c in task.containers)


def _healthy_reason(ours: Deployment, observation: Observation) -> str:
    where = f" and healthy in {len(observation.target_groups)} target group(s)" if observation.target_groups else ""
    return f"deployment {ours.id}: {ours.running}/{ours.desired} tasks running{where}"


def _find(deployments: list[Deployment], deployment_id: str) -> Deployment | None:
    return next((d for d in deployments if d.id == deployment_id), None)


def _clamp(seconds: float, limit: float) -> int:
    return int(max(MIN_WAIT_SECONDS, min(seconds, limit, MAX_WAIT_SECONDS)))
