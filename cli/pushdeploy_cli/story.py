"""One execution's story, read from its Step Functions history alone: the one reader of a history.

The history is the complete record (decisions.md: each step's record travels in the payload): the
Plan's answer, each target's item (its child execution's input: the Plan writes the items to S3 for the Deploy
Map, its output says only where), each Register, Update and Rollback, every Check with its verdict and
evidence, and each target's result. `read_story` walks it once, validating each state's payload with the core's own
models (the Plan's `PlanOutput`, the Map iteration's `IterationState`, the Notify step's
`TargetResult`), and words each event once. Its `Story` has the status, the outcome, and per target
the steps, the probes and the progress so far; every view is built on it: `deploy --follow`,
`explain` (text, JSON and the picture), `history` and `status` (through `Summary`), and the local
demo's timeline.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, computed_field

from pushdeploy.judge import MetricJudgement
from pushdeploy.models import (
    LogLocation,
    MetricEvidence,
    PlanItem,
    Rollout,
    StoppedTask,
    TargetEvidence,
    Verdict,
    Wake,
)
from pushdeploy.outcome import (
    GOOD_OUTCOMES,
    DescribedChild,
    DescribedExecution,
    ExecutionStatus,
    ExecutionSummary,
    IterationState,
    Outcome,
    StepError,
    TargetResult,
    not_approved,
    results_of_children,
)
from pushdeploy.steps.plan import PlanOutput

ROLLOUT_STATES = {"Update", "AwaitRollout", "WaitForRollout", "CheckRollout", "JudgeRollout"}
# A native (blue/green, linear, canary) deployment's path after Update: ECS's lifecycle, followed.
ROLLOUT_STATES |= {"Strategy", "WaitForDeployment", "CheckDeployment", "FollowDeployment"}
ROLLBACK_STATES = {"Rollback", "WaitForRollback", "CheckRollback", "JudgeRollback"}
# What became of a deployment's approval (pushdeploy.steps.approval): `failed` when it could not be asked for.
ApprovalState = Literal["waiting", "approved", "aborted", "timed_out", "failed"]
ENDS: dict[str, ExecutionStatus] = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}


class Step(BaseModel):
    """A step that changed or decided something."""

    at: datetime
    seconds: float
    name: str  # the state that did it
    text: str
    ok: bool = True
    task_definition: str | None = None  # what Register registered, or Update and Rollback rolled out


class Probe(BaseModel):
    """One Check: what it saw of one deployment, and its verdict."""

    at: datetime
    seconds: float
    phase: Literal["deploy", "rollback"]
    deployment_id: str
    task_definition: str
    verdict: str
    reason: str
    rollout_state: str | None = None
    desired: int = 0
    running: int = 0
    pending: int = 0
    targets: list[TargetEvidence] = Field(default_factory=list)
    stopped_tasks: list[StoppedTask] = Field(default_factory=list)
    alarms: list[str] = Field(default_factory=list)  # the policy's alarms in ALARM
    events: list[str] = Field(default_factory=list)
    metrics: MetricJudgement | None = None  # the target group before the deployment against after it
    # A native (blue/green, linear, canary) deployment: the lifecycle stage ECS was at, and the hook's last
    # answer with the metric judge's judgement (both windows' numbers).
    lifecycle_stage: str | None = None
    hook: MetricEvidence | None = None

    @property
    def decided(self) -> bool:
        return self.verdict != Verdict.IN_PROGRESS

    @property
    def state(self) -> str:
        """The Check state that made this probe."""
        return "CheckRollback" if self.phase == "rollback" else "CheckRollout"

    @property
    def words(self) -> str:
        """ "rolling out (1/2 tasks healthy): …", "baking (…): …" or "rolling back (…): …"; or the verdict."""
        if self.decided:
            return f"{self.verdict}: {self.reason}"
        if self.reason.startswith("baking"):
            return f"baking ({self.counts}): {self.reason}"
        return f"{'rolling back' if self.phase == 'rollback' else 'rolling out'} ({self.counts}): {self.reason}"

    @property
    def counts(self) -> str:
        """ "2/3 tasks healthy" (behind a load balancer) or "2/3 tasks running"."""
        if self.targets:
            healthy = sum(t.state == "healthy" for t in self.targets)
            return f"{healthy}/{self.desired} tasks healthy"
        return f"{self.running}/{self.desired} tasks running"


class Entry(BaseModel):
    """One line of an execution's log: a step, or a probe that decided nothing yet (a decided one is a step)."""

    seconds: float
    service: str  # cluster/service; "" for the Plan
    state: str
    text: str
    ok: bool = True
    probe: bool = False


