"""The ECS/ALB model's data: services, their deployments, tasks and targets, in virtual seconds.

Plain data with the questions it answers about itself (a target's health at an instant, a task's next
timer); the rules that change it are in `behaviour`, its picture in moto is drawn by `moto_view`.
"""

from __future__ import annotations

import math
import random
import string
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pushdeploy_local.ecs.bluegreen import ServiceDeployment
from pushdeploy_local.ecs.facts import (
    ACTIVATING,
    CONTAINER_HEALTHY,
    CONTAINER_UNHEALTHY,
    CONTAINER_UNKNOWN,
    DEFAULT_STOP_TIMEOUT_SECONDS,
    DEPROVISIONING,
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
    STOPPING,
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
    # A blue/green, linear or canary deployment's own target group (the alternate one for green), and whether
    # its tasks wait for the SCALE_UP stage; a rolling deployment uses the service's and launches at once.
    target_group_arn: str | None = None
    launch_held: bool = False

    def __post_init__(self) -> None:
        if not self.rollout_state_reason:
            self.rollout_state_reason = f"ECS deployment {self.id} in progress."


@dataclass(frozen=True)
class HealthCheck:
    """A container definition's healthCheck, in seconds (API_HealthCheck.html; facts for the defaults)."""

    interval: float
    timeout: float
    retries: int
    start_period: float

    def healthy_after(self) -> float:
        """A container whose check passes: HEALTHY at the first check, one interval after it started (Docker
        runs the first check `interval` after the container starts: https://docs.docker.com/reference/dockerfile/#healthcheck;
        a pass within startPeriod counts, API_HealthCheck.html)."""
        return self.interval

    def unhealthy_after(self) -> float:
        """A container whose check fails: UNHEALTHY at the `retries`-th consecutive failure that counts, the
        checks before startPeriod not counting. Modelling choice: a failing check (an HTTP error) fails at
        once, so `timeout`, which bounds a check that hangs, does not delay it."""
        first_counted = max(1, math.ceil(self.start_period / self.interval))
        return self.interval * (first_counted + self.retries - 1)


@dataclass(frozen=True)
class Container:
    """A container of the task definition: whether it is essential and its health check, if any."""

    name: str
    essential: bool
    health_check: HealthCheck | None


@dataclass(frozen=True)
class LaunchedTask:
    """A task as ECS created it for a deployment: its ids, its IP and the container the behaviour applies to."""

    arn: str
    short_id: str
    ip: str | None
    container: str  # the service's container, else the first essential one
    image: str
    containers: tuple[Container, ...] = ()  # the task definition's
    stop_timeout: float = DEFAULT_STOP_TIMEOUT_SECONDS  # `container`'s stopTimeout


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
    containers: tuple[Container, ...] = ()
    stop_timeout: float = DEFAULT_STOP_TIMEOUT_SECONDS
    status: str = PROVISIONING
    desired_status: str = RUNNING
    started_at: float | None = None
    crash_at: float | None = None
    stopping_at: float | None = None
    deprovisioning_at: float | None = None  # STOPPING ends (once a stop began)
    stopped_due: float | None = None  # DEPROVISIONING ends (once a stop began)
    stopped_at: float | None = None
    # Container health checks run from this instant: when it started, or long before for a task adopted
    # RUNNING (its checks settled before the scenario began).
    checks_since: float | None = None
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
    # healthStatus as last shown: each container's, by name, and the task's (`observe_health`).
    healths: dict[str, str] = field(default_factory=dict)
    health: str = CONTAINER_UNKNOWN

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

    @property
    def checked(self) -> bool:
        """An essential container has a health check: the task's healthStatus can be HEALTHY."""
        return any(c.essential and c.health_check is not None for c in self.containers)

    def container_check_passes(self, container: Container) -> bool:
        """The behaviour decides for its own container; the others (sidecars) pass (modelling choice)."""
        if container.name != self.container:
            return True
        return getattr(self.behavior, "container_check", "passes") == "passes"

    def container_health(self, container: Container, now: float) -> str:
        """HEALTHY, UNHEALTHY or UNKNOWN (no check, not yet decided, or never started) at `now`; frozen once
        the task began to stop."""
        check = container.health_check
        if check is None or self.checks_since is None:
            return CONTAINER_UNKNOWN
        if self.stopping_at is not None:
            now = min(now, self.stopping_at)
        if self.container_check_passes(container):
            return CONTAINER_HEALTHY if now >= self.checks_since + check.healthy_after() else CONTAINER_UNKNOWN
        return CONTAINER_UNHEALTHY if now >= self.checks_since + check.unhealthy_after() else CONTAINER_UNKNOWN

    def health_status(self, now: float) -> str:
        """The task's healthStatus from its essential containers', in ECS's order UNHEALTHY, UNKNOWN, HEALTHY
        (API_HealthCheck.html: "If all essential containers in the task are reporting as HEALTHY, the task
        status also reports as HEALTHY. If any essential containers in the task are reporting as UNHEALTHY or
        UNKNOWN, the task status also reports as UNHEALTHY or UNKNOWN"). No essential container: UNKNOWN."""
        statuses = {self.container_health(c, now) for c in self.containers if c.essential}
        for status in (CONTAINER_UNHEALTHY, CONTAINER_UNKNOWN):
            if status in statuses:
                return status
        return CONTAINER_HEALTHY if statuses else CONTAINER_UNKNOWN

    def observe_health(self, now: float) -> bool:
        """Take the health statuses at `now` as those to show; True when one changed."""
        healths = {c.name: self.container_health(c, now) for c in self.containers}
        health = self.health_status(now)
        changed = (healths, health) != (self.healths, self.health)
        self.healths, self.health = healths, health
        return changed

    def check_timers(self) -> list[float]:
        """The instants its containers' health statuses change."""
        if self.checks_since is None or self.stopping_at is not None:
            return []
        timers = []
        for container in self.containers:
            check = container.health_check
            if check is not None:
                passes = self.container_check_passes(container)
                timers.append(self.checks_since + (check.healthy_after() if passes else check.unhealthy_after()))
        return [t for t in timers if math.isfinite(t)]

    def timers(self) -> list[float]:
        if self.status == STOPPING and self.deprovisioning_at is not None:
            return [self.deprovisioning_at]
        if self.status == DEPROVISIONING and self.stopped_due is not None:
            return [self.stopped_due]
        if not self.alive:
            return []
        if self.status == PROVISIONING:
            return [self.pending_at]
        if self.status == PENDING:
            return [self.ready_at if isinstance(self.behavior, PullError) else self.activating_at]
        if self.status == ACTIVATING:
            return [self.ready_at]
        if self.status == RUNNING:
            return self.check_timers() + ([self.crash_at] if self.crash_at is not None else [])
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
    # The service throttle logic (facts, THROTTLE_*): launches in a row whose tasks failed to start
    # (PENDING to STOPPED), and the launch instant last counted, so that a launch of several tasks counts once.
    failed_launches: int = 0
    last_failed_launch: float | None = None
    # Its blue/green, linear and canary deployments, newest first; [0] is the one that may be in progress.
    service_deployments: list[ServiceDeployment] = field(default_factory=list)

    @property
    def lifecycle(self) -> ServiceDeployment | None:
        """The blue/green, linear or canary deployment in progress, if any."""
        current = self.service_deployments[0] if self.service_deployments else None
        return current if current is not None and current.active else None

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

    def service_deployment_id(self) -> str:
        """The last part of a service deployment's ARN: 21 letters and digits, as ECS's (for example
        TFX5sH9q9XDboDTOv0rIt)."""
        return "".join(self._ids.choice(_ALPHANUMERIC) for _ in range(21))

    def event_id(self) -> str:
        return _uuid4(self._event_ids)


_ALPHANUMERIC = string.ascii_letters + string.digits


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
