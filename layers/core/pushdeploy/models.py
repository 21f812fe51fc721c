"""Domain models shared by the steps: images, targets, rollouts, evidence and verdicts."""

from __future__ import annotations

import fnmatch
import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from pushdeploy.base import Frozen, Model
from pushdeploy.judge import JudgePolicy, MetricJudgement, Window

__all__ = ["Frozen", "Model"]  # re-exported: every step imports its base classes from here

DIGEST_PATTERN = r"^sha256:[0-9a-f]{64}$"
# ECR repository names: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html
REPOSITORY_PATTERN = r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$"
# Image tags: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageIdentifier.html
TAG_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
# ECS cluster and service names: letters, digits, hyphens, underscores, up to 255.
NAME_PATTERN = r"^[A-Za-z0-9_-]{1,255}$"
# A tag pattern of a target: a tag, or a glob with * and ? (no brackets: they never occur in tags).
TAG_GLOB_PATTERN = r"^[A-Za-z0-9_.*?-]{1,128}$"

# What each pattern allows, in words: an error message says this, never the regular expression.
PATTERN_WORDS = {
    DIGEST_PATTERN: "'sha256:' and 64 lowercase hexadecimal digits",
    REPOSITORY_PATTERN: "an ECR repository name: lowercase letters and digits, parts joined by '.', '_', '-' or '/'",
    TAG_PATTERN: "an image tag: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'",
    NAME_PATTERN: "1 to 255 letters, digits, '-' and '_'",
    TAG_GLOB_PATTERN: "a tag, or a glob with '*' and '?': up to 128 letters, digits, '_', '.', '-', '*' and '?'",
}

Digest = Annotated[str, Field(pattern=DIGEST_PATTERN)]
Repository = Annotated[str, Field(min_length=2, max_length=256, pattern=REPOSITORY_PATTERN)]
Tag = Annotated[str, Field(pattern=TAG_PATTERN)]
Name = Annotated[str, Field(pattern=NAME_PATTERN)]


# What the Plan decided for an execution: deploy, roll back, ignore the input, or answer a dry run.
PlanAction = Literal["deploy", "rollback", "ignore", "dry_run"]


class Image(Frozen):
    """One image, named by digest so a rollback restores exactly what ran."""

    repository: Repository
    registry: str  # e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com
    digest: Digest
    tag: Tag | None = None

    @property
    def reference(self) -> str:
        return f"{self.registry}/{self.repository}@{self.digest}"

    @property
    def label(self) -> str:
        """repo:tag@digest, for people."""
        tag = f":{self.tag}" if self.tag else ""
        return f"{self.repository}{tag}@{self.digest}"


def _unique_globs(tags: list[str]) -> list[str]:
    if len(set(tags)) != len(tags):
        raise ValueError("tags lists a pattern twice")
    return tags


# The longest a push may wait for a busy service: the ASL's LockBusy retries (every 30 s) outnumber it, so
# the Lock step's deadline, not the retry count, ends a wait.
LOCK_WAIT_MAX_SECONDS = 10800
# How long a target waits for approval before UpdateService (the Approval state's TimeoutSecondsPath). A task
# token may wait as long as a Standard execution runs, a year (docs/aws-facts.md, "Approvals"); pushdeploy holds the
# service's lock meanwhile, so a day at most: a release nobody answered for a day is better pushed again.
APPROVAL_TIMEOUT_MAX_SECONDS = 86400