class TargetStory(BaseModel):
    """One target (service) of the execution: what was planned, each step, each probe, the result."""

    service: str
    kind: Literal["deploy", "rollback"]
    image: str | None = None
    before: str  # the task definition the service ran when the Plan looked
    wanted: str | None = None  # the task definition this execution rolls out (registered, or the rollback's)
    state: str = "Planned"  # the state machine state this target's iteration is in
    waiting: str | None = None  # why it waits (a busy lock), while it does
    steps: list[Step] = Field(default_factory=list)
    probes: list[Probe] = Field(default_factory=list)
    result: TargetResult | None = None
    failed_tasks: list[StoppedTask] = Field(default_factory=list)  # each failing stop the probes saw, once
    logs: LogLocation | None = None  # where the registered task definition's container logs (awslogs)
    approval: ApprovalState | None = None  # None when its policy asks for no approval
    approval_execution: str | None = None  # the execution `pushdeploy approve` names: the target's own
    approval_by: str | None = None  # who approved or aborted it

    @computed_field  # type: ignore[prop-decorator]
    @property
    def progress(self) -> str:
        """What is happening to this target now, in a few words."""
        if self.result is not None:
            return f"{self.result.outcome}: {self.result.reason}"
        rolling_back = self.state in ROLLBACK_STATES
        probe = next((p for p in reversed(self.probes) if (p.phase == "rollback") == rolling_back), None)
        if self.state in ROLLOUT_STATES | ROLLBACK_STATES:
            if probe is None:
                return f"{'rolling back' if rolling_back else 'rolling out'}: UpdateService done, first probe next"
            return probe.words
        if self.state in ("Watch", "Woken", "Approval") and self.steps:
            return self.steps[-1].text  # the watch's or the approval's start, or how it ended
        return {
            "Planned": "planned",
            "Lock": f"waiting for the lock: {self.waiting}" if self.waiting else "taking the lock",
            "Kind": "registering the task definition",
            "Stagger": "waiting for its turn to register (a push that feeds many services)",
            "Register": "registering the task definition",
            "NeedsApproval": "registering the task definition",
            "Unlock": "finishing",
            "Notify": "finishing",
        }.get(self.state, self.state)

    def log(self) -> list[Entry]:
        """Everything that happened to this target so far, oldest first."""
        entries = [
            Entry(seconds=s.seconds, service=self.service, state=s.name, text=s.text, ok=s.ok) for s in self.steps
        ]
        entries += [
            Entry(seconds=p.seconds, service=self.service, state=p.state, text=p.words, probe=True)
            for p in self.probes
            if not p.decided
        ]
        return sorted(entries, key=lambda e: (e.seconds, not e.probe))


class Story(BaseModel):
    execution: str
    name: str
    status: ExecutionStatus
    outcome: Outcome | None  # None while it runs
    reason: str
    started_at: datetime
    stopped_at: datetime | None = None
    input: Any = None
    action: str | None = None  # deploy, rollback or ignore (the Plan's), None before or without a plan
    plan: Step | None = None
    error: str | None = None
    targets: list[TargetStory] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def seconds(self) -> float | None:
        return None if self.stopped_at is None else (self.stopped_at - self.started_at).total_seconds()

    @property
    def ok(self) -> bool:
        return self.outcome in GOOD_OUTCOMES

    @property
    def digest(self) -> str | None:
        digests = {t.result.digest for t in self.targets if t.result and t.result.digest}
        if digests:
            return sorted(digests)[0]
        return _requested_digest(self.input)

    @property
    def image(self) -> str | None:
        return next((t.image for t in self.targets if t.image), None)

    @property
    def services(self) -> list[str]:
        return [t.service for t in self.targets] or _requested_services(self.input)

    def log(self) -> list[Entry]:
        """The whole execution so far, oldest first: the Plan, then every target's steps and probes."""
        plan = [Entry(seconds=self.plan.seconds, service="", state="Plan", text=self.plan.text)] if self.plan else []
        return sorted(plan + [e for t in self.targets for e in t.log()], key=lambda e: e.seconds)


def outcome_name(outcome: Outcome | None) -> str:
    """How the views name an outcome; an execution that has none yet is running."""
    return "running" if outcome is None else str(outcome)


