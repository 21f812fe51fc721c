"""Watch and Wake: the rollout and the watch after its healthy verdict wait on ECS's and CloudWatch's events.

The state machine does not poll a deploy: its AwaitRollout state (while the rollout is in progress) and
its Watch state (after the healthy verdict) each wait on a task token until the wait ends
(TimeoutSecondsPath: the fallback probe, or the end of the watch) or the token comes back. `watch`
records the token in the service's lock item, with what it waits for (`kind`). `wake` is the one
handler of the events (EventBridge) that hand it back, once:
- an ECS Task State Change of a stopped task that belongs to the waiting deployment and stopped for a
  failure (pushdeploy.verdict.is_failing_stop);
- an ECS Deployment State Change of the waiting deployment: SERVICE_DEPLOYMENT_FAILED ends either wait,
  SERVICE_DEPLOYMENT_COMPLETED the rollout's (the watch of a healthy deploy waits for failures only)
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_deployment_events.html);
- a CloudWatch Alarm State Change to ALARM, handing back the token of each wait whose target's policy
  names that alarm.
The Check that follows judges it by the same rules as any probe. A newer push waiting for the service
ends the watch of a healthy deploy too (pushdeploy.steps.lock), never a rollout's wait.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from pydantic import Field

from pushdeploy.adapters import dynamodb, ecs, stepfunctions
from pushdeploy.models import Model, PlanItem, Rollout, Verdict
from pushdeploy.verdict import TaskState, is_failing_stop

logger = Logger(child=True)


class WatchInput(Model):
    item: PlanItem
    rollout: Rollout
    execution: str
    token: str = Field(min_length=1)


class WatchOutput(Model):
    service: str
    watching: bool
    reason: str


class TaskStateChange(Model):
    """The part of EventBridge's `ECS Task State Change` event that `wake` reads."""

    detail_type: str = Field(alias="detail-type", pattern=r"^ECS Task State Change$")
    detail: dict[str, Any]


class AlarmStateChange(Model):
    """The part of EventBridge's `CloudWatch Alarm State Change` event that `wake` reads
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html)."""

    detail_type: str = Field(alias="detail-type", pattern=r"^CloudWatch Alarm State Change$")
    detail: dict[str, Any]


class DeploymentStateChangeDetail(Model):
    event_name: str = Field(alias="eventName", min_length=1)
    deployment_id: str = Field(alias="deploymentId", min_length=1)
    reason: str = ""


class DeploymentStateChange(Model):
    """The part of EventBridge's `ECS Deployment State Change` event that `wake` reads: its resource is the
    service's ARN (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_deployment_events.html)."""

    detail_type: str = Field(alias="detail-type", pattern=r"^ECS Deployment State Change$")
    resources: list[str] = Field(min_length=1)
    detail: DeploymentStateChangeDetail


# The deployment state changes that decide something: COMPLETED (a rollout may be healthy now) and FAILED (ECS's
# circuit breaker); SERVICE_DEPLOYMENT_IN_PROGRESS decides nothing.
DEPLOYMENT_COMPLETED, DEPLOYMENT_FAILED = "SERVICE_DEPLOYMENT_COMPLETED", "SERVICE_DEPLOYMENT_FAILED"


class WakeOutput(Model):
    woke: bool
    reason: str


def watch(request: WatchInput, table: str) -> WatchOutput:
    """Record the token the state machine waits on: the watch of a healthy deploy, or the rollout's wait for
    its next evidence."""
    target, rollout = request.item.target, request.rollout
    key = target.key
    kind: dynamodb.WatchKind = "watch" if rollout.verdict == Verdict.HEALTHY else "rollout"
    if not dynamodb.start_watch(
        table, key, request.execution, request.token, rollout.deployment_id, target.policy.alarms, kind
    ):
        if kind == "rollout":
            # Left to its timeout: the fallback probe judges the rollout (SUPERSEDED, when another took over).
            return WatchOutput(service=key, watching=False, reason="the lock is no longer ours: the next probe decides")
        reason = "the lock is no longer ours: nothing to watch over"
        stepfunctions.send_task_success(request.token, {"end": reason})
        return WatchOutput(service=key, watching=False, reason=reason)
    # What happened between the last probe and now sent its event before the token was recorded.
    missed = _missed_evidence(target.cluster, target.service, rollout, kind)
    if missed is not None:
        _give_back(table, key, request.token, missed)
        return WatchOutput(service=key, watching=False, reason=missed["reason"])
    if kind == "watch":
        reason = f"watching {rollout.deployment_id} for {rollout.watch_seconds} s"
    else:
        reason = f"waiting for the events of {rollout.deployment_id}, at most {rollout.wait_seconds} s"
    return WatchOutput(service=key, watching=True, reason=reason)