class HealthPolicy(Frozen):
    """How one target's rollout is judged; every field has a default that suits the Phase 4 service."""

    deadline_seconds: int = Field(1800, ge=60, le=86400)
    bake_seconds: int = Field(0, ge=0, le=3600)
    # After the healthy verdict, a task of the new deployment that stops for a failure within this long
    # still rolls it back (pushdeploy.verdict, "watch"); 0 turns the watch off.
    watch_seconds: int = Field(300, ge=0, le=3600)
    failure_budget: int = Field(1, ge=1, le=100)
    # How long a push waits for the service while another deployment holds it, counted from the push;
    # then it is not deployed (LockWaitExpired). The default outlasts a rollout, its watch and its rollback.
    lock_wait_seconds: int = Field(9000, ge=60, le=LOCK_WAIT_MAX_SECONDS)
    alarms: list[Annotated[str, Field(min_length=1, max_length=255)]] = Field(default_factory=list, max_length=20)
    # A person approves each deployment before UpdateService (`pushdeploy approve EXECUTION`); unanswered for
    # approval_timeout_seconds, it is aborted. The default hour keeps lock_wait_seconds' default (2.5 h) above a
    # waiting approval, its rollout, watch and rollback together.
    approval: bool = False
    approval_timeout_seconds: int = Field(3600, ge=60, le=APPROVAL_TIMEOUT_MAX_SECONDS)
    # The watch of a service with a load balancer judges its target group after the deployment against the
    # same group over the `baseline_seconds` before it (pushdeploy.verdict, "metrics"), with these thresholds.
    judge: JudgePolicy = Field(default_factory=JudgePolicy)
    baseline_seconds: int = Field(600, ge=60, le=3600)


# ECS's own deployment strategies (UpdateService `deploymentConfiguration.strategy`):
# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html
StrategyKind = Literal["rolling", "blue_green", "linear", "canary"]
ECS_STRATEGY: dict[str, str] = {
    "rolling": "ROLLING",
    "blue_green": "BLUE_GREEN",
    "linear": "LINEAR",
    "canary": "CANARY",
}
# ECS counts bake times in whole minutes, 0 to 1440 (bakeTimeInMinutes, canaryBakeTimeInMinutes,
# stepBakeTimeInMinutes): API_DeploymentConfiguration.html, API_CanaryConfiguration.html,
# API_LinearConfiguration.html. The targets document says seconds, as every other duration there.
MinuteSeconds = Annotated[int, Field(ge=0, le=86400, multiple_of=60)]


def _tenths(value: float) -> float:
    """ECS takes traffic percentages in multiples of 0.1 (API_CanaryConfiguration.html,
    API_LinearConfiguration.html)."""
    if abs(value * 10 - round(value * 10)) > 1e-9:
        raise ValueError(f"{value} is not a multiple of 0.1 (ECS's traffic percentages are)")
    return value


class Strategy(Frozen):
    """How ECS deploys the target's service: `rolling` (pushdeploy judges ECS's rolling update, as always) or
    ECS's own `blue_green`, `linear` or `canary`, which shift the load balancer's traffic themselves while
    pushdeploy's hook judges the new version's metrics (pushdeploy.steps.hook). Defaults are ECS's."""

    kind: StrategyKind = "rolling"
    # The bake after all production traffic is on the new version, before the old tasks stop (bakeTimeInMinutes).
    bake_seconds: MinuteSeconds = 0
    # canary: the share of production traffic the new version takes first, and how long it holds it
    # (canaryPercent 0.1-100.0, default 5.0; canaryBakeTimeInMinutes 0-1440, default 10).
    canary_percent: Annotated[float, Field(ge=0.1, le=100.0), AfterValidator(_tenths)] = 5.0
    canary_bake_seconds: MinuteSeconds = 600
    # linear: each step's share and the wait between steps (stepPercent 3.0-100.0, default 10.0;
    # stepBakeTimeInMinutes 0-1440, default 6).
    linear_step_percent: Annotated[float, Field(ge=3.0, le=100.0), AfterValidator(_tenths)] = 10.0
    linear_interval_seconds: MinuteSeconds = 360

    @property
    def native(self) -> bool:
        """ECS shifts the traffic and calls pushdeploy's hook; pushdeploy follows the deployment."""
        return self.kind != "rolling"

    def deployment_configuration(self) -> dict[str, Any]:
        """The fields of UpdateService's `deploymentConfiguration` this strategy sets."""
        fields: dict[str, Any] = {"strategy": ECS_STRATEGY[self.kind]}
        if self.native:
            fields["bakeTimeInMinutes"] = self.bake_seconds // 60
        if self.kind == "canary":
            fields["canaryConfiguration"] = {
                "canaryPercent": self.canary_percent,
                "canaryBakeTimeInMinutes": self.canary_bake_seconds // 60,
            }
        if self.kind == "linear":
            fields["linearConfiguration"] = {
                "stepPercent": self.linear_step_percent,
                "stepBakeTimeInMinutes": self.linear_interval_seconds // 60,
            }
        return fields


