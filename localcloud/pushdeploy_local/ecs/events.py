"""The "ECS Task State Change" (and "ECS Deployment State Change") events the model sends to EventBridge,
and their way there.

ECS sends one whenever a task's lastStatus or desiredStatus changes
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html). Its detail is the
task as DescribeTasks shows it, which `moto_view` writes; the envelope is EventBridge's.

EventBridge delivers them best effort: `Outbox` gives each event a delivery instant (a timer of the
model's, see `behaviour._next_timer_after`), loses some and delivers some twice, as a scenario's
`world.events` says; by default every event is delivered at once, once and in order.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pushdeploy_local.ecs.facts import DEPLOYMENT_STATE_CHANGE, TASK_STATE_CHANGE
from pushdeploy_local.scenario import EventDelivery


def envelope(
    *,
    source: str,
    detail_type: str,
    detail: dict[str, Any],
    resources: list[str],
    account_id: str,
    region: str,
    at: datetime,
    event_id: str,
) -> dict[str, Any]:
    """An AWS service's event as EventBridge carries it: the envelope every service's event shares
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html)."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": detail_type,
        "source": source,
        "account": account_id,
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": resources,
        "detail": detail,
    }


def task_state_change(
    *, detail: dict[str, Any], task_arn: str, account_id: str, region: str, at: datetime, event_id: str
) -> dict[str, Any]:
    """The EventBridge event of a task's state change at `at`: its detail is the task as DescribeTasks shows it."""
    return envelope(
        source="aws.ecs",
        detail_type=TASK_STATE_CHANGE,
        detail={**detail, "updatedAt": iso8601(at)},
        resources=[task_arn],
        account_id=account_id,
        region=region,
        at=at,
        event_id=event_id,
    )


def deployment_event(
    *,
    service_arn: str,
    event_name: str,
    deployment_id: str,
    reason: str,
    account_id: str,
    region: str,
    at: datetime,
    event_id: str,
) -> dict[str, Any]:
    """ECS's "ECS Deployment State Change" event: SERVICE_DEPLOYMENT_IN_PROGRESS or _COMPLETED (INFO),
    SERVICE_DEPLOYMENT_FAILED (ERROR), about the service's deployment `deployment_id`
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_deployment_events.html)."""
    return envelope(
        source="aws.ecs",
        detail_type=DEPLOYMENT_STATE_CHANGE,
        detail={
            "eventType": "ERROR" if event_name == "SERVICE_DEPLOYMENT_FAILED" else "INFO",
            "eventName": event_name,
            "deploymentId": deployment_id,
            "updatedAt": iso8601(at),
            "reason": reason,
        },
        resources=[service_arn],
        account_id=account_id,
        region=region,
        at=at,
        event_id=event_id,
    )


def iso8601(at: datetime) -> str:
    """As moto's serializer writes a timestamp in ISO 8601 (microseconds only when there are some)."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if at.microsecond else "%Y-%m-%dT%H:%M:%SZ")


@dataclass(order=True)
class _Delivery:
    at: float
    sequence: int  # the order of posting, which breaks ties between equal instants
    event: dict[str, Any] = field(compare=False)


class Outbox:
    """Task state-change events on their way to EventBridge's targets, each with its delivery instant.

    EventBridge delivers AWS service events best effort: late, duplicated or (rarely) not at all
    (aws-facts.md, "EventBridge"; https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_cwe_events.html).
    `delivery` says how (a scenario's `world.events`); its draws come from a generator of their own,
    seeded by the scenario, so that a run replays exactly and the model's ids do not move. With the
    default delivery every event is due the instant it is posted, once, in order.
    """

    def __init__(self, delivery: EventDelivery | None = None, *, seed: int = 0) -> None:
        self._delivery = delivery if delivery is not None else EventDelivery()
        self._draws = random.Random(f"{seed}:delivery")
        self._pending: list[_Delivery] = []
        self._posted = 0

    def post(self, event: dict[str, Any], *, now: float) -> None:
        """An event emitted at `now`: lost, or delivered once or twice, each copy after its own delay."""
        sequence, self._posted = self._posted, self._posted + 1
        if self._draw(self._delivery.loss_rate):
            return
        # A duplicate is the same event (same id) delivered again: consumers must be idempotent.
        copies = 2 if self._draw(self._delivery.duplicate_rate) else 1
        for _ in range(copies):
            self._pending.append(_Delivery(now + self._delay(), sequence, copy.deepcopy(event)))

    def drain(self, *, now: float) -> list[dict[str, Any]]:
        """The events due by `now`, in order of delivery (so a later event may come before an earlier one)."""
        due = sorted(delivery for delivery in self._pending if delivery.at <= now)
        self._pending = [delivery for delivery in self._pending if delivery.at > now]
        return [delivery.event for delivery in due]

    def next_delivery_after(self, now: float) -> float | None:
        later = [delivery.at for delivery in self._pending if delivery.at > now]
        return min(later, default=None)

    def mark(self) -> int:
        """A point to `discard_since`."""
        return self._posted

    def discard_since(self, mark: int) -> None:
        self._pending = [delivery for delivery in self._pending if delivery.sequence < mark]

    def _draw(self, rate: float) -> bool:
        # No draw for a rate of 0, so that a scenario without losses or duplicates draws nothing.
        return rate > 0 and self._draws.random() < rate

    def _delay(self) -> float:
        low, high = self._delivery.delay_seconds
        return low if low == high else self._draws.uniform(low, high)
