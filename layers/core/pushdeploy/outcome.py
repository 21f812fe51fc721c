"""What became of one target: the iteration's result, from what its steps recorded. Pure."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field

from pushdeploy.models import Model, PlanItem, Rollout, Verdict
from pushdeploy.steps.lock import LockOutput
from pushdeploy.steps.rollout import Registered


class Outcome(StrEnum):
    DEPLOYED = "deployed"
    ROLLED_BACK = "rolled_back"
    ROLLBACK_FAILED = "rollback_failed"
    SUPERSEDED = "superseded"
    FAILED = "failed"  # could not be deployed; the service was not changed
    REVERTED = "reverted"  # a rollback asked for by hand, done


OK_OUTCOMES = (Outcome.DEPLOYED, Outcome.SUPERSEDED, Outcome.REVERTED)
Severity = Literal["info", "warning", "critical"]


class StepError(Model):
    """What a Catch put in `$.error`: the error name and its cause (for a Lambda error, its JSON)."""

    model_config = ConfigDict(populate_by_name=True)

    error: str = Field(alias="Error")
    cause: str = Field("", alias="Cause")

    @property
    def message(self) -> str:
        try:
            cause = json.loads(self.cause)
        except ValueError:
            return f"{self.error}: {self.cause}".strip(": ")
        if isinstance(cause, dict) and "errorMessage" in cause:
            return f"{cause.get('errorType', self.error)}: {cause['errorMessage']}"
        return f"{self.error}: {self.cause}"


class IterationState(Model):
    """Everything one Map iteration recorded; the Notify step's input."""

    item: PlanItem
    execution: str
    lock: LockOutput | None = None
    registered: Registered | None = None
    rollout: Rollout | None = None
    rollback: Rollout | None = None
    error: StepError | None = None


class TargetResult(Model):
    """One target's result: the iteration's output, kept small (the evidence is in the alert)."""

    service: str
    outcome: Outcome
    ok: bool
    severity: Severity
    reason: str
    image: str | None = None
    digest: str | None = None
    runs_now: str
    runs_now_image: str | None = None
    healthy_now: bool | None = None
    started_at: datetime | None = None
    verdict_at: datetime | None = None
    finished_at: datetime
    execution: str
    alerted: bool = False


def decide(state: IterationState, now: datetime) -> TargetResult:
    item, rollout, rollback, error = state.item, state.rollout, state.rollback, state.error
    error_text = error.message if error else None
    previous_image = state.registered.previous_image if state.registered else None
    fields = {
        "service": item.target.key,
        "image": item.image.label if item.image else None,
        "digest": item.image.digest if item.image else None,
        "started_at": rollout.started_at if rollout else None,
        "verdict_at": rollout.decided_at if rollout else None,
        "finished_at": now,
        "execution": state.execution,
    }

    def result(outcome: Outcome, reason: str, runs_now: str, image: str | None, healthy: bool | None) -> TargetResult:
        severity: Severity = (
            "info" if outcome in OK_OUTCOMES else "critical" if outcome == Outcome.ROLLBACK_FAILED else "warning"
        )
        return TargetResult(
            outcome=outcome,
            ok=outcome in OK_OUTCOMES,
            severity=severity,
            reason=reason,
            runs_now=runs_now,
            runs_now_image=image,
            healthy_now=healthy,
            **fields,
        )

    if state.lock is not None and state.lock.status == "superseded":
        return result(Outcome.SUPERSEDED, state.lock.reason, item.task_definition, None, None)
    if item.kind == "rollback":
        if rollback and rollback.verdict == Verdict.HEALTHY:
            return result(Outcome.REVERTED, rollback.reason, rollback.task_definition, None, True)
        return result(
            Outcome.ROLLBACK_FAILED, _rollback_failure(rollback, error_text), item.task_definition, None, None
        )

    if rollout is None and rollback is None:
        return result(Outcome.FAILED, error_text or "not deployed", item.task_definition, None, None)
    why = (rollout.reason if rollout and rollout.verdict != Verdict.IN_PROGRESS else None) or error_text or "unknown"
    if rollback is None:
        assert rollout is not None
        if rollout.verdict == Verdict.HEALTHY and error is None:
            image = item.image.reference if item.image else None
            return result(Outcome.DEPLOYED, rollout.reason, rollout.task_definition, image, True)
        if rollout.verdict == Verdict.SUPERSEDED:
            return result(Outcome.SUPERSEDED, rollout.reason, "unknown (another deployment took over)", None, None)
        return result(
            Outcome.ROLLBACK_FAILED,
            f"{why}; {_rollback_failure(None, error_text)}",
            rollout.task_definition,
            None,
            None,
        )
    if rollback.verdict == Verdict.HEALTHY:
        return result(Outcome.ROLLED_BACK, why, rollback.task_definition, previous_image, True)
    return result(
        Outcome.ROLLBACK_FAILED,
        f"{why}; {_rollback_failure(rollback, error_text)}",
        rollback.task_definition,
        previous_image,
        False,
    )


def _rollback_failure(rollback: Rollout | None, error_text: str | None) -> str:
    if rollback is None:
        return f"the rollback could not start: {error_text or 'unknown error'}"
    if rollback.verdict == Verdict.IN_PROGRESS:
        return f"the rollback did not finish: {error_text or rollback.reason}"
    return f"the rollback ended {rollback.verdict}: {rollback.reason}"