def read_story(execution: str, events: list[dict[str, Any]], described: dict[str, Any] | None = None) -> Story:
    """The story of one execution from its history events (oldest first, as GetExecutionHistory pages them).

    A history read just after StartExecution may still be empty: then `described` (DescribeExecution)
    tells the little there is to tell.
    """
    if not events:
        if described is None:
            raise ValueError(f"{execution}: no history, and no description of the execution")
        summary = DescribedExecution.model_validate(described).summary()
        return Story(
            execution=execution,
            name=execution.rsplit(":", 1)[-1],
            status=summary.status,
            outcome=summary.outcome,
            reason="starting" if summary.outcome is None else summary.reason,
            started_at=described["startDate"],
            input=_loads(described.get("input")),
        )
    if events[0]["type"] != "ExecutionStarted":
        raise ValueError(f"{execution}: the history does not start with ExecutionStarted")
    reader = _Reader(execution, events[0])
    for event in events:
        reader.read(event)
    return reader.story()


class _Iteration(IterationState):
    """A Map iteration's payload, as each of its states enters and leaves it."""

    wake: Wake | None = None


class _Reader:
    def __init__(self, execution: str, started: dict[str, Any]) -> None:
        self.execution = execution
        self.started_at: datetime = started["timestamp"]
        self.input = _loads(started["executionStartedEventDetails"].get("input"))
        self.targets: dict[str, TargetStory] = {}
        self.owner: dict[int, str | None] = {}  # event id -> the target its branch of the history belongs to
        self.plan: PlanOutput | None = None
        self.plan_step: Step | None = None
        self.end: ExecutionSummary | None = None
        self.stopped_at: datetime | None = None
        self.error: str | None = None

    def read(self, event: dict[str, Any]) -> None:
        kind, at = event["type"], event["timestamp"]
        entered = "stateEnteredEventDetails" in event
        state: dict[str, Any] | None = event.get("stateEnteredEventDetails") or event.get("stateExitedEventDetails")
        key: str | None = None
        if kind in ENDS:
            self._end(ENDS[kind], event, at)
        elif state is not None and not entered and state["name"] == "Plan":
            self._plan(PlanOutput.model_validate_json(state.get("output") or "{}"), at)
        elif state is not None and not entered and state["name"] == "Notify":
            result = TargetResult.model_validate_json(state.get("output") or "{}")
            key = result.service
            self._result(self.targets.get(key), result, at)
        elif state is not None:
            iteration = _iteration(state.get("input" if entered else "output"))
            key = iteration.item.target.key if iteration else None
            track = self._track(iteration.item) if iteration else None
            if track is not None and iteration is not None:
                if entered:
                    self._entered(track, state["name"], iteration, at)
                else:
                    self._exited(track, state["name"], iteration, at)
        else:  # Lambda and Map events belong to the branch of the event before them
            key = self.owner.get(event.get("previousEventId", 0))
            track = self.targets.get(key) if key else None
            if kind == "LambdaFunctionFailed" and track is not None:
                details = event["lambdaFunctionFailedEventDetails"]
                self._failed(track, StepError(error=details.get("error", ""), cause=details.get("cause", "")), at)
            elif kind == "TaskScheduled" and track is not None and track.state == "Approval":
                self._approval_asked(track, event["taskScheduledEventDetails"], at)
        self.owner[event["id"]] = key

    def _seconds(self, at: datetime) -> float:
        return (at - self.started_at).total_seconds()

    def _plan(self, plan: PlanOutput, at: datetime) -> None:
        self.plan = plan
        self.plan_step = Step(at=at, seconds=self._seconds(at), name="Plan", text=f"{plan.action}: {plan.reason}")

    def _track(self, item: PlanItem) -> TargetStory:
        """The target's story, begun from its item at its child's first state: the Plan's output says only where
        its items are (the Deploy Map reads them from S3), each child's input carries its own."""
        if item.target.key not in self.targets:
            self.targets[item.target.key] = TargetStory(
                service=item.target.key,
                kind=item.kind,
                image=item.image.label if item.image else None,
                before=item.task_definition,
                wanted=item.rollback_to,
            )
        return self.targets[item.target.key]

    def _step(self, track: TargetStory, name: str, at: datetime, text: str, ok: bool = True, **extra: Any) -> None:
        track.steps.append(Step(at=at, seconds=self._seconds(at), name=name, text=text, ok=ok, **extra))

    def _entered(self, track: TargetStory, name: str, iteration: _Iteration, at: datetime) -> None:
        track.state = name
        if name != "Lock":
            track.waiting = None
        if name == "Watch" and iteration.rollout is not None:
            left = iteration.rollout.watch_seconds
            text = f"healthy; any task that stops for a failure in the next {left} s rolls it back"
            self._step(track, name, at, text)

    def _exited(self, track: TargetStory, name: str, iteration: _Iteration, at: datetime) -> None:
        if name == "Lock" and iteration.lock is not None:
            lock = iteration.lock
            self._step(track, name, at, lock.status + (f": {lock.reason}" if lock.reason else ""))
        elif name == "Register" and iteration.registered is not None:
            registered = iteration.registered
            track.wanted = registered.task_definition
            track.logs = registered.logs
            how = "reused" if registered.reused else "registered"
            text = f"{how} {revision(registered.task_definition)}"
            self._step(track, name, at, text, task_definition=registered.task_definition)
        elif name in ("Update", "Rollback"):
            rollout = iteration.rollout if name == "Update" else iteration.rollback
            if rollout is not None:
                text = f"UpdateService to {revision(rollout.task_definition)} ({rollout.deployment_id})"
                self._step(track, name, at, text, task_definition=rollout.task_definition)
        elif name in ("CheckRollout", "CheckDeployment", "CheckRollback"):
            judged = iteration.rollback if name == "CheckRollback" else iteration.rollout
            if judged is not None:
                seen = {task.task_id for task in track.failed_tasks}
                track.failed_tasks += [t for t in judged.evidence.stopped_tasks if t.task_id not in seen]
                probe = _probe(judged, at, self._seconds(at))
                track.probes.append(probe)
                if probe.decided:
                    ok = probe.verdict in (Verdict.HEALTHY, Verdict.SUPERSEDED)
                    self._step(track, name, at, probe.words, ok=ok)
        elif name == "Approval":
            self._approval_answered(track, iteration, at)
        elif name == "Watch":
            wake = iteration.wake
            if wake is None:  # it timed out (the Catch keeps the input): the Check that follows confirms
                self._step(track, name, at, "watch over: no task failed")
            elif wake.end is not None:
                self._step(track, name, at, f"ended early: {wake.end}")
            else:
                self._step(track, name, at, f"woken: {wake.reason}", ok=False)

    def _approval_asked(self, track: TargetStory, details: dict[str, Any], at: datetime) -> None:
        """The Approval task's parameters name the target's own execution, the one to approve (never the token:
        the history holds it, the story does not repeat it)."""
        payload = (_loads(details.get("parameters")) or {}).get("Payload") or {}
        track.approval, track.approval_execution = "waiting", payload.get("waiting")
        timeout = (payload.get("item") or {}).get("target", {}).get("policy", {}).get("approval_timeout_seconds")
        name = track.approval_execution or self.execution
        self._step(
            track,
            "Approval",
            at,
            f"waiting for approval (at most {timeout} s): pushdeploy approve {name} (or abort)",
        )

    def _approval_answered(self, track: TargetStory, iteration: _Iteration, at: datetime) -> None:
        if iteration.approval is not None:
            track.approval, track.approval_by = "approved", iteration.approval.approved_by
            self._step(track, "Approval", at, f"approved by {iteration.approval.approved_by}")
            return
        error = iteration.approval_error
        if error is None:
            return
        if error.error == "ApprovalAborted":
            track.approval, track.approval_by = "aborted", error.cause.removeprefix("aborted by ")
        else:
            track.approval = "timed_out" if error.error == "States.Timeout" else "failed"
        self._step(track, "Approval", at, not_approved(error, iteration.item.target.policy), ok=False)

    def _failed(self, track: TargetStory, error: StepError, at: datetime) -> None:
        if error.error == "LockBusy":
            if track.waiting is None:  # the first refusal; the retries say the same
                self._step(track, "Lock", at, f"waiting: {error.detail}")
            track.waiting = error.detail or "another deployment holds it"
        else:
            self._step(track, track.state, at, f"failed: {error.message}", ok=False)

    def _result(self, track: TargetStory | None, result: TargetResult, at: datetime) -> None:
        if track is None:
            return
        track.result = result
        alerted = " (alert sent)" if result.alerted else ""
        self._step(track, "Notify", at, f"{result.outcome}: {result.reason}{alerted}", ok=result.ok)

    def _end(self, status: ExecutionStatus, event: dict[str, Any], at: datetime) -> None:
        self.stopped_at = at
        details = next((v for k, v in event.items() if k.endswith("EventDetails")), None) or {}
        # Each target's result came with its child's Notify step, read before the execution's end.
        results = [t.result for t in self.targets.values() if t.result is not None]
        self.end = DescribedExecution.model_validate({**details, "status": status}).summary(results)
        self.error = details.get("error")

    def story(self) -> Story:
        if self.end is not None:
            status, outcome, reason = self.end.status, self.end.outcome, self.end.reason
        else:
            running = [t for t in self.targets.values() if t.result is None]
            status, outcome = "RUNNING", None
            reason = running[0].progress if running else self.plan.reason if self.plan else "planning"
        return Story(
            execution=self.execution,
            name=self.execution.rsplit(":", 1)[-1],
            status=status,
            outcome=outcome,
            reason=reason,
            started_at=self.started_at,
            stopped_at=self.stopped_at,
            input=self.input,
            action=self.plan.action if self.plan else None,
            plan=self.plan_step,
            error=self.error,
            targets=list(self.targets.values()),
        )