class Target(Frozen):
    """A container of an ECS service that follows a repository's pushes."""

    cluster: Name
    service: Name
    container: Name
    repository: Repository
    tags: Annotated[list[Annotated[str, Field(pattern=TAG_GLOB_PATTERN)]], AfterValidator(_unique_globs)] = Field(
        default_factory=lambda: ["*"], min_length=1, max_length=50
    )
    policy: HealthPolicy = Field(default_factory=HealthPolicy)
    # None: rolling; left out of a rolling target's payload, which stays as it was.
    strategy: Strategy | None = None

    @property
    def deployment_strategy(self) -> Strategy:
        return self.strategy or Strategy()

    @property
    def key(self) -> str:
        return f"{self.cluster}/{self.service}"

    def watches(self, repository: str, tag: str) -> bool:
        return repository == self.repository and any(fnmatch.fnmatchcase(tag, glob) for glob in self.tags)


class TargetsConfig(Frozen):
    """The targets document (SSM parameter): which services follow which repositories."""

    targets: list[Target] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _one_entry_per_container(self) -> TargetsConfig:
        seen: set[tuple[str, str, str]] = set()
        for target in self.targets:
            key = (target.cluster, target.service, target.container)
            if key in seen:
                raise ValueError(f"targets lists {target.cluster}/{target.service} container {target.container} twice")
            seen.add(key)
        services = [t.key for t in self.targets]
        duplicates = sorted({s for s in services if services.count(s) > 1})
        if duplicates:
            raise ValueError(f"targets lists service {duplicates[0]} twice: one entry per service")
        return self


class PlanItem(Model):
    """One target of this execution; travels through the Map iteration as `$.item`."""

    kind: Literal["deploy", "rollback"]
    target: Target
    task_definition: str  # what the service runs at plan time
    image: Image | None = None  # deploy: the image to run
    rollback_to: str | None = None  # rollback: the task definition to go back to
    requested_at: datetime  # orders the pushes for one service: the newest goes next
    start_delay_seconds: int = Field(0, ge=0)  # the Map waits this long before Register (steps.plan)


