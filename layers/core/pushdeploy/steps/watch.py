"""Watch and Wake: after the healthy verdict, wake the rollout's Check when one of its tasks fails.

The state machine does not poll a healthy deploy: its Watch state waits on a task token until the
watch ends (TimeoutSecondsPath) or the token comes back. `watch` records the token in the service's
lock item. `wake` runs on every ECS Task State Change event of a stopped task (EventBridge) and hands
the token back when the task belongs to the watched deployment and stopped for a failure
(pushdeploy.verdict.is_failing_stop), and on every CloudWatch Alarm State Change to ALARM, handing back the
token of each watch whose target's policy names that alarm; the Check that follows judges it by the same
rules as any probe.
A newer push waiting for the service ends the watch too (pushdeploy.steps.lock).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from pydantic import Field

from pushdeploy.adapters import dynamodb, ecs, stepfunctions
from pushdeploy.models import Model, PlanItem, Rollout
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


class WakeOutput(Model):
    woke: bool
    reason: str


def watch(request: WatchInput, table: str) -> WatchOutput:
    target, rollout = request.item.target, request.rollout
    key = target.key
    alarms = target.policy.alarms
    if not dynamodb.start_watch(table, key, request.execution, request.token, rollout.deployment_id, alarms):
        reason = "the lock is no longer ours: nothing to watch over"
        stepfunctions.send_task_success(request.token, {"end": reason})
        return WatchOutput(service=key, watching=False, reason=reason)
    # A task that failed between the healthy verdict and now sent its event before the token was recorded.
    stopped = ecs.list_deployment_tasks(target.cluster, rollout.deployment_id, "STOPPED")
    failed = [t for t in ecs.describe_tasks(target.cluster, stopped) if is_failing_stop(t)]
    if failed:
        _hand_back(table, key, request.token, failed[0])
        return WatchOutput(service=key, watching=False, reason=failed[0].as_stopped().summary)
    return WatchOutput(
        service=key, watching=True, reason=f"watching {rollout.deployment_id} for {rollout.watch_seconds} s"
    )


def wake(event: dict[str, Any], table: str) -> WakeOutput:
    if event.get("detail-type") == "CloudWatch Alarm State Change":
        return _wake_for_alarm(event, table)
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