class Summary(BaseModel):
    """One execution as DescribeExecution tells it (no history needed): for `history` and `status`."""

    execution: str
    name: str
    status: ExecutionStatus
    outcome: Outcome | None  # None while it runs
    reason: str
    started_at: datetime
    stopped_at: datetime | None = None
    services: list[str] = Field(default_factory=list)
    image: str | None = None
    digest: str | None = None
    results: list[TargetResult] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def seconds(self) -> float | None:
        return None if self.stopped_at is None else (self.stopped_at - self.started_at).total_seconds()

    def names(self, service: str) -> bool:
        """Whether this execution is about `service`; either side may be `cluster/service` or a bare name."""
        for named in self.services:
            if named == service:
                return True
            if ("/" not in named or "/" not in service) and named.split("/")[-1] == service.split("/")[-1]:
                return True
        return False


def summarize(described: dict[str, Any], children: Sequence[dict[str, Any]] = ()) -> Summary:
    """A Summary of a finished execution from DescribeExecution, and its Deploy Map's children's (each target's
    result is its child's); a running one: see `summarize_story`."""
    source = _loads(described.get("input"))
    results = results_of_children(DescribedChild.model_validate(c) for c in children)
    summary = DescribedExecution.model_validate(described).summary(results)
    results = summary.results
    return Summary(
        execution=described["executionArn"],
        name=described.get("name") or described["executionArn"].rsplit(":", 1)[-1],
        status=summary.status,
        outcome=summary.outcome,
        reason=summary.reason,
        started_at=described["startDate"],
        stopped_at=described.get("stopDate"),
        services=[r.service for r in results] or _requested_services(source),
        image=next((r.image for r in results if r.image), None),
        digest=next((r.digest for r in results if r.digest), None) or _requested_digest(source),
        results=results,
    )