class Verdict(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    HEALTHY = "HEALTHY"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    SUPERSEDED = "SUPERSEDED"


class LogLocation(Frozen):
    """Where a container's awslogs driver writes: stream `prefix/container/task-id` in `group`."""

    group: str
    region: str
    stream_prefix: str
    container: str

    def stream(self, task_id: str) -> str:
        return f"{self.stream_prefix}/{self.container}/{task_id}"


class ContainerEvidence(Frozen):
    name: str
    exit_code: int | None = None
    reason: str | None = None


class StoppedTask(Frozen):
    task_id: str
    task_definition: str
    stopped_reason: str
    stop_code: str | None = None
    stopped_at: datetime | None = None
    containers: list[ContainerEvidence] = Field(default_factory=list)
    log_stream: str | None = None

    @property
    def summary(self) -> str:
        codes = [f"exit code {c.exit_code}" for c in self.containers if c.exit_code is not None]
        reasons = [c.reason for c in self.containers if c.reason and c.reason not in self.stopped_reason]
        details = ", ".join(codes + reasons)
        return f"{self.stopped_reason} ({details})" if details else self.stopped_reason


class TargetEvidence(Frozen):
    target_group: str
    target_id: str
    port: int | None = None
    state: str
    reason: str | None = None
    description: str | None = None

    @property
    def summary(self) -> str:
        parts = [p for p in (self.reason, self.description) if p]
        return f"target {self.target_id} is {self.state}" + (f": {' - '.join(parts)}" if parts else "")


class DeploymentEvidence(Frozen):
    id: str
    task_definition: str
    status: str
    rollout_state: str | None = None
    rollout_state_reason: str | None = None
    desired: int = 0
    running: int = 0
    pending: int = 0
    failed_tasks: int = 0


class MetricEvidence(Frozen):
    """The metric judge's last judgement of a native (blue/green, linear, canary) deployment, as pushdeploy's
    lifecycle hook gave it to ECS (pushdeploy.steps.hook): both windows' numbers and the decision."""

    service_deployment: str  # the ECS service deployment's ARN (the hook payload's resourceArn)
    stage: str  # the lifecycle stage ECS called the hook at
    hook_status: Literal["SUCCEEDED", "FAILED", "IN_PROGRESS"]
    reason: str
    at: datetime  # when the hook answered
    since: datetime  # the windows' start: the hook's first call for this deployment
    looks: int = 0  # how many times the judge has been asked for this deployment
    stable_target_group: str | None = None
    new_target_group: str | None = None
    judgement: MetricJudgement | None = None  # None: nothing judged (an answer given without metrics)

    def summary(self) -> str:
        return f"{self.stage}: {self.hook_status} ({self.reason})"

    def window_lines(self) -> list[str]:
        """The judgement and both windows' numbers, for people (the alert, `pushdeploy explain`)."""
        head = (
            f"metric judge at {self.stage}: {self.hook_status} after {self.looks} look(s) since {self.since:%H:%M:%SZ}"
        )
        if self.judgement is None:
            return [f"{head}: {self.reason}"]

        def window(name: str, group: str | None, w: Window) -> str:
            p99 = f", p99 {w.p99_seconds * 1000:.0f} ms" if w.p99_seconds is not None else ""
            slow = f", {w.slow} slower than the stable p99 ({w.slow_share:.2%})" if w.slow is not None else ""
            where = f" ({group.rsplit(':', 1)[-1]})" if group else ""
            return f"  {name}{where}: {w.requests} requests, {w.errors} 5XX ({w.error_rate:.2%}){p99}{slow}"

        return [
            f"{head}: {self.judgement.decision}",
            window("new", self.new_target_group, self.judgement.new),
            window("stable", self.stable_target_group, self.judgement.old),
            *(f"  {c.describe()}" for c in self.judgement.comparisons),
        ]


class Evidence(Frozen):
    """What a verdict rests on, shown verbatim in alerts and the execution output."""

    deployment: DeploymentEvidence | None = None
    stopped_tasks: list[StoppedTask] = Field(default_factory=list)
    targets: list[TargetEvidence] = Field(default_factory=list)
    alarms: list[str] = Field(default_factory=list)
    events: list[str] = Field(default_factory=list)
    # The metric judge's last word: the target group before the deployment against after it (both windows).
    metrics: MetricJudgement | None = None
    hook: MetricEvidence | None = None  # a native deployment's last answer from pushdeploy's hook, judged

    def metric_lines(self) -> list[str]:
        return metric_lines(self.metrics, self.hook)


def metric_lines(metrics: MetricJudgement | None, hook: MetricEvidence | None) -> list[str]:
    """The metric judge's evidence for people (the alert, `pushdeploy explain`, the picture): the rolling
    watch's before-and-after judgement, a native deployment's hook answer with both windows."""
    lines = metrics.evidence("before the deployment", "after it") if metrics is not None else []
    return [*lines, *(hook.window_lines() if hook is not None else [])]


class Wake(Frozen):
    """What a task token the state machine waits on came back with (pushdeploy.steps.watch): an early end of the
    watch, or the evidence that woke the wait (a task's ARN, an alarm or a deployment, and why)."""

    end: str | None = None
    woken_by: str | None = None
    reason: str = ""


class Rollout(Frozen):
    """One rollout (ours, or our rollback) as Update or Rollback started it and each Check left it."""

    phase: Literal["deploy", "rollback"]
    deployment_id: str
    task_definition: str
    previous_task_definition: str | None = None
    started_at: datetime
    healthy_since: datetime | None = None
    probes: int = 0
    verdict: Verdict = Verdict.IN_PROGRESS
    reason: str = "rollout started"
    wait_seconds: int
    decided_at: datetime | None = None
    evidence: Evidence = Field(default_factory=Evidence)
    tasks: list[str] = Field(default_factory=list, max_length=100)  # ARNs of its tasks seen so far
    stopped: int = 0  # how many of them were stopped at the last probe
    failing: int = 0  # how many of them had stopped for a failing reason at the last probe (judged already)
    wake: Wake | None = None  # what ended the rollout's wait for its events, for the next probe (then cleared)
    watch_until: datetime | None = None  # set by the first healthy verdict of a deploy
    watch_seconds: int = 0  # how long the watch still has to run (0: none, or over)
    # A native strategy (blue/green, linear, canary): ECS's service deployment this rollout follows, the
    # lifecycle stage its last probe saw, and, once ECS rolled it back by itself (after pushdeploy's hook
    # answered FAILED, or for a reason of its own), whether that rollback succeeded.
    strategy: StrategyKind = "rolling"
    service_deployment: str | None = None
    lifecycle_stage: str | None = None
    ecs_rollback: Literal["succeeded", "failed"] | None = None


class Approved(Model):
    """What a deployment's approval came back with (`pushdeploy approve`, pushdeploy.steps.approval): who
    approved it, and when. Someone who answers the task token in the console may say less."""

    approved_by: str = "unknown"
    approved_at: datetime | None = None


def family_of(task_definition: str) -> str:
    """The family of a task definition named by ARN, `family:revision` or family."""
    return task_definition.rsplit("/", 1)[-1].rsplit(":", 1)[0]


EXECUTION_NAME_MAX = 80  # 1-80 characters of [A-Za-z0-9_-] (docs/aws-facts.md, "Execution names and history")


def safe_execution_name(*parts: str, unique: str = "") -> str:
    """A Step Functions execution name from free text; `unique` (what tells two executions apart) is never cut."""
    unique = re.sub(r"[^A-Za-z0-9_-]+", "-", unique).strip("-")[:EXECUTION_NAME_MAX]
    room = EXECUTION_NAME_MAX - (len(unique) + 1 if unique else 0)
    text = re.sub(r"[^A-Za-z0-9_-]+", "-", "-".join(parts)).strip("-")[: max(room, 0)].rstrip("-")
    return "-".join(p for p in (text, unique) if p) or "pushdeploy"


# The tags pushdeploy puts on images itself (pushdeploy.steps.unlock): a guard on each image of a version verified
# healthy, and the tag an image keeps when it leaves that list. They name no release: a push of one deploys nothing.
GUARD_PREFIX = "pushdeploy-good-"
RETIRED_PREFIX = "pushdeploy-retired-"


def is_own_tag(tag: str) -> bool:
    return tag.startswith((GUARD_PREFIX, RETIRED_PREFIX))


class KeptImages(Frozen):
    """What Unlock did to keep the images of the versions verified healthy from expiring (ECR lifecycle
    rules): each carries a guard tag of the service (pushdeploy.steps.unlock.guard_tag)."""

    repository: str
    guarded: tuple[str, ...] = ()  # the guard tags on the images of the service's `good` list
    released: tuple[str, ...] = ()  # guard tags taken off images that left the list
    problem: str | None = None  # why an image of the list may not be guarded: it may expire, a rollback to it fail


class UnlockOutput(Model):
    service: str
    released: bool
    good: str | None = None  # the task definition recorded as verified healthy, if any
    kept: KeptImages | None = None  # None when nothing was recorded
