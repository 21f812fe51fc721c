"""The ECS/ALB model's data: services, their deployments, tasks and targets, in virtual seconds.

Plain data with the questions it answers about itself (a target's health at an instant, a task's next
timer); the rules that change it are in `behaviour`, its picture in moto is drawn by `moto_view`.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pushdeploy_local.ecs.facts import (
    ACTIVATING,
    DRAINING,
    HEALTHY,
    IN_PROGRESS,
    INITIAL_CHECKING,
    NOT_REGISTERED,
    PENDING,
    PROVISIONING,
    REGISTERING,
    RESPONSE_CODE_MISMATCH,
    RUNNING,
    STOPPED,
    TargetHealth,
)
from pushdeploy_local.scenario import Behavior, PullError, ServiceSpec


@dataclass(frozen=True)
class ServiceState:
    """A service as the report shows it once the run is over."""

    task_definition: str  # the PRIMARY deployment's
    desired_count: int
    running_count: int
    healthy: bool  # running == desired and every running task passes its health check
    settled: bool
    rollout_state: str  # the PRIMARY deployment's


@dataclass
class Target:
    """One task IP in one target group. Its health is a function of time until it is deregistered."""

    target_group_arn: str
    ip: str
    port: int
    first_check_at: float  # RegistrationInProgress before, InitialHealthChecking after
    verdict_at: float  # healthy (or unhealthy) from this instant
    passes: bool
    drain_ends_at: float | None = None
    deregistered: bool = False  # gone from the target group

    @property
    def draining(self) -> bool:
        return self.drain_ends_at is not None and not self.deregistered

    def health(self, now: float) -> TargetHealth:
        if self.deregistered:
            return NOT_REGISTERED
        if self.drain_ends_at is not None:
            return DRAINING
        if now < self.first_check_at:
            return REGISTERING
        if now < self.verdict_at:
            return INITIAL_CHECKING
        return HEALTHY if self.passes else RESPONSE_CODE_MISMATCH

    def timers(self) -> list[float]:
        if self.deregistered:
            return []
        if self.drain_ends_at is not None:
            return [self.drain_ends_at]
        return [self.first_check_at, self.verdict_at]


@dataclass
class Deployment:
    id: str
    task_definition: str
    created_at: float
    updated_at: float
    rollout_state: str = IN_PROGRESS
    rollout_state_reason: str = ""
    failed_tasks: int = 0  # tasks the circuit breaker counts (never RUNNING, or failed health checks)
    launch_not_before: float = 0.0  # the scheduler's next pass after a task of this deployment stopped

    def __post_init__(self) -> None:
        if not self.rollout_state_reason:
            self.rollout_state_reason = f"ECS deployment {self.id} in progress."


@dataclass(frozen=True)
class LaunchedTask:
    """A task as ECS created it for a deployment: its ids, its IP and the container the behaviour applies to."""

    arn: str
    short_id: str
    ip: str | None
    container: str  # the service's container, else the first essential one
    image: str


@dataclass
class Task:
    arn: str
    short_id: str
    deployment_id: str
    task_definition: str
    behavior: Behavior
    container: str  # the essential container the behaviour applies to
    image: str
    ip: str | None
    created_at: float
    pending_at: float
    activating_at: float
    ready_at: float  # RUNNING, or the pull failure for pull_error
    status: str = PROVISIONING
    desired_status: str = RUNNING
    started_at: float | None = None
    crash_at: float | None = None
    stopping_at: float | None = None
    stopped_at: float | None = None
    stopped_reason: str | None = None
    stop_code: str | None = None
    exit_code: int | None = None
    container_reason: str | None = None
    target: Target | None = None
    reported: tuple[str, str] | None = None  # (lastStatus, desiredStatus) of its last state-change event
    reached_healthy: bool = False  # has been healthy for the circuit breaker (resetOnHealthyTask)
    # "Every time a task experiences a change that starts a CloudWatch event, the version counter is
    # incremented" (API_Task.html).
    version: int = 0

    @property
    def alive(self) -> bool:
        """ECS still wants it: counts toward the deployment's tasks, may still change on its own."""
        return self.desired_status == RUNNING

    @property
    def finished(self) -> bool:
        """STOPPED and its target gone: nothing about it can change any more."""
        return self.status == STOPPED and (self.target is None or self.target.deregistered)

    @property
    def starting(self) -> bool:
        """Not yet RUNNING: DescribeServices counts it as pending."""
        return self.status in (PROVISIONING, PENDING, ACTIVATING)

    def timers(self) -> list[float]:
        if not self.alive:
            return []
        if self.status == PROVISIONING:
            return [self.pending_at]
        if self.status == PENDING:
            return [self.ready_at if isinstance(self.behavior, PullError) else self.activating_at]
        if self.status == ACTIVATING:
            return [self.ready_at]
        if self.status == RUNNING and self.crash_at is not None:
            return [self.crash_at]
        return []


@dataclass(frozen=True)
class AdoptedService:
    """A service as it stood in the API when the model adopted it."""

    cluster: str
    name: str
    task_definition: str  # an ARN
    desired_count: int
    container_port: int | None  # the load balancer's containerPort for the target group, if any
    deployment_id: str | None  # the PRIMARY deployment's id the API already shows, if any


@dataclass
class Service:
    cluster: str
    name: str
    container: str
    spec: ServiceSpec
    target_group_arn: str | None
    container_port: int | None
    # The API's truth: set by CreateService, changed by UpdateService(desiredCount=...).
    desired_count: int
    deployments: list[Deployment]  # newest first; [0] is the PRIMARY
    # Tasks that can still change; a finished one stays in the API only (a crash loop makes hundreds).
    tasks: list[Task] = field(default_factory=list)
    # The rollback target. Cleared while a rollback runs: "the deployment is not eligible for another
    # rollback until it reaches a COMPLETED state" (deployment-circuit-breaker.html, aws-facts.md).
    last_completed: Deployment | None = None

    @property
    def primary(self) -> Deployment:
        return self.deployments[0]

    def tasks_of(self, deployment: Deployment) -> list[Task]:
        return [task for task in self.tasks if task.deployment_id == deployment.id]


class Ids:
    """The model's ids, from seeded generators so that a scenario replays identically."""

    def __init__(self, seed: int) -> None:
        self._ids = random.Random(seed)
        # Task state-change events have a generator of their own, so that emitting them changes no other id.
        self._event_ids = random.Random(f"{seed}:events")

    def deployment_id(self) -> str:
        return f"ecs-svc/{self._ids.randrange(10**18, 10**19)}"

    def uuid(self) -> str:
        return _uuid4(self._ids)

    def event_id(self) -> str:
        return _uuid4(self._event_ids)


def _uuid4(generator: random.Random) -> str:
    return str(uuid.UUID(int=generator.getrandbits(128), version=4))


def instant(epoch: datetime, seconds: float) -> datetime:
    """The wall-clock instant of a virtual one."""
    return epoch + timedelta(seconds=seconds)


def image_digest(image: str) -> str | None:
    """The digest of `repository@digest`, else None."""
    _, at, digest = image.partition("@")
    return digest if at else None


def normalise_digest(digest: str) -> str:
    return digest if digest.startswith("sha256:") else f"sha256:{digest}"


@dataclass(frozen=True)
class LogLine:
    """A line a task's container printed. The awslogs driver sends it to the stream
    `<awslogs-stream-prefix>/<container>/<task id>` of the task definition's log group
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html). The words are the
    model's stand-in for the application's own output; where they go is AWS's."""

    task_id: str
    task_definition: str
    container: str
    at: float
    text: str
