"""What became of a target and of an execution: the outcomes, their order, and how each is decided. Pure.

One vocabulary for the Notify step, the CLI and the local cloud's report. An outcome says what became
of the deployment; an execution's *status* (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED) is Step
Functions' and is not an outcome: a running execution has none yet, and one that timed out or was
aborted `failed`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from pushdeploy.models import Approved, HealthPolicy, Model, PlanAction, PlanItem, Rollout, UnlockOutput, Verdict
from pushdeploy.steps.lock import LockOutput
from pushdeploy.steps.rollout import Registered


class Outcome(StrEnum):
    DEPLOYED = "deployed"
    ROLLED_BACK = "rolled_back"
    ROLLBACK_FAILED = "rollback_failed"
    SUPERSEDED = "superseded"
    FAILED = "failed"  # could not be deployed; the service was not changed
    REVERTED = "reverted"  # a rollback asked for by hand, done
    # Only an execution's (or a push's), never a target's: the Plan decided before any target was touched.
    IGNORED = "ignored"  # nothing to deploy (a tag no target watches, say); the Plan's reason says why
    PLANNED = "planned"  # a dry run: the Plan said what a deployment would do and nothing changed
    REJECTED = "rejected"  # the input cannot be valid (InvalidRequest); nothing changed
    # The Notify step itself failed after its retries (the ASL's `Unnotified`): what became of the target
    # is in the execution's history, and a person must look. Never decided by `decide`.
    UNKNOWN = "unknown"


# The ASL's errors: a push with a target not ok fails with DEPLOYMENT_FAILED; a child execution whose target is
# not ok fails with TARGET_FAILED, its cause the target's result.
DEPLOYMENT_FAILED = "DeploymentFailed"
TARGET_FAILED = "TargetFailed"

# Worst first: an execution, or a push, that fed several services has the worst of their outcomes.
WORST_FIRST: tuple[Outcome, ...] = (
    Outcome.ROLLBACK_FAILED,
    Outcome.UNKNOWN,
    Outcome.ROLLED_BACK,
    Outcome.FAILED,
    Outcome.REJECTED,
    Outcome.SUPERSEDED,
    Outcome.REVERTED,
    Outcome.DEPLOYED,
    Outcome.PLANNED,
    Outcome.IGNORED,
)
# What needs nobody: the alert is info, the execution succeeds, the CLI exits 0.
GOOD_OUTCOMES = frozenset({Outcome.DEPLOYED, Outcome.SUPERSEDED, Outcome.REVERTED, Outcome.IGNORED, Outcome.PLANNED})
Severity = Literal["info", "warning", "critical"]
# Step Functions' statuses of an execution (DescribeExecution); PENDING_REDRIVE is one being redriven.
ExecutionStatus = Literal["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]
ENDED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


def worst(outcomes: Iterable[Outcome]) -> Outcome:
    """The worst of some outcomes (at least one)."""
    return min(outcomes, key=WORST_FIRST.index)


class StepError(Model):
    """What a Catch put in `$.error`: the error name and its cause (for a Lambda error, its JSON)."""

    model_config = ConfigDict(populate_by_name=True)

    error: str = Field(alias="Error")
    cause: str = Field("", alias="Cause")

    @field_validator("cause", mode="before")
    @classmethod
    def _no_cause(cls, cause: object) -> object:
        """SendTaskFailure's cause is optional: a task failed without one has a null Cause."""
        return "" if cause is None else cause

    @property
    def message(self) -> str:
        """ "KeyError: 'deployments'": the Lambda error's type and message, else the error and its cause."""
        lambda_error = self._lambda_error()
        if lambda_error is not None:
            return f"{lambda_error.get('errorType', self.error)}: {lambda_error['errorMessage']}"
        return f"{self.error}: {self.cause}".strip(": ")

    @property
    def detail(self) -> str:
        """The Lambda error's message alone (what a LockBusy says), else the cause as it is."""
        lambda_error = self._lambda_error()
        return str(lambda_error["errorMessage"]) if lambda_error is not None else self.cause

    def _lambda_error(self) -> dict[str, object] | None:
        """A Lambda error's cause is JSON with errorType and errorMessage; a States.* error's is text."""
        try:
            cause = json.loads(self.cause)
        except ValueError:
            return None
        return cause if isinstance(cause, dict) and "errorMessage" in cause else None