def summarize_story(story: Story) -> Summary:
    return Summary(
        execution=story.execution,
        name=story.name,
        status=story.status,
        outcome=story.outcome,
        reason=story.reason,
        started_at=story.started_at,
        stopped_at=story.stopped_at,
        services=story.services,
        image=story.image,
        digest=story.digest,
        results=[t.result for t in story.targets if t.result is not None],
    )


def _requested_services(source: Any) -> list[str]:
    return [str(source["service"])] if isinstance(source, dict) and source.get("service") else []


def _requested_digest(source: Any) -> str | None:
    if not isinstance(source, dict):
        return None
    detail = source.get("detail")
    return source.get("digest") or (detail.get("image-digest") if isinstance(detail, dict) else None)


def _probe(rollout: Rollout, at: datetime, seconds: float) -> Probe:
    evidence = rollout.evidence
    deployment = evidence.deployment
    return Probe(
        at=at,
        seconds=seconds,
        phase=rollout.phase,
        deployment_id=rollout.deployment_id,
        task_definition=rollout.task_definition,
        verdict=str(rollout.verdict),
        reason=rollout.reason,
        rollout_state=deployment.rollout_state if deployment else None,
        desired=deployment.desired if deployment else 0,
        running=deployment.running if deployment else 0,
        pending=deployment.pending if deployment else 0,
        targets=evidence.targets,
        stopped_tasks=evidence.stopped_tasks,
        alarms=evidence.alarms,
        events=evidence.events,
        lifecycle_stage=rollout.lifecycle_stage,
        metrics=evidence.metrics,
        hook=evidence.hook,
    )


def _iteration(payload: str | None) -> _Iteration | None:
    """A Map iteration's payload (it names its target in `item`); None for the execution's own states."""
    loaded = _loads(payload)
    if not isinstance(loaded, dict) or "item" not in loaded:
        return None
    return _Iteration.model_validate(loaded)


def _loads(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def revision(task_definition: str) -> str:
    """family:revision of a task definition ARN."""
    return task_definition.rsplit("/", 1)[-1]
