"""ECS/ALB behaviour model: ECS services on Fargate and their ALB target groups, on a virtual clock.

moto keeps the API surface (DescribeServices, ListTasks, DescribeTasks, DescribeTargetHealth) but its
ECS never starts a service's tasks, never makes a second deployment and its ALB never reports anything
but `healthy`. This model is the behaviour behind that surface: it creates and updates moto's own Task,
Service and target-group objects, so every boto3 call of the deployer sees the model's state.

Time is virtual: seconds (float) since the scenario started. The model never reads the wall clock; it
moves only when `advance_to` is called, and `next_change_at` says when something will next happen on
its own, so a discrete-event clock can jump straight there.

Every change of a task's lastStatus or desiredStatus also emits the "ECS Task State Change" event that
ECS sends to EventBridge; `drain_events` hands them over. The event's detail is the task as DescribeTasks
shows it, written by moto's own serializer, so the two always agree. On a moto upgrade, check that
`moto.core.serialize.JSONSerializer`, `XFormedAttributePicker` and `moto.core.utils.get_service_model`
still exist and that DescribeTasks still serializes moto's Task through them (moto.ecs.responses).

Sources of the rules are named where they are applied: aws-facts.md (with its AWS URLs), scenarios.md,
or "modelling choice" where AWS publishes no number and the value only has to be plausible.
"""

from __future__ import annotations

import functools
import json
import math
import random
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from botocore.model import OperationModel
from moto.core.serialize import JSONSerializer, XFormedAttributePicker
from moto.core.utils import get_service_model
from moto.ec2.models import ec2_backends
from moto.ecs.models import EC2ContainerServiceBackend, Service, Task, TaskDefinition, ecs_backends
from moto.elbv2.models import FakeTargetGroup, elbv2_backends

from pushdeploy_local.scenario import Behavior, Crash, Healthy, LateCrash, PullError, ServiceSpec, Unhealthy

# Instant 0 when the caller gives no epoch (the local cloud's clock passes its own).
DEFAULT_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

# Modelling choice: Fargate spends a few seconds in PROVISIONING (ENI attach) before PENDING (image pull);
# AWS publishes no number. Capped at half of a behaviour's start_seconds so PENDING always comes first.
PROVISIONING_SECONDS = 5.0
# Modelling choice: a new target shows `initial` / Elb.RegistrationInProgress for a while before the
# first health check (then Elb.InitialHealthChecking). Reasons: aws-facts.md,
# https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html
REGISTRATION_SECONDS = 10.0
# Modelling choice: the ECS service scheduler launches a replacement for a stopped task on its next
# pass, observed at roughly 10-20 s; repeated start failures are throttled further by AWS
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-throttle-logic.html), not modelled.
REPLACEMENT_DELAY_SECONDS = 15.0
# DescribeServices returns the service's most recent events; ECS keeps 100.
MAX_SERVICE_EVENTS = 100
FARGATE_PLATFORM_VERSION = "1.4.0"

# Circuit breaker threshold = 0.5 x desiredCount clamped to [3, 200] (aws-facts.md,
# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentCircuitBreaker.html).
CIRCUIT_BREAKER_MIN = 3
CIRCUIT_BREAKER_MAX = 200

# Target health states, reasons and descriptions as the ALB writes them (aws-facts.md,
# https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html).
TargetHealth = tuple[str, str | None, str | None]
REGISTERING: TargetHealth = ("initial", "Elb.RegistrationInProgress", "Target registration is in progress")
INITIAL_CHECKING: TargetHealth = ("initial", "Elb.InitialHealthChecking", "Initial health checks in progress")
HEALTHY: TargetHealth = ("healthy", None, None)
RESPONSE_CODE_MISMATCH: TargetHealth = (
    "unhealthy",
    "Target.ResponseCodeMismatch",
    "Health checks failed with these codes: [502]",
)
DRAINING: TargetHealth = (
    "draining",
    "Target.DeregistrationInProgress",
    "Target deregistration is in progress",
)
NOT_REGISTERED: TargetHealth = (
    "unused",
    "Target.NotRegistered",
    "Target is not registered to the target group",
)

# Task lastStatus values the model uses (ECS task lifecycle:
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle.html).
PROVISIONING = "PROVISIONING"
PENDING = "PENDING"
RUNNING = "RUNNING"
DEACTIVATING = "DEACTIVATING"  # deregistering from the target group before the task stops
STOPPED = "STOPPED"

# Deployment rollout states (aws-facts.md).
IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"
FAILED = "FAILED"

ESSENTIAL_CONTAINER_EXITED = "EssentialContainerExited"
TASK_FAILED_TO_START = "TaskFailedToStart"
SERVICE_SCHEDULER_INITIATED = "ServiceSchedulerInitiated"
CIRCUIT_BREAKER_REASON = "ECS deployment circuit breaker: tasks failed to start."

# The event ECS sends to EventBridge when a task's lastStatus or desiredStatus changes
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html).
TASK_STATE_CHANGE = "ECS Task State Change"


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
class _ContainerView:
    """A task's container as DescribeTasks shows it (moto's serializer reads these attribute names).

    moto's own Container describes only the task definition's first container and has no exit reason.
    """

    container_arn: str
    task_arn: str
    name: str
    image: str
    cpu: str
    memory: int | None
    network_interfaces: list[dict[str, str]]
    last_status: str = PENDING
    image_digest: str | None = None
    exit_code: int | None = None
    reason: str | None = None
    health_status: str = "UNKNOWN"  # no container health check is modelled


