"""The "ECS Task State Change" events the model sends to EventBridge, and their way there.

ECS sends one whenever a task's lastStatus or desiredStatus changes
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html). Its detail is the
task as DescribeTasks shows it, which `moto_view` writes; the envelope is EventBridge's.

Today every event is delivered at once and in order: `Outbox.drain` hands over all of them. EventBridge
delivers ECS events best effort, so a delivery delay or a lost event belongs in `Outbox` (an event's
delivery instant would join the model's timers in `behaviour`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pushdeploy_local.ecs.facts import TASK_STATE_CHANGE


def task_state_change(
    *, detail: dict[str, Any], task_arn: str, account_id: str, region: str, at: datetime, event_id: str
) -> dict[str, Any]:
    """The EventBridge event of a task's state change at `at`: its detail is the task as DescribeTasks shows it."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": TASK_STATE_CHANGE,
        "source": "aws.ecs",
        "account": account_id,
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [task_arn],
        "detail": {**detail, "updatedAt": iso8601(at)},
    }


def iso8601(at: datetime) -> str:
    """As moto's serializer writes a timestamp in ISO 8601 (microseconds only when there are some)."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if at.microsecond else "%Y-%m-%dT%H:%M:%SZ")


class Outbox:
    """Task state-change events emitted and not yet handed to EventBridge, oldest first."""

    def __init__(self) -> None:
        self._events: list[dict[str, Any]] = []

    def post(self, event: dict[str, Any]) -> None:
        self._events.append(event)

    def drain(self) -> list[dict[str, Any]]:
        events, self._events = self._events, []
        return events

    def mark(self) -> int:
        """A point to `discard_since`."""
        return len(self._events)

    def discard_since(self, mark: int) -> None:
        del self._events[mark:]