class IterationState(Model):
    """Everything one Map iteration recorded; the Notify step's input."""

    item: PlanItem
    execution: str
    lock: LockOutput | None = None
    registered: Registered | None = None
    approval: Approved | None = None  # who approved the deployment, when its policy asks for approval
    # Why an approval did not come: ApprovalAborted (its cause says who), States.Timeout, or the step's failure.
    approval_error: StepError | None = None
    rollout: Rollout | None = None
    rollback: Rollout | None = None
    error: StepError | None = None
    # What the ASL's Catch recorded after the verdict: the watch could not start, the lock not be released.
    watch_error: StepError | None = None
    unlock_error: StepError | None = None
    unlocked: UnlockOutput | None = None  # what Unlock recorded, and the images it kept from expiring


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
    alert_error: str | None = None  # why the alert could not be published (the outcome stands)


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
            "info" if outcome in GOOD_OUTCOMES else "critical" if outcome == Outcome.ROLLBACK_FAILED else "warning"
        )
        return TargetResult(
            outcome=outcome,
            ok=outcome in GOOD_OUTCOMES,
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

    if state.approval_error is not None:
        reason = not_approved(state.approval_error, item.target.policy)
        return result(Outcome.FAILED, reason, item.task_definition, None, None)
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
        if rollout.ecs_rollback is not None:
            # A native deployment that ECS rolled back by itself (pushdeploy's hook answered FAILED, or ECS's own
            # checks failed): pushdeploy's Rollback did not run; ECS's rollback decides between the two outcomes.
            back_to = rollout.previous_task_definition or item.task_definition
            succeeded = rollout.ecs_rollback == "succeeded"
            outcome = Outcome.ROLLED_BACK if succeeded else Outcome.ROLLBACK_FAILED
            return result(outcome, rollout.reason, back_to, previous_image, succeeded)
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


def not_approved(error: StepError, policy: HealthPolicy) -> str:
    """Why a deployment that waited for approval was not deployed: who aborted it, or that nobody answered."""
    if error.error == "States.Timeout":
        why = f"not approved within {policy.approval_timeout_seconds} s: the approval timed out"
    elif error.error == "ApprovalAborted":
        why = error.cause or "aborted"
    else:
        why = f"the approval could not be asked for: {error.message}"
    return f"{why}; nothing was deployed"


def _rollback_failure(rollback: Rollout | None, error_text: str | None) -> str:
    if rollback is None:
        return f"the rollback could not start: {error_text or 'unknown error'}"
    if rollback.verdict == Verdict.IN_PROGRESS:
        return f"the rollback did not finish: {error_text or rollback.reason}"
    return f"the rollback ended {rollback.verdict}: {rollback.reason}"


class ExecutionOutput(Model):
    """What a succeeded execution returns: the Plan's action and reason (with, for a deployment, where the
    Deploy Map wrote its results: each target's result is its child execution's, read apart)."""

    action: PlanAction
    reason: str = ""


class ExecutionSummary(Model):
    """How an execution ended: its outcome and the reason, and each target's result when it had targets."""

    status: ExecutionStatus
    outcome: Outcome | None  # None while it runs
    reason: str
    action: PlanAction | None = None  # known from a succeeded execution's output
    results: list[TargetResult] = Field(default_factory=list)


class DescribedExecution(Model):
    """The part of DescribeExecution (or of the history's closing event) that tells how an execution ended."""

    status: ExecutionStatus
    output: str | None = None  # JSON, when it succeeded
    error: str | None = None
    cause: str | None = None

    def summary(self, results: Iterable[TargetResult] = ()) -> ExecutionSummary:
        """The worst target's outcome and reason, or the execution's own: ignored by the Plan, rejected by it
        (InvalidRequest), or failed, timed out or aborted.

        `results`: each target's result, as its child execution of the Deploy Map holds it (`DescribedChild.result`,
        or the Notify step's output in the history); the execution's own output and failure hold none, so that
        its payload does not grow with the targets. A DeploymentFailed whose results show no failure (a target's
        execution ended before it had one) is failed, with the execution's cause, which counts them.
        """
        results = list(results)
        if self.status not in ENDED:
            return ExecutionSummary(status=self.status, outcome=None, reason="running")
        if self.status == "SUCCEEDED":
            output = ExecutionOutput.model_validate_json(self.output or "{}")
            if output.action in ("ignore", "dry_run"):
                outcome = Outcome.IGNORED if output.action == "ignore" else Outcome.PLANNED
                return ExecutionSummary(status=self.status, outcome=outcome, reason=output.reason, action=output.action)
            if not results:  # the Plan plans no deployment without a target; it succeeded all the same
                return ExecutionSummary(
                    status=self.status, outcome=Outcome.DEPLOYED, reason=output.reason, action=output.action
                )
            return self._of_targets(results, output.action)
        if self.error == DEPLOYMENT_FAILED and any(not r.ok for r in results):
            return self._of_targets(results, None)
        outcome = Outcome.REJECTED if self.error == "InvalidRequest" else Outcome.FAILED
        return ExecutionSummary(status=self.status, outcome=outcome, reason=self._failure(), results=results)

    def _of_targets(self, results: list[TargetResult], action: PlanAction | None) -> ExecutionSummary:
        outcome = worst(r.outcome for r in results)
        deciding = next(r for r in results if r.outcome == outcome)
        return ExecutionSummary(
            status=self.status, outcome=outcome, reason=deciding.reason, action=action, results=results
        )

    def _failure(self) -> str:
        """ "InvalidRequest: unknown service 'x'…", "States.Runtime: …"; a timeout or an abort says so."""
        said = StepError(error=self.error, cause=self.cause or "").message if self.error else self.cause
        if self.status == "FAILED":
            return said or "the execution failed"
        happened = "the execution timed out" if self.status == "TIMED_OUT" else "the execution was aborted"
        return f"{happened}: {said}" if said else happened


class ChildInput(Model):
    """What the Deploy Map gives each child execution (its ItemSelector): the target's item, and the push's
    execution."""

    item: PlanItem
    execution: str


class DescribedChild(DescribedExecution):
    """DescribeExecution of one child execution of the Deploy Map: one target's deployment."""

    model_config = ConfigDict(populate_by_name=True)

    input: str
    stop_date: datetime | None = Field(None, alias="stopDate")

    def result(self) -> TargetResult | None:
        """The target's result: the child's output, or (the ASL's TargetFailed) its failure's cause; None while
        it runs. A child that ended any other way (timed out, aborted, failed by Step Functions before Notify)
        has no decided outcome: unknown, critical, saying how it ended."""
        if self.status not in ENDED:
            return None
        if self.status == "SUCCEEDED":
            return TargetResult.model_validate_json(self.output or "{}")
        if self.status == "FAILED" and self.error == TARGET_FAILED:
            return TargetResult.model_validate_json(self.cause or "{}")
        given = ChildInput.model_validate_json(self.input)
        said = StepError(error=self.error, cause=self.cause or "").message if self.error else "no error given"
        return TargetResult(
            service=given.item.target.key,
            outcome=Outcome.UNKNOWN,
            ok=False,
            severity="critical",
            reason=f"the target's execution ended {self.status} before deciding an outcome ({said}); "
            "its steps are in its history",
            image=given.item.image.label if given.item.image else None,
            digest=given.item.image.digest if given.item.image else None,
            runs_now="unknown",
            finished_at=self.stop_date or datetime.min,  # an ended execution has its stopDate
            execution=given.execution,
        )


def results_of_children(children: Iterable[DescribedChild]) -> list[TargetResult]:
    """Each ended child's target result, in the children's order."""
    return [result for child in children if (result := child.result()) is not None]
