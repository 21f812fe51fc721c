"""Lock and Unlock: one deployment in flight per service, and the newest push goes next.

A push that finds the service busy waits (LockBusy, retried by the ASL); if the holder only watches its
healthy deploy, the push ends that watch. When the service frees up, only the newest push seen for it
may take it: older waiting pushes end `superseded`, quietly. A lock whose holder is no longer running
(aborted, timed out, failed outside its Catch) is recovered at once; the item's expiry is the last
resort.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from aws_lambda_powertools import Logger

from pushdeploy.adapters import dynamodb, stepfunctions
from pushdeploy.errors import LockBusy, LockWaitExpired
from pushdeploy.models import Model, PlanItem
from pushdeploy.steps import watch

logger = Logger(child=True)

# How long past its deadline a holder that cannot be asked about keeps the lock (the last resort).
LOCK_GRACE_SECONDS = 3600


class LockInput(Model):
    item: PlanItem
    execution: str


class LockOutput(Model):
    service: str
    status: Literal["held", "superseded"]
    holder: str
    reason: str = ""


def order_key(item: PlanItem, execution: str) -> str:
    """Pushes are ordered by when they were requested; the execution breaks ties (ISO times sort as text)."""
    return f"{item.requested_at.astimezone(UTC).isoformat()}|{execution}"


def lock_lifetime(item: PlanItem) -> int:
    """How long the lock may outlive a holder that cannot be asked about: its rollout and its rollback, each
    up to the deadline, a wait for approval before them, and the grace."""
    policy = item.target.policy
    approval = policy.approval_timeout_seconds if policy.approval and item.kind == "deploy" else 0
    return approval + 2 * policy.deadline_seconds + LOCK_GRACE_SECONDS


def lock(request: LockInput, table: str) -> LockOutput:
    item, me = request.item, request.execution
    key = item.target.key
    if not dynamodb.note_push(table, key, me, order_key(item, me)):
        return _superseded(key, dynamodb.read(table, key).newest)
    now = int(datetime.now(UTC).timestamp())
    running = item.task_definition if item.kind == "deploy" else None  # seeds `good` (steps.unlock)
    expires_at = now + lock_lifetime(item)
    if dynamodb.take(table, key, me, now, expires_at, running):
        return LockOutput(service=key, status="held", holder=me)
    current = dynamodb.read(table, key)
    if current.newest != me:
        return _superseded(key, current.newest)
    if current.watch_token and current.watch_kind == "watch":
        # The holder only watches a healthy deploy now: the newest push need not wait for the watch to end.
        # (A token the rollout waits on is not ended: its verdict is still to come.)
        watch.end_watch(table, key, current.watch_token, f"a newer push ({me.rsplit(':', 1)[-1]}) is waiting")
    if current.holder and stepfunctions.execution_status(current.holder) != "RUNNING":
        logger.warning("recovering the lock of an execution that has ended", extra={"holder": current.holder})
        dynamodb.release(table, key, current.holder)
        if dynamodb.take(table, key, me, now, expires_at, running):
            return LockOutput(service=key, status="held", holder=me)
    waited, limit = now - int(item.requested_at.timestamp()), item.target.policy.lock_wait_seconds
    if waited >= limit:
        raise LockWaitExpired(
            f"{key} was still being deployed by {current.holder} after {waited} s "
            f"(lock_wait_seconds is {limit}); this push was not deployed"
        )
    raise LockBusy(f"{key} is being deployed by {current.holder}")


def _superseded(service: str, newer: str | None) -> LockOutput:
    reason = f"a newer push ({(newer or 'unknown').rsplit(':', 1)[-1]}) deploys {service} instead"
    logger.info("superseded", extra={"service": service, "newer": newer})
    return LockOutput(service=service, status="superseded", holder=newer or "", reason=reason)
