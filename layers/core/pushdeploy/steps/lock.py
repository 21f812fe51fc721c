"""Lock and Unlock: one deployment in flight per service."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel

from pushdeploy.adapters import dynamodb
from pushdeploy.errors import LockBusy
from pushdeploy.steps.plan import PlanItem

# The lock outlives a stuck execution by at most this much beyond its own deadline (the last resort;
# the holder's status is checked first in a later version).
LOCK_GRACE_SECONDS = 3600


class LockInput(BaseModel):
    item: PlanItem
    execution: str


class LockOutput(BaseModel):
    service: str
    holder: str
    expires_at: int


def lock(request: LockInput, table: str) -> LockOutput:
    now = int(datetime.now(UTC).timestamp())
    expires_at = now + 2 * request.item.target.policy.deadline_seconds + LOCK_GRACE_SECONDS
    key = request.item.target.key
    holder = dynamodb.acquire(table, key, request.execution, request.item.kind, now, expires_at)
    if holder is not None:
        raise LockBusy(f"{key} is being deployed by {holder}")
    return LockOutput(service=key, holder=request.execution, expires_at=expires_at)


class UnlockOutput(BaseModel):
    service: str
    released: bool


def unlock(request: LockInput, table: str) -> UnlockOutput:
    key = request.item.target.key
    return UnlockOutput(service=key, released=dynamodb.release(table, key, request.execution))