def _missed_evidence(cluster: str, service: str, rollout: Rollout, kind: dynamodb.WatchKind) -> dict[str, str] | None:
    """The hand-back output for evidence the last probe did not judge, or None: a task of the deployment that
    stopped for a failure since (beyond the `failing` ones the probe counted) and, for a rollout, its deployment
    state changed since (COMPLETED or FAILED, or no longer PRIMARY)."""
    stopped = ecs.list_deployment_tasks(cluster, rollout.deployment_id, "STOPPED")
    failed = [t for t in ecs.describe_tasks(cluster, stopped) if is_failing_stop(t)]
    if len(failed) > rollout.failing:
        # Name one the probe has not seen if there is one: the next probe describes the task that woke it.
        task = next((t for t in failed if t.task_arn not in rollout.tasks), failed[0])
        return {"woken_by": task.task_arn, "reason": task.as_stopped().summary}
    if kind == "watch":
        return None
    ours = next(
        (d for d in ecs.deployments(ecs.describe_service(cluster, service)) if d.id == rollout.deployment_id), None
    )
    seen = rollout.evidence.deployment.rollout_state if rollout.evidence.deployment else "IN_PROGRESS"
    if ours is None or ours.status != "PRIMARY":
        return {
            "woken_by": f"deployment {rollout.deployment_id}",
            "reason": f"{rollout.deployment_id} is no longer PRIMARY",
        }
    if ours.rollout_state in ("COMPLETED", "FAILED") and ours.rollout_state != seen:
        return {
            "woken_by": f"deployment {rollout.deployment_id}",
            "reason": ours.rollout_state_reason or f"{rollout.deployment_id} is {ours.rollout_state}",
        }
    return None


def wake(event: dict[str, Any], table: str) -> WakeOutput:
    if event.get("detail-type") == "CloudWatch Alarm State Change":
        return _wake_for_alarm(event, table)
    if event.get("detail-type") == "ECS Deployment State Change":
        return _wake_for_deployment(event, table)
    detail = TaskStateChange.model_validate(event).detail
    task = ecs.task_state(detail)
    if not (task.stopped and is_failing_stop(task)):
        return WakeOutput(woke=False, reason=f"task {task.task_id} did not stop for a failure")
    group, cluster = str(detail.get("group", "")), str(detail.get("clusterArn", "")).rsplit("/", 1)[-1]
    if not group.startswith("service:"):
        return WakeOutput(woke=False, reason=f"task {task.task_id} belongs to no service")
    key = f"{cluster}/{group.removeprefix('service:')}"
    current = dynamodb.read(table, key)
    if current.watch_token is None or current.watch_deployment != detail.get("startedBy"):
        return WakeOutput(woke=False, reason=f"no watch on the deployment of task {task.task_id} in {key}")
    woke = _hand_back(table, key, current.watch_token, task)
    return WakeOutput(woke=woke, reason=task.as_stopped().summary)


def _wake_for_deployment(event: dict[str, Any], table: str) -> WakeOutput:
    change = DeploymentStateChange.model_validate(event)
    deployment, name = change.detail.deployment_id, change.detail.event_name
    if name not in (DEPLOYMENT_COMPLETED, DEPLOYMENT_FAILED):
        return WakeOutput(woke=False, reason=f"deployment {deployment}: {name} decides nothing")
    # arn:aws:ecs:region:account:service/cluster/service (the ARN format that names the cluster).
    parts = change.resources[0].split(":", 5)[-1].split("/")
    if len(parts) != 3 or parts[0] != "service":
        return WakeOutput(woke=False, reason=f"deployment {deployment}: {change.resources[0]} names no cluster")
    key = f"{parts[1]}/{parts[2]}"
    current = dynamodb.read(table, key)
    if current.watch_token is None or current.watch_deployment != deployment:
        return WakeOutput(woke=False, reason=f"nothing waits on deployment {deployment} in {key}")
    if name == DEPLOYMENT_COMPLETED and current.watch_kind == "watch":
        return WakeOutput(
            woke=False, reason=f"deployment {deployment} is judged healthy already: its watch waits for failures"
        )
    reason = change.detail.reason or f"deployment {deployment}: {name}"
    woke = _give_back(table, key, current.watch_token, {"woken_by": f"deployment {deployment}", "reason": reason})
    if woke:
        logger.info("woke the rollout", extra={"service": key, "deployment": deployment, "event": name})
    return WakeOutput(woke=woke, reason=reason)


def _wake_for_alarm(event: dict[str, Any], table: str) -> WakeOutput:
    detail = AlarmStateChange.model_validate(event).detail
    name, state = str(detail.get("alarmName", "")), str(detail.get("state", {}).get("value", ""))
    if state != "ALARM":
        return WakeOutput(woke=False, reason=f"alarm {name} is {state}, not ALARM")
    reason = f"alarm {name} is in ALARM"
    woken = [
        service
        for service, token in dynamodb.watches_of_alarm(table, name)
        if _give_back(table, service, token, {"woken_by": f"alarm {name}", "reason": reason})
    ]
    if woken:
        logger.info("woke the watch", extra={"services": woken, "alarm": name})
        return WakeOutput(woke=True, reason=f"{reason}: woke the watch of {', '.join(woken)}")
    return WakeOutput(woke=False, reason=f"{reason}: no watch names it")


def end_watch(table: str, service: str, token: str, reason: str) -> None:
    """End a watch early (the healthy verdict stands): the rollout goes on to Unlock."""
    _give_back(table, service, token, {"end": reason})


def _hand_back(table: str, service: str, token: str, task: TaskState) -> bool:
    """Wake the watching execution's Check."""
    woke = _give_back(table, service, token, {"woken_by": task.task_arn, "reason": task.as_stopped().summary})
    if woke:
        logger.info("woke the watch", extra={"service": service, "task": task.task_arn})
    return woke


def _give_back(table: str, service: str, token: str, output: dict[str, str]) -> bool:
    """Send the token back once: whoever takes it out of the lock item sends it."""
    return dynamodb.end_watch(table, service, token) and stepfunctions.send_task_success(token, output)
