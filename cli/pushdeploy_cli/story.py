"""One execution's story, read from its Step Functions history alone.

The history is the complete record (decisions.md: each step's record travels in the payload): the
Plan's items, each Register, Update and Rollback, every Check with its verdict and evidence, and each
target's result. `read_story` turns it into a `Story`: the status, the outcome, and per target the
steps, the probes and the progress so far. `deploy --follow`, `explain` (text, JSON and the picture)
and `history` all read executions through it, on AWS and on the local cloud alike.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, computed_field

from pushdeploy.models import Rollout, StoppedTask, TargetEvidence
from pushdeploy.outcome import TargetResult
from pushdeploy_cli.timeline import watch_ended

Outcome = Literal[
    "running",
    "deployed",
    "reverted",
    "superseded",
    "ignored",
    "rolled_back",
    "rollback_failed",
    "failed",
    "rejected",
    "timed_out",
    "aborted",
]
# Worst first: an execution that fed several services has the worst of their outcomes.
WORST_FIRST: tuple[str, ...] = ("rollback_failed", "rolled_back", "failed", "superseded", "reverted", "deployed")
GOOD_OUTCOMES = frozenset({"deployed", "reverted", "superseded", "ignored"})

STEP_WORDS = {
    "Lock": "lock",
    "Register": "registering",
    "Update": "rolling out",
    "Rollback": "rolling back",
    "CheckRollout": "verdict",
    "CheckRollback": "verdict on the rollback",
    "Watch": "watch",
    "Notify": "outcome",
}
ROLLOUT_STATES = {"Update", "WaitForRollout", "CheckRollout", "JudgeRollout"}
ROLLBACK_STATES = {"Rollback", "WaitForRollback", "CheckRollback", "JudgeRollback"}


class Step(BaseModel):
    """A step that changed or decided something."""

    at: datetime
    seconds: float
    name: str
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
    events: list[str] = Field(default_factory=list)

    @property
    def decided(self) -> bool:
        return self.verdict != "IN_PROGRESS"

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
        return {
            "Planned": "planned",
            "Lock": f"waiting for the lock: {self.waiting}" if self.waiting else "taking the lock",
            "Kind": "registering the task definition",
            "Stagger": "waiting for its turn to register (a push that feeds many services)",
            "Register": "registering the task definition",
            "Watch": "healthy; watched for a failing task",
            "Woken": "a task failed while watched: checking",
            "Unlock": "finishing",
            "Notify": "finishing",
        }.get(self.state, self.state)

    def log(self) -> list[tuple[float, str]]:
        """Everything that happened to this target so far, oldest first: (seconds, words)."""
        entries = [(s.seconds, f"{STEP_WORDS.get(s.name, s.name)}: {s.text}") for s in self.steps]
        entries += [(p.seconds, p.words) for p in self.probes if not p.decided]
        return sorted(entries, key=lambda entry: entry[0])


class Story(BaseModel):
    execution: str
    name: str
    status: str  # RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED
    outcome: Outcome
    reason: str
    started_at: datetime
    stopped_at: datetime | None = None
    input: Any = None
    action: str | None = None  # deploy, rollback or ignore (the Plan's), None before or without a plan
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


def read_story(execution: str, events: list[dict[str, Any]], described: dict[str, Any] | None = None) -> Story:
    """The story of one execution from its history events (oldest first, as GetExecutionHistory pages them).

    A history read just after StartExecution may still be empty: then `described` (DescribeExecution)
    tells the little there is to tell.
    """
    if not events:
        if described is None:
            raise ValueError(f"{execution}: no history, and no description of the execution")
        return Story(
            execution=execution,
            name=execution.rsplit(":", 1)[-1],
            status=described["status"],
            outcome="running",
            reason="starting",
            started_at=described["startDate"],
            input=_loads(described.get("input")),
        )
    if events[0]["type"] != "ExecutionStarted":
        raise ValueError(f"{execution}: the history does not start with ExecutionStarted")
    reader = _Reader(execution, events[0])
    for event in events:
        reader.read(event)
    return reader.story()


class _Reader:
    def __init__(self, execution: str, started: dict[str, Any]) -> None:
        self.execution = execution
        self.started_at: datetime = started["timestamp"]
        self.input = _loads(started["executionStartedEventDetails"].get("input"))
        self.targets: dict[str, TargetStory] = {}
        self.owner: dict[int, str | None] = {}  # event id -> the target its branch of the history belongs to
        self.action: str | None = None
        self.plan_reason = ""
        self.status = "RUNNING"
        self.stopped_at: datetime | None = None
        self.error: str | None = None
        self.cause: str | None = None

    def read(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        entered = event.get("stateEnteredEventDetails")
        exited = event.get("stateExitedEventDetails")
        payload = _loads(entered.get("input") if entered else exited.get("output") if exited else None)
        if entered or exited:
            key = _target_of(payload, exited["name"] if exited else None)
        else:  # Lambda and Map events belong to the branch of the event before them
            key = self.owner.get(event.get("previousEventId", 0))
        self.owner[event["id"]] = key
        track = self.targets.get(key) if key else None

        if kind == "TaskStateExited" and exited and exited["name"] == "Plan":
            self._plan(payload)
        elif entered and track is not None:
            track.state = entered["name"]
            if entered["name"] != "Lock":
                track.waiting = None
            if entered["name"] == "Watch" and isinstance(payload, dict):
                seconds = (event["timestamp"] - self.started_at).total_seconds()
                left = (payload.get("rollout") or {}).get("watch_seconds")
                text = f"healthy; any task that stops for a failure in the next {left} s rolls it back"
                track.steps.append(Step(at=event["timestamp"], seconds=seconds, name="Watch", text=text))
        elif exited and track is not None and kind == "TaskStateExited":
            self._step(track, exited["name"], payload, event["timestamp"])
        elif kind == "LambdaFunctionFailed" and track is not None:
            details = event.get("lambdaFunctionFailedEventDetails", {})
            message = _error_message(details.get("cause")) or ""
            if details.get("error") == "LockBusy":
                if track.waiting is None:  # the first refusal; the retries say the same
                    seconds = (event["timestamp"] - self.started_at).total_seconds()
                    text = f"waiting: {message}"
                    track.steps.append(Step(at=event["timestamp"], seconds=seconds, name="Lock", text=text))
                track.waiting = message or "another deployment holds it"
            else:
                at = event["timestamp"]
                seconds = (at - self.started_at).total_seconds()
                text = f"failed: {details.get('error')}: {message}".rstrip(": ")
                track.steps.append(Step(at=at, seconds=seconds, name=track.state, text=text, ok=False))
        elif kind.startswith("Execution") and kind != "ExecutionStarted":
            self._end(kind, event)

    def _plan(self, output: Any) -> None:
        if not isinstance(output, dict):
            return
        self.action = output.get("action")
        self.plan_reason = output.get("reason", "")
        for item in output.get("items", []):
            target = item["target"]
            key = f"{target['cluster']}/{target['service']}"
            image = item.get("image") or {}
            label = None
            if image:
                label = f"{image['repository']}{':' + image['tag'] if image.get('tag') else ''}@{image['digest']}"
            self.targets[key] = TargetStory(
                service=key,
                kind=item["kind"],
                image=label,
                before=item["task_definition"],
                wanted=item.get("rollback_to"),
            )

    def _step(self, track: TargetStory, name: str, output: Any, at: datetime) -> None:
        if not isinstance(output, dict):
            return
        seconds = (at - self.started_at).total_seconds()

        def step(text: str, ok: bool = True, task_definition: str | None = None) -> None:
            track.steps.append(
                Step(at=at, seconds=seconds, name=name, text=text, ok=ok, task_definition=task_definition)
            )

        if name == "Lock":
            lock = output.get("lock") or {}
            step(str(lock.get("status", "held")) + (f": {lock['reason']}" if lock.get("reason") else ""))
        elif name == "Register":
            registered = output.get("registered") or {}
            track.wanted = registered.get("task_definition", track.wanted)
            how = "reused" if registered.get("reused") else "registered"
            step(f"{how} {revision(registered.get('task_definition', '?'))}", True, registered.get("task_definition"))
        elif name in ("Update", "Rollback"):
            rollout = output.get("rollout" if name == "Update" else "rollback") or {}
            task_definition = rollout.get("task_definition", "?")
            step(
                f"UpdateService to {revision(task_definition)} ({rollout.get('deployment_id')})", True, task_definition
            )
        elif name in ("CheckRollout", "CheckRollback"):
            probe = _probe(output.get("rollout" if name == "CheckRollout" else "rollback"), at, seconds)
            if probe is not None:
                track.probes.append(probe)
                if probe.decided:
                    step(f"{probe.verdict}: {probe.reason}", ok=probe.verdict in ("HEALTHY", "SUPERSEDED"))
        elif name == "Watch":
            step(*watch_ended(output))
        elif name == "Notify":
            with contextlib.suppress(ValidationError):
                track.result = TargetResult.model_validate(output)
                alerted = " (alert sent)" if track.result.alerted else ""
                step(f"{track.result.outcome}: {track.result.reason}{alerted}", ok=track.result.ok)

    def _end(self, kind: str, event: dict[str, Any]) -> None:
        self.stopped_at = event["timestamp"]
        self.status = {
            "ExecutionSucceeded": "SUCCEEDED",
            "ExecutionFailed": "FAILED",
            "ExecutionTimedOut": "TIMED_OUT",
            "ExecutionAborted": "ABORTED",
        }.get(kind, self.status)
        details: dict[str, Any] = next((v for k, v in event.items() if k.endswith("EventDetails")), {}) or {}
        self.error, self.cause = details.get("error"), details.get("cause")

    def story(self) -> Story:
        outcome, reason = self._outcome()
        return Story(
            execution=self.execution,
            name=self.execution.rsplit(":", 1)[-1],
            status=self.status,
            outcome=outcome,  # type: ignore[arg-type]
            reason=reason,
            started_at=self.started_at,
            stopped_at=self.stopped_at,
            input=self.input,
            action=self.action,
            error=self.error,
            targets=list(self.targets.values()),
        )

    def _outcome(self) -> tuple[str, str]:
        if self.status == "RUNNING":
            running = [t for t in self.targets.values() if t.result is None]
            return "running", running[0].progress if running else self.plan_reason or "planning"
        results = [t.result for t in self.targets.values() if t.result is not None]
        return decide_outcome(self.status, self.action, self.plan_reason, results, self.error, self.cause)


class Summary(BaseModel):
    """One execution as DescribeExecution tells it (no history needed): for `history` and `status`."""

    execution: str
    name: str
    status: str
    outcome: Outcome
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


def summarize(described: dict[str, Any]) -> Summary:
    """A Summary of a finished execution from DescribeExecution (a running one: see `summarize_running`)."""
    status = described["status"]
    source = _loads(described.get("input"))
    output = _loads(described.get("output"))
    output = output if isinstance(output, dict) else {}
    error, cause = described.get("error"), described.get("cause")
    raw_results = (
        output.get("results") if status == "SUCCEEDED" else _loads(cause) if error == "DeploymentFailed" else []
    )
    results = []
    for raw in raw_results if isinstance(raw_results, list) else []:
        with contextlib.suppress(ValidationError):
            results.append(TargetResult.model_validate(raw))
    outcome, reason = decide_outcome(status, output.get("action"), output.get("reason", ""), results, error, cause)
    return Summary(
        execution=described["executionArn"],
        name=described.get("name") or described["executionArn"].rsplit(":", 1)[-1],
        status=status,
        outcome=outcome,  # type: ignore[arg-type]
        reason=reason,
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


def decide_outcome(
    status: str, action: str | None, plan_reason: str, results: list[TargetResult], error: str | None, cause: str | None
) -> tuple[str, str]:
    """The outcome of a finished execution and its reason: the worst target's, or the workflow's own."""
    if status == "SUCCEEDED" and action == "ignore":
        return "ignored", plan_reason
    if results and (status == "SUCCEEDED" or error == "DeploymentFailed"):
        worst = min(results, key=lambda r: WORST_FIRST.index(r.outcome) if r.outcome in WORST_FIRST else 99)
        return str(worst.outcome), worst.reason
    if status == "SUCCEEDED":
        return "deployed", plan_reason
    message = _error_message(cause) or ""
    if error == "InvalidRequest":
        return "rejected", message
    if status in ("TIMED_OUT", "ABORTED"):
        return status.lower(), message or f"the execution was {status.lower().replace('_', ' ')}"
    return "failed", f"{error}: {message}" if error and message else error or message or status


def _requested_services(source: Any) -> list[str]:
    return [str(source["service"])] if isinstance(source, dict) and source.get("service") else []


def _requested_digest(source: Any) -> str | None:
    if not isinstance(source, dict):
        return None
    detail = source.get("detail")
    return source.get("digest") or (detail.get("image-digest") if isinstance(detail, dict) else None)


def _probe(raw: Any, at: datetime, seconds: float) -> Probe | None:
    try:
        rollout = Rollout.model_validate(raw)
    except ValidationError:
        return None
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
        events=evidence.events,
    )


def _target_of(payload: Any, exited_state: str | None) -> str | None:
    """The target ("cluster/service") a state's input or output belongs to, if it names one."""
    if not isinstance(payload, dict):
        return None
    item = payload.get("item")
    if isinstance(item, dict) and isinstance(item.get("target"), dict):
        target = item["target"]
        return f"{target.get('cluster')}/{target.get('service')}"
    if exited_state == "Notify" and isinstance(payload.get("service"), str):
        return str(payload["service"])
    return None


def _loads(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _error_message(cause: str | None) -> str | None:
    """A Lambda error's cause is JSON with errorMessage; anything else is shown as it is."""
    parsed = _loads(cause)
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        return str(parsed["errorMessage"])
    return cause


def revision(task_definition: str) -> str:
    """family:revision of a task definition ARN."""
    return task_definition.rsplit("/", 1)[-1]