class _ModelTask(Task):
    """A moto Task whose lastStatus only the model moves, with the fields DescribeTasks shows for Fargate.

    moto's Task is a ManagedState that walks RUNNING -> DEACTIVATING -> ... -> STOPPED as it is
    described; here lastStatus must follow the model's clock, not the number of DescribeTasks calls.
    """

    # Read by moto's serializer (Task shape: platformFamily, cpu, ..., healthStatus); moto's Task lacks them.
    platform_family: str
    cpu: str | None
    memory: str | None
    availability_zone: str | None
    version: int
    created_at: datetime
    pull_started_at: datetime | None
    pull_stopped_at: datetime | None
    started_at: datetime | None
    connectivity: str | None
    connectivity_at: datetime | None
    stopping_at: datetime | None
    stopped_at: datetime | None
    execution_stopped_at: datetime | None
    stop_code: str | None
    health_status: str
    model_containers: list[_ContainerView]

    @property  # type: ignore[override]
    def status(self) -> str | None:
        return self._status

    @status.setter
    def status(self, value: str) -> None:
        self._status = value


@dataclass
class _Target:
    """One task IP in one target group. Its health is a function of time until it is deregistered."""

    target_group_arn: str
    ip: str
    port: int
    first_check_at: float  # RegistrationInProgress before, InitialHealthChecking after
    verdict_at: float  # healthy (or unhealthy) from this instant
    passes: bool
    drain_ends_at: float | None = None
    deregistered: bool = False  # gone from moto's target group

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
class _Deployment:
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


@dataclass
class _Task:
    moto: _ModelTask
    deployment_id: str
    behavior: Behavior
    container: str  # the essential container the behaviour applies to
    image: str
    ip: str | None
    created_at: float
    pending_at: float
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
    target: _Target | None = None
    reported: tuple[str, str] | None = None  # (lastStatus, desiredStatus) of its last state-change event

    @property
    def alive(self) -> bool:
        """ECS still wants it: counts toward the deployment's tasks, may still change on its own."""
        return self.desired_status == RUNNING

    @property
    def finished(self) -> bool:
        """STOPPED and its target gone: nothing about it can change any more."""
        return self.status == STOPPED and (self.target is None or self.target.deregistered)

    @property
    def short_id(self) -> str:
        return str(self.moto.id)

    def timers(self) -> list[float]:
        if not self.alive:
            return []
        if self.status == PROVISIONING:
            return [self.pending_at]
        if self.status == PENDING:
            return [self.ready_at]
        if self.status == RUNNING and self.crash_at is not None:
            return [self.crash_at]
        return []


@dataclass
class _Service:
    cluster: str
    name: str
    container: str
    spec: ServiceSpec
    target_group_arn: str | None
    container_port: int | None
    moto: Service
    deployments: list[_Deployment]  # newest first; [0] is the PRIMARY
    # Tasks that can still change; a finished one stays in moto only (a crash loop makes hundreds).
    tasks: list[_Task] = field(default_factory=list)
    # The rollback target. Cleared while a rollback runs: "the deployment is not eligible for another
    # rollback until it reaches a COMPLETED state" (deployment-circuit-breaker.html, aws-facts.md).
    last_completed: _Deployment | None = None

    @property
    def primary(self) -> _Deployment:
        return self.deployments[0]

    @property
    def desired_count(self) -> int:
        # The API's truth: UpdateService(desiredCount=...) changes moto's service.
        return int(self.moto.desired_count or 0)

    def tasks_of(self, deployment: _Deployment) -> list[_Task]:
        return [task for task in self.tasks if task.deployment_id == deployment.id]


