"""Unlock: free the service for the next push, and remember what was verified healthy on it.

A target whose outcome left it healthy (deployed, rolled back to the previous version and healthy again,
or reverted by hand) records the task definition it runs at the head of the service's `good` list.
A rollback asked for without a destination returns to the newest of them that is not running now, so it
never returns to a version pushdeploy rolled back: that one was never verified healthy.

The list starts with what the service ran before pushdeploy first deployed to it (the Lock step seeds it):
pushdeploy trusts that one as it trusts the version an automatic rollback returns to. After that, only
what pushdeploy verified enters the list (a version left running by a failed rollback never does).
"""

from __future__ import annotations

from datetime import UTC, datetime

from pushdeploy.adapters import dynamodb
from pushdeploy.models import Model
from pushdeploy.outcome import IterationState, decide

GOOD_KEPT = 5  # verified-healthy task definitions remembered per service


class UnlockOutput(Model):
    service: str
    released: bool
    good: str | None = None  # the task definition recorded as verified healthy, if any


def unlock(state: IterationState, table: str) -> UnlockOutput:
    key = state.item.target.key
    result = decide(state, datetime.now(UTC))
    if not (result.ok and result.healthy_now):
        return UnlockOutput(service=key, released=dynamodb.release(table, key, state.execution))
    good = remembered(result.runs_now, dynamodb.read(table, key).good)
    return UnlockOutput(service=key, released=dynamodb.release(table, key, state.execution, good), good=result.runs_now)


def remembered(healthy: str, good: tuple[str, ...]) -> list[str]:
    """`healthy` first, then the ones verified before it, each once, the newest GOOD_KEPT."""
    return [healthy, *(arn for arn in good if arn != healthy)][:GOOD_KEPT]