class EcsModel:
    """The ECS/ALB behaviour model of one account and region. Thread-safe (one RLock)."""

    def __init__(self, account_id: str, region: str, *, epoch: datetime = DEFAULT_EPOCH, seed: int = 0) -> None:
        self.account_id = account_id
        self.region = region
        self.epoch = epoch
        self._now = 0.0
        self._lock = threading.RLock()
        # Deployment and event ids come from a seeded generator so that a scenario replays identically.
        self._rng = random.Random(seed)
        self._services: dict[tuple[str, str], _Service] = {}
        self._behaviors: dict[str, Behavior] = {}
        self._targets: dict[tuple[str, str], _Target] = {}
        self._outbox: list[dict[str, Any]] = []  # task state-change events not yet drained
        # Their ids have a generator of their own, so that emitting them changes no other id.
        self._event_ids = random.Random(f"{seed}:events")

    # ------------------------------------------------------------------ public interface

    @property
    def now(self) -> float:
        return self._now

    def add_service(
        self,
        *,
        cluster: str,
        service: str,
        container: str,
        spec: ServiceSpec,
        target_group_arn: str | None,
    ) -> None:
        """Adopt a service already created in moto: its tasks are RUNNING and healthy now (steady state).

        Call `set_behavior` for the initial image first: the adopted tasks take their behaviour now.
        """
        with self._lock:
            moto_service = self._moto_service(cluster, service)
            if moto_service.task_definition is None:
                raise ValueError(f"service {service} has no task definition to adopt")
            task_definition = self._ecs.describe_task_definition(moto_service.task_definition)
            moto_service.task_definition = task_definition.arn
            self._check_network(moto_service)
            self._declare_configuration(moto_service, spec, target_group_arn)
            deployment = _Deployment(
                id=self._adopted_deployment_id(moto_service),
                task_definition=task_definition.arn,
                created_at=self._now,
                updated_at=self._now,
                rollout_state=COMPLETED,
            )
            deployment.rollout_state_reason = f"ECS deployment {deployment.id} completed."
            svc = _Service(
                cluster=moto_service.cluster_name,
                name=moto_service.name,
                container=container,
                spec=spec,
                target_group_arn=target_group_arn,
                container_port=self._container_port(moto_service, target_group_arn),
                moto=moto_service,
                deployments=[deployment],
                last_completed=deployment,
            )
            self._services[(svc.cluster, svc.name)] = svc
            emitted = len(self._outbox)
            tasks = [self._new_task(svc, deployment) for _ in range(svc.desired_count)]
            for task in tasks:
                self._adopt_running(svc, task)
            # The adopted tasks were running before the scenario began: their events are long gone.
            del self._outbox[emitted:]
            if tasks:
                self._event(svc, self._started_message(svc, tasks))
                if svc.target_group_arn:
                    self._event(svc, f"registered {len(tasks)} targets in (target-group {svc.target_group_arn})")
            self._event(svc, "has reached a steady state.")
            self._sync_service(svc)

    def set_behavior(self, digest: str, behavior: Behavior) -> None:
        """How tasks whose essential container image is `...@<digest>` behave (unknown digests: healthy)."""
        with self._lock:
            self._behaviors[_normalise_digest(digest)] = behavior

    def on_update_service(self, cluster: str, service: str, *, force_new_deployment: bool = False) -> None:
        """React to moto's UpdateService: a new task definition (or a forced deployment) makes a new PRIMARY.

        An UpdateService that does not change the task definition creates nothing, as on ECS.
        """
        with self._lock:
            svc = self._services.get((cluster.split("/")[-1], service.split("/")[-1]))
            if svc is None:
                return
            # moto stores whatever string the caller sent (family, family:revision or ARN); ECS answers ARNs.
            task_definition = self._ecs.describe_task_definition(str(svc.moto.task_definition)).arn
            svc.moto.task_definition = task_definition
            if task_definition != svc.primary.task_definition or force_new_deployment:
                self._start_deployment(svc, task_definition)
            self._sync_service(svc)  # undoes moto's runningCount = desiredCount shortcut
            self._settle_instant()

    def advance_to(self, t: float) -> None:
        """Step every service to virtual instant `t`, stopping at each instant where something happens."""
        with self._lock:
            if t < self._now:
                raise ValueError(f"virtual time cannot go back from {self._now} to {t}")
            while (instant := self._next_timer_after(self._now)) is not None and instant <= t:
                self._now = instant
                self._settle_instant()
            self._now = t
            self._settle_instant()

    def drain_events(self) -> list[dict[str, Any]]:
        """The "ECS Task State Change" events emitted since the last drain, oldest first."""
        with self._lock:
            events, self._outbox = self._outbox, []
            return events

    def next_change_at(self) -> float | None:
        """The earliest instant after now when the state will change on its own (None: never)."""
        with self._lock:
            return self._next_timer_after(self._now)

    def target_health(self, target_group_arn: str, target_id: str) -> TargetHealth | None:
        """(State, Reason, Description) of a target the model knows, else None."""
        with self._lock:
            target = self._targets.get((target_group_arn, target_id))
            return None if target is None else target.health(self._now)

    def service_state(self, cluster: str, service: str) -> ServiceState:
        with self._lock:
            svc = self._services[(cluster.split("/")[-1], service.split("/")[-1])]
            running = [task for task in svc.tasks if task.alive and task.status == RUNNING]
            return ServiceState(
                task_definition=svc.primary.task_definition,
                desired_count=svc.desired_count,
                running_count=len(running),
                healthy=len(running) == svc.desired_count and all(self._passes(svc, t) for t in running),
                settled=self._service_settled(svc),
                rollout_state=svc.primary.rollout_state,
            )

    def settled(self) -> bool:
        """No deployment IN_PROGRESS, no task starting or draining, no target checking or draining."""
        with self._lock:
            return all(self._service_settled(svc) for svc in self._services.values())

    # ------------------------------------------------------------------ the clock

    def _next_timer_after(self, now: float) -> float | None:
        timers = [instant for svc in self._services.values() for instant in self._service_timers(svc)]
        later = [instant for instant in timers if instant > now]
        return min(later) if later else None

    def _service_timers(self, svc: _Service) -> list[float]:
        timers: list[float] = []
        for task in svc.tasks:
            timers += task.timers()
            if task.target is not None:
                timers += task.target.timers()
            if self._failing_health_checks(task):
                assert task.started_at is not None
                timers.append(task.started_at + svc.spec.grace_period_seconds)
        if self._tasks_to_launch(svc) > 0:
            timers.append(svc.primary.launch_not_before)
        return timers

    def _settle_instant(self) -> None:
        """Apply everything due at `now`, repeatedly, until one pass changes nothing."""
        for _ in range(10_000):
            changed = False
            for svc in self._services.values():
                changed |= self._step_service(svc)
            if not changed:
                return
        raise RuntimeError(f"the ECS model does not settle at t={self._now}")

    def _step_service(self, svc: _Service) -> bool:
        changed = False
        for task in list(svc.tasks):
            changed |= self._step_task(svc, task)
        changed |= self._stop_unhealthy_tasks(svc)
        changed |= self._trip_circuit_breaker(svc)
        changed |= self._launch_tasks(svc)
        changed |= self._scale_down_older_deployments(svc)
        changed |= self._complete_deployment(svc)
        if changed:
            svc.tasks = [task for task in svc.tasks if not task.finished]
            self._sync_service(svc)
        return changed

    # ------------------------------------------------------------------ tasks

    def _step_task(self, svc: _Service, task: _Task) -> bool:
        now = self._now
        changed = False
        if task.alive and task.status == PROVISIONING and now >= task.pending_at:
            task.status = PENDING
            changed = True
        if task.alive and task.status == PENDING and now >= task.ready_at:
            if isinstance(task.behavior, PullError):
                self._fail_to_start(svc, task)
            else:
                self._start_running(svc, task)
            changed = True
        if task.alive and task.status == RUNNING and task.crash_at is not None and now >= task.crash_at:
            self._container_exited(svc, task)
            changed = True
        target = task.target
        if target is not None and target.draining and now >= (target.drain_ends_at or 0.0):
            self._finish_draining(svc, task, target)
            changed = True
        if changed:
            self._write_moto_task(task)
        return changed

    def _new_task(self, svc: _Service, deployment: _Deployment) -> _Task:
        task_definition = self._ecs.describe_task_definition(deployment.task_definition)
        cluster = self._ecs.clusters[svc.cluster]
        moto_task = _ModelTask(
            cluster=cluster,
            task_definition=task_definition,
            container_instance_arn=None,
            resource_requirements=None,
            backend=self._ecs,
            # ECS service tasks: startedBy is the deployment id, group is "service:<name>".
            group=f"service:{svc.name}",
            launch_type="FARGATE",
            started_by=deployment.id,
            networking_configuration=svc.moto.network_configuration or None,
            platform_version=FARGATE_PLATFORM_VERSION,
        )
        self._ecs.tasks.setdefault(cluster.name, {})[moto_task.task_arn] = moto_task
        container, image = _essential_container(task_definition, svc.container)
        behavior = self._behaviors.get(_image_digest(image) or "", Healthy())
        task = _Task(
            moto=moto_task,
            deployment_id=deployment.id,
            behavior=behavior,
            container=container,
            image=image,
            ip=_private_ip(moto_task),
            created_at=self._now,
            pending_at=self._now + min(PROVISIONING_SECONDS, behavior.start_seconds / 2),
            ready_at=self._now + behavior.start_seconds,
        )
        self._prepare_moto_task(svc, task, task_definition)
        svc.tasks.append(task)
        self._write_moto_task(task)
        return task

    def _adopt_running(self, svc: _Service, task: _Task) -> None:
        """A task of the service as it was before the scenario: RUNNING and, with a load balancer, healthy."""
        task.pending_at = task.ready_at = self._now
        task.status = RUNNING
        task.started_at = self._now
        task.crash_at = self._crash_instant(task)
        if svc.target_group_arn and task.ip:
            self._register_target(svc, task, first_check_at=self._now, verdict_at=self._now)
        self._write_moto_task(task)

    def _start_running(self, svc: _Service, task: _Task) -> None:
        task.status = RUNNING
        task.started_at = self._now
        task.crash_at = self._crash_instant(task)
        # ECS registers a task's IP in the target group once the task is RUNNING (scenarios.md); the
        # first check follows registration, healthy/unhealthy after `threshold` consecutive results,
        # one check every interval (aws-facts.md: the Phase 4 guide's 30 s / 2 / 3).
        if svc.target_group_arn and task.ip:
            check = svc.spec.health_check
            passes = not isinstance(task.behavior, Unhealthy)
            threshold = check.healthy_threshold if passes else check.unhealthy_threshold
            first_check_at = self._now + REGISTRATION_SECONDS
            self._register_target(
                svc,
                task,
                first_check_at=first_check_at,
                verdict_at=first_check_at + (threshold - 1) * check.interval_seconds,
            )
            self._event(svc, f"registered 1 targets in (target-group {svc.target_group_arn})")

    def _crash_instant(self, task: _Task) -> float | None:
        if isinstance(task.behavior, Crash | LateCrash):
            return self._now + task.behavior.crash_after_seconds
        return None

    def _fail_to_start(self, svc: _Service, task: _Task) -> None:
        """pull_error: the image cannot be pulled; the task never reaches RUNNING (scenarios.md)."""
        reason = (
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
            f"failed to resolve ref {task.image}: not found"
        )
        task.container_reason = reason
        self._stop_now(task, reason=reason, stop_code=TASK_FAILED_TO_START, exit_code=None)
        # Stage 1 of the circuit breaker counts tasks that never reach RUNNING (aws-facts.md).
        self._count_failure(svc, task)
        self._task_lost(svc, task)

    def _container_exited(self, svc: _Service, task: _Task) -> None:
        """crash / late_crash: the essential container exits; the task stops at once, its target drains."""
        assert isinstance(task.behavior, Crash | LateCrash)
        self._stop_now(
            task,
            reason="Essential container in task exited",
            stop_code=ESSENTIAL_CONTAINER_EXITED,
            exit_code=task.behavior.exit_code,
        )
        if task.target is not None and not task.target.draining and not task.target.deregistered:
            self._deregister(svc, task.target)
        # Not counted by the circuit breaker: the task reached RUNNING and then exited, the known gap
        # of containers-roadmap #1206 (aws-facts.md).
        self._task_lost(svc, task)

    def _request_stop(self, svc: _Service, task: _Task, *, reason: str) -> None:
        """The scheduler stops a task: deregister (drain) first, then stop when draining ends.

        A RUNNING task behind a load balancer is DEACTIVATING while its target drains for the
        deregistration delay (task lifecycle docs; scenarios.md); other tasks stop at once.
        """
        task.desired_status = STOPPED
        task.stopping_at = self._now
        task.stopped_reason = reason
        task.stop_code = SERVICE_SCHEDULER_INITIATED
        target = task.target
        if task.status == RUNNING and target is not None and not target.deregistered:
            task.status = DEACTIVATING
            if not target.draining:
                self._deregister(svc, target)
                self._event(svc, "has begun draining connections on 1 tasks.")
        else:
            self._stop_now(task, reason=reason, stop_code=SERVICE_SCHEDULER_INITIATED, exit_code=0)
        self._event(svc, f"has stopped 1 running tasks: (task {task.short_id}).")
        self._write_moto_task(task)

    def _finish_draining(self, svc: _Service, task: _Task, target: _Target) -> None:
        target_group = self._elbv2_target_group(target.target_group_arn)
        if target.ip in target_group.targets:  # unless someone deregistered it through the API already
            target_group.deregister([{"Id": target.ip}])
        target.deregistered = True
        if task.status == DEACTIVATING:
            assert task.stopped_reason is not None and task.stop_code is not None
            # The container got SIGTERM and exited cleanly (modelling choice: exit code 0).
            self._stop_now(task, reason=task.stopped_reason, stop_code=task.stop_code, exit_code=0)

    def _stop_now(self, task: _Task, *, reason: str, stop_code: str, exit_code: int | None) -> None:
        was_running = task.status in (RUNNING, DEACTIVATING)
        task.desired_status = STOPPED
        task.status = STOPPED
        task.stopping_at = task.stopping_at if task.stopping_at is not None else self._now
        task.stopped_at = self._now
        task.stopped_reason = reason
        task.stop_code = stop_code
        # A container that never ran has no exit code.
        task.exit_code = exit_code if was_running else None
        self._write_moto_task(task)

    def _task_lost(self, svc: _Service, task: _Task) -> None:
        """A task stopped on its own: the scheduler replaces it on its next pass (REPLACEMENT_DELAY)."""
        deployment = self._deployment(svc, task.deployment_id)
        if deployment is not None:
            deployment.launch_not_before = self._now + REPLACEMENT_DELAY_SECONDS
            deployment.updated_at = self._now

    def _count_failure(self, svc: _Service, task: _Task) -> None:
        deployment = self._deployment(svc, task.deployment_id)
        if deployment is not None:
            deployment.failed_tasks += 1

    # ------------------------------------------------------------------ targets

    def _register_target(self, svc: _Service, task: _Task, *, first_check_at: float, verdict_at: float) -> None:
        assert svc.target_group_arn is not None and task.ip is not None
        port = svc.container_port or int(self._elbv2_target_group(svc.target_group_arn).port or 0)
        target = _Target(
            target_group_arn=svc.target_group_arn,
            ip=task.ip,
            port=port,
            first_check_at=first_check_at,
            verdict_at=verdict_at,
            passes=not isinstance(task.behavior, Unhealthy),
        )
        task.target = target
        self._targets[(target.target_group_arn, target.ip)] = target
        # Registered in moto too, so DescribeTargetHealth without Targets lists it (and, via the
        # target_health hook, reports the model's state).
        self._elbv2_target_group(target.target_group_arn).register([{"Id": target.ip, "Port": port}])

    def _deregister(self, svc: _Service, target: _Target) -> None:
        # A deregistered target drains for the deregistration delay, then is gone (aws-facts.md; our
        # template sets 30 s). It stays in moto's target group while draining, as on the ALB.
        target.drain_ends_at = self._now + svc.spec.deregistration_delay_seconds
        self._event(svc, f"deregistered 1 targets in (target-group {target.target_group_arn})")

    @staticmethod
    def _failing_health_checks(task: _Task) -> bool:
        """A serving task whose target fails its checks: ECS will stop it once the grace period is over."""
        target = task.target
        return (
            task.alive
            and task.status == RUNNING
            and target is not None
            and not target.passes
            and target.drain_ends_at is None
        )

    def _passes(self, svc: _Service, task: _Task) -> bool:
        """Healthy: the target is `healthy`, or, for a service without a load balancer, the task RUNNING."""
        if not task.alive or task.status != RUNNING:
            return False
        if svc.target_group_arn is None:
            return True
        return task.target is not None and task.target.health(self._now) == HEALTHY

    # ------------------------------------------------------------------ the service scheduler

    def _stop_unhealthy_tasks(self, svc: _Service) -> bool:
        """ECS stops a task whose target is `unhealthy` once the grace period has passed (scenarios.md)."""
        changed = False
        for task in svc.tasks:
            target = task.target
            if not (task.alive and task.status == RUNNING and target is not None):
                continue
            if target.health(self._now) != RESPONSE_CODE_MISMATCH:
                continue
            assert task.started_at is not None
            if self._now < task.started_at + svc.spec.grace_period_seconds:
                continue
            self._event(
                svc,
                f"(task {task.short_id}) (port {target.port}) is unhealthy in (target-group "
                f"{target.target_group_arn}) due to (reason {RESPONSE_CODE_MISMATCH[2]}).",
            )
            self._request_stop(
                svc, task, reason=f"Task failed ELB health checks in (target-group {target.target_group_arn})"
            )
            # Stage 2 of the circuit breaker counts ELB health-check failures (aws-facts.md).
            self._count_failure(svc, task)
            self._task_lost(svc, task)
            changed = True
        return changed

    def _trip_circuit_breaker(self, svc: _Service) -> bool:
        """At the threshold the deployment FAILS; with rollback, the last COMPLETED one comes back.

        aws-facts.md, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
        """
        deployment = svc.primary
        breaker = svc.spec.circuit_breaker
        if not breaker.enable or deployment.rollout_state != IN_PROGRESS:
            return False
        if deployment.failed_tasks < _circuit_breaker_threshold(svc.desired_count):
            return False
        deployment.rollout_state = FAILED
        deployment.rollout_state_reason = CIRCUIT_BREAKER_REASON
        deployment.updated_at = self._now
        self._event(svc, f"deployment {deployment.id} deployment failed: tasks failed to start.")
        target = svc.last_completed
        if breaker.rollback and target is not None and target.task_definition != deployment.task_definition:
            rollback = self._start_deployment(svc, target.task_definition)
            rollback.rollout_state_reason = f"ECS deployment circuit breaker: rolling back to deploymentId {target.id}."
            svc.moto.task_definition = target.task_definition
            svc.last_completed = None
            self._event(svc, f"rolling back to deployment {target.id}.")
        # Otherwise the deployment stalls: FAILED stays PRIMARY and launches nothing more (aws-facts.md).
        return True

    def _tasks_to_launch(self, svc: _Service) -> int:
        deployment = svc.primary
        if deployment.rollout_state == FAILED:
            # "a service deployment will transition to a failed state and stop launching new tasks"
            # (API_DeploymentCircuitBreaker).
            return 0
        alive = sum(1 for task in svc.tasks_of(deployment) if task.alive)
        return svc.desired_count - alive

    def _launch_tasks(self, svc: _Service) -> bool:
        """The PRIMARY deployment runs desiredCount tasks (maximumPercent 200 lets them start beside the
        old ones); a stopped one is replaced after REPLACEMENT_DELAY_SECONDS, so a crashing image
        crashes again and again (scenarios.md)."""
        deployment = svc.primary
        missing = self._tasks_to_launch(svc)
        if missing > 0 and self._now >= deployment.launch_not_before:
            tasks = [self._new_task(svc, deployment) for _ in range(missing)]
            self._event(svc, self._started_message(svc, tasks))
            deployment.updated_at = self._now
            return True
        if missing < 0 and not self._older_tasks(svc):
            surplus = sorted(
                (task for task in svc.tasks_of(deployment) if task.alive),
                key=lambda task: (self._passes(svc, task), -task.created_at),
            )[:-missing]
            for task in surplus:
                self._request_stop(svc, task, reason=f"Scaling activity initiated by (deployment {deployment.id})")
            deployment.updated_at = self._now
            return True
        return False

    def _scale_down_older_deployments(self, svc: _Service) -> bool:
        """Rolling update with minimumHealthyPercent 100: an old task is stopped only when a new task is
        healthy in its place (RUNNING for a service without a load balancer) (scenarios.md)."""
        older = self._older_tasks(svc)
        healthy_new = sum(1 for task in svc.tasks_of(svc.primary) if self._passes(svc, task))
        surplus = healthy_new + len(older) - svc.desired_count
        if surplus <= 0:
            return False
        # Tasks that are not serving go first, then the oldest deployment's.
        order = {deployment.id: age for age, deployment in enumerate(reversed(svc.deployments))}
        victims = sorted(older, key=lambda task: (self._passes(svc, task), order[task.deployment_id], task.created_at))
        for task in victims[:surplus]:
            self._request_stop(svc, task, reason=f"Scaling activity initiated by (deployment {task.deployment_id})")
            deployment = self._deployment(svc, task.deployment_id)
            if deployment is not None:
                deployment.updated_at = self._now
        return True

    def _complete_deployment(self, svc: _Service) -> bool:
        """COMPLETED when the PRIMARY runs desiredCount healthy tasks and no older deployment has a task
        left; the older deployments then leave service.deployments (scenarios.md)."""
        deployment = svc.primary
        if deployment.rollout_state != IN_PROGRESS:
            return False
        alive = [task for task in svc.tasks_of(deployment) if task.alive]
        if len(alive) != svc.desired_count or not all(self._passes(svc, task) for task in alive):
            return False
        leftovers = [task for task in svc.tasks if task.deployment_id != deployment.id and task.status != STOPPED]
        if leftovers:
            return False
        deployment.rollout_state = COMPLETED
        deployment.rollout_state_reason = f"ECS deployment {deployment.id} completed."
        deployment.updated_at = self._now
        svc.deployments = [deployment]
        svc.last_completed = deployment
        self._event(svc, f"deployment {deployment.id} deployment completed.")
        self._event(svc, "has reached a steady state.")
        return True

    def _start_deployment(self, svc: _Service, task_definition: str) -> _Deployment:
        deployment = _Deployment(
            id=f"ecs-svc/{self._rng.randrange(10**18, 10**19)}",
            task_definition=task_definition,
            created_at=self._now,
            updated_at=self._now,
            launch_not_before=self._now,
        )
        svc.deployments.insert(0, deployment)
        return deployment

    def _older_tasks(self, svc: _Service) -> list[_Task]:
        return [task for task in svc.tasks if task.alive and task.deployment_id != svc.primary.id]

    def _deployment(self, svc: _Service, deployment_id: str) -> _Deployment | None:
        return next((d for d in svc.deployments if d.id == deployment_id), None)

    def _service_settled(self, svc: _Service) -> bool:
        if any(deployment.rollout_state == IN_PROGRESS for deployment in svc.deployments):
            return False
        if self._tasks_to_launch(svc) > 0:
            return False
        for task in svc.tasks:
            if task.alive and task.status in (PROVISIONING, PENDING):
                return False
            if task.status == DEACTIVATING:
                return False
            target = task.target
            if target is not None and (target.draining or target.health(self._now)[0] == "initial"):
                return False
        return True

    # ------------------------------------------------------------------ writing moto's objects

    def _sync_service(self, svc: _Service) -> None:
        """Write the model's deployments and counts into moto's Service, as DescribeServices shows them."""
        moto_service = svc.moto
        moto_service.deployments = [self._deployment_view(svc, d, i == 0) for i, d in enumerate(svc.deployments)]
        alive = [task for task in svc.tasks if task.alive]
        moto_service.running_count = sum(1 for task in alive if task.status == RUNNING)
        moto_service.pending_count = sum(1 for task in alive if task.status in (PROVISIONING, PENDING))
        moto_service.task_definition = svc.primary.task_definition

    def _deployment_view(self, svc: _Service, deployment: _Deployment, primary: bool) -> dict[str, Any]:
        tasks = [task for task in svc.tasks_of(deployment) if task.alive]
        return {
            "id": deployment.id,
            "status": "PRIMARY" if primary else "ACTIVE",
            "taskDefinition": deployment.task_definition,
            # An older deployment is scaled down as the new one takes over.
            "desiredCount": svc.desired_count if primary else len(tasks),
            "pendingCount": sum(1 for task in tasks if task.status in (PROVISIONING, PENDING)),
            "runningCount": sum(1 for task in tasks if task.status == RUNNING),
            "failedTasks": deployment.failed_tasks,
            "createdAt": self._at(deployment.created_at),
            "updatedAt": self._at(deployment.updated_at),
            "launchType": "FARGATE",
            "platformVersion": FARGATE_PLATFORM_VERSION,
            "platformFamily": "Linux",
            "networkConfiguration": svc.moto.network_configuration or None,
            "rolloutState": deployment.rollout_state,
            "rolloutStateReason": deployment.rollout_state_reason,
        }

    def _prepare_moto_task(self, svc: _Service, task: _Task, task_definition: TaskDefinition) -> None:
        """Fill what moto's Task lacks for a Fargate service task (DescribeTasks reads these attributes)."""
        moto_task = task.moto
        moto_task.launch_type = "FARGATE"
        moto_task.platform_family = "Linux"
        moto_task.cpu = task_definition.cpu
        moto_task.memory = task_definition.memory
        moto_task.availability_zone = self._availability_zone(moto_task)
        moto_task.version = 0
        interfaces = []
        if task.ip:
            interfaces = [{"attachmentId": str(_attachments(moto_task)[0]["id"]), "privateIpv4Address": task.ip}]
        moto_task.model_containers = [
            _ContainerView(
                container_arn=(
                    f"arn:aws:ecs:{self.region}:{self.account_id}:container/{svc.cluster}/{moto_task.id}/"
                    f"{uuid.UUID(int=self._rng.getrandbits(128), version=4)}"
                ),
                task_arn=moto_task.task_arn,
                name=str(definition.get("name")),
                image=str(definition.get("image")),
                cpu=str(definition.get("cpu", 0)),
                memory=_optional_int(definition.get("memory")),
                network_interfaces=interfaces,
            )
            for definition in task_definition.container_definitions
        ]
        moto_task.containers = moto_task.model_containers  # type: ignore[assignment]

    def _write_moto_task(self, task: _Task) -> None:
        moto_task = task.moto
        moto_task.last_status = task.status
        moto_task.desired_status = task.desired_status
        moto_task.created_at = self._at(task.created_at)
        moto_task.pull_started_at = self._at(task.pending_at) if task.status != PROVISIONING else None
        moto_task.pull_stopped_at = self._at(task.started_at) if task.started_at is not None else None
        moto_task.started_at = self._at(task.started_at) if task.started_at is not None else None
        moto_task.connectivity = "CONNECTED" if task.status != PROVISIONING else None
        moto_task.connectivity_at = self._at(task.pending_at) if task.status != PROVISIONING else None
        moto_task.stopping_at = self._at(task.stopping_at) if task.stopping_at is not None else None
        moto_task.stopped_at = self._at(task.stopped_at) if task.stopped_at is not None else None
        moto_task.execution_stopped_at = moto_task.stopped_at
        moto_task.stopped_reason = task.stopped_reason or ""
        moto_task.stop_code = task.stop_code
        moto_task.health_status = "UNKNOWN"
        container_status = {PROVISIONING: PENDING, DEACTIVATING: RUNNING}.get(task.status, task.status)
        for container in moto_task.model_containers:
            container.last_status = container_status
            container.image_digest = _image_digest(container.image) if task.started_at is not None else None
            ours = container.name == task.container
            container.exit_code = task.exit_code if task.status == STOPPED else None
            if task.status == STOPPED and not ours and task.exit_code is not None:
                container.exit_code = 0  # sidecars are stopped with the task
            container.reason = task.container_reason if ours else None
        if task.status == STOPPED:
            for attachment in _attachments(moto_task):
                attachment["status"] = "DELETED"
        if (task.status, task.desired_status) != task.reported:
            # "Every time a task experiences a change that starts a CloudWatch event, the version counter
            # is incremented" (API_Task.html).
            task.reported = (task.status, task.desired_status)
            moto_task.version += 1
            self._outbox.append(self._task_state_change(task))

    def _task_state_change(self, task: _Task) -> dict[str, Any]:
        """The EventBridge event of a task's state change: its detail is the task as DescribeTasks shows it."""
        detail = _as_described(task.moto)
        detail["updatedAt"] = _iso8601(self._at(self._now))
        return {
            "version": "0",
            "id": str(uuid.UUID(int=self._event_ids.getrandbits(128), version=4)),
            "detail-type": TASK_STATE_CHANGE,
            "source": "aws.ecs",
            "account": self.account_id,
            "time": self._at(self._now).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [task.moto.task_arn],
            "detail": detail,
        }

    def _event(self, svc: _Service, text: str) -> None:
        """A service event as ECS writes it, newest first, at most MAX_SERVICE_EVENTS kept."""
        event = {
            "id": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            "createdAt": self._at(self._now),
            "message": f"(service {svc.name}) {text}",
        }
        svc.moto.events.insert(0, event)
        del svc.moto.events[MAX_SERVICE_EVENTS:]

    @staticmethod
    def _started_message(svc: _Service, tasks: list[_Task]) -> str:
        ids = " ".join(f"(task {task.short_id})" for task in tasks)
        return f"has started {len(tasks)} tasks: {ids}."

    # ------------------------------------------------------------------ moto lookups

    @property
    def _ecs(self) -> EC2ContainerServiceBackend:
        return ecs_backends[self.account_id][self.region]

    def _moto_service(self, cluster: str, service: str) -> Service:
        moto_service = self._ecs.services.get(f"{cluster.split('/')[-1]}:{service.split('/')[-1]}")
        if moto_service is None:
            raise ValueError(f"no service {service} in cluster {cluster}: create it in moto first")
        return moto_service

    def _elbv2_target_group(self, arn: str) -> FakeTargetGroup:
        return elbv2_backends[self.account_id][self.region].target_groups[arn]

    def _check_network(self, moto_service: Service) -> None:
        """Fail early, with the fix, where moto 5.2.5 would fail at the first task.

        moto's Task creates its ENI and reads `eni.private_dns_name`, which moto only sets when the
        subnet's VPC has enableDnsHostnames (the default VPC has it; CreateVpc's do not).
        """
        subnets = (moto_service.network_configuration or {}).get("awsvpcConfiguration", {}).get("subnets", [])
        ec2 = ec2_backends[self.account_id][self.region]
        for subnet_id in subnets:
            vpc = ec2.get_vpc(ec2.get_subnet(subnet_id).vpc_id)
            if not vpc.enable_dns_hostnames:
                raise ValueError(
                    f"VPC {vpc.id} of service {moto_service.name} needs enableDnsHostnames: moto cannot "
                    "create awsvpc tasks without it (ModifyVpcAttribute EnableDnsHostnames)"
                )

    def _availability_zone(self, moto_task: Task) -> str | None:
        subnets = [d["value"] for a in _attachments(moto_task) for d in a["details"] if d["name"] == "subnetId"]
        if not subnets:
            return None
        return ec2_backends[self.account_id][self.region].get_subnet(subnets[0]).availability_zone

    def _adopted_deployment_id(self, moto_service: Service) -> str:
        # Keep the id moto gave the service at CreateService, in case someone read it already.
        existing = [d.get("id") for d in getattr(moto_service, "deployments", []) if d.get("status") == "PRIMARY"]
        return existing[0] if existing and existing[0] else f"ecs-svc/{self._rng.randrange(10**18, 10**19)}"

    def _container_port(self, moto_service: Service, target_group_arn: str | None) -> int | None:
        for balancer in moto_service.load_balancers:
            if balancer.get("targetGroupArn") == target_group_arn and balancer.get("containerPort"):
                return int(balancer["containerPort"])
        return None

    def _declare_configuration(self, moto_service: Service, spec: ServiceSpec, target_group_arn: str | None) -> None:
        """moto drops deploymentConfiguration and healthCheckGracePeriodSeconds at CreateService; put the
        spec's values back so DescribeServices shows what the model enforces."""
        # Attributes moto's Service does not declare; its serializer reads them when present.
        if not getattr(moto_service, "deployment_configuration", None):
            configuration = {
                "deploymentCircuitBreaker": {
                    "enable": spec.circuit_breaker.enable,
                    "rollback": spec.circuit_breaker.rollback,
                },
                "maximumPercent": 200,
                "minimumHealthyPercent": 100,
            }
            setattr(moto_service, "deployment_configuration", configuration)  # noqa: B010
        if target_group_arn and getattr(moto_service, "health_check_grace_period_seconds", None) is None:
            setattr(moto_service, "health_check_grace_period_seconds", spec.grace_period_seconds)  # noqa: B010

    def _at(self, seconds: float) -> datetime:
        return self.epoch + timedelta(seconds=seconds)


class _EventSerializer(JSONSerializer):
    """moto's JSON serializer with EventBridge's ISO 8601 timestamps instead of the API's epoch seconds."""

    DEFAULT_TIMESTAMP_FORMAT = "iso8601"


@functools.cache
def _describe_tasks() -> OperationModel:
    return get_service_model("ecs").operation_model("DescribeTasks")


def _as_described(moto_task: Task) -> dict[str, Any]:
    """A task as DescribeTasks (without include=TAGS) shows it, written by moto's own serializer."""
    picker = XFormedAttributePicker(response_transformers={"DescribeTasksResponse.tasks.Task.tags": lambda _: None})
    serializer = _EventSerializer(_describe_tasks(), value_picker=picker)
    body = serializer.serialize({"tasks": [moto_task], "failures": []})["body"]
    return cast(dict[str, Any], json.loads(body)["tasks"][0])


def _iso8601(instant: datetime) -> str:
    """As moto's serializer writes a timestamp in ISO 8601 (microseconds only when there are some)."""
    return instant.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if instant.microsecond else "%Y-%m-%dT%H:%M:%SZ")


def _circuit_breaker_threshold(desired_count: int) -> int:
    return min(CIRCUIT_BREAKER_MAX, max(CIRCUIT_BREAKER_MIN, math.ceil(0.5 * desired_count)))


def _essential_container(task_definition: TaskDefinition, container_name: str) -> tuple[str, str]:
    """(name, image) of the service's container, else of the first essential container."""
    definitions = task_definition.container_definitions
    named = [d for d in definitions if d.get("name") == container_name]
    essential = [d for d in definitions if d.get("essential", True)]
    chosen = (named or essential or definitions)[0]
    return str(chosen.get("name", "")), str(chosen.get("image", ""))


def _image_digest(image: str) -> str | None:
    _, at, digest = image.partition("@")
    return digest if at else None


def _normalise_digest(digest: str) -> str:
    return digest if digest.startswith("sha256:") else f"sha256:{digest}"


def _attachments(moto_task: Task) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], moto_task.attachments)


def _private_ip(moto_task: Task) -> str | None:
    for attachment in _attachments(moto_task):
        for detail in attachment["details"]:
            if detail["name"] == "privateIPv4Address":
                return str(detail["value"])
    return None


def _optional_int(value: object) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None
