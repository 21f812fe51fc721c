"""The rules of ECS services on Fargate and their ALB target groups, applied on a virtual clock.

Tasks start, register in their target group, pass or fail its health checks, crash, are replaced and
drain; deployments progress and complete; the circuit breaker counts failures and rolls back. The rules
change the model's state (`state`) and tell a `World` what changed: moto's backends for the local cloud
(`moto_view.MotoView`, the default, imported only then), or a test's in-memory one. Nothing here reads or
writes a moto object.

Sources of the rules are named where they are applied: aws-facts.md (with its AWS URLs), scenarios.md,
or "modelling choice" where AWS publishes no number and the value only has to be plausible.
"""

from __future__ import annotations

import functools
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from pushdeploy_local.ecs import bluegreen
from pushdeploy_local.ecs.bluegreen import HookAnswer, HookRun, ServiceDeployment, Strategy
from pushdeploy_local.ecs.events import Outbox, deployment_state_change, task_state_change
from pushdeploy_local.ecs.facts import (
    ACTIVATING,
    CIRCUIT_BREAKER_HEALTHY_AFTER_SECONDS,
    CIRCUIT_BREAKER_MAX,
    CIRCUIT_BREAKER_MIN,
    CIRCUIT_BREAKER_REASON,
    COMPLETED,
    CONTAINER_HEALTH_CHECK_STOP,
    CONTAINER_HEALTHY,
    CONTAINER_UNHEALTHY,
    DEACTIVATING,
    DEFAULT_EPOCH,
    DEPLOYMENT_EVENT_NAMES,
    DEPROVISIONING,
    ESSENTIAL_CONTAINER_EXITED,
    FAILED,
    HEALTHY,
    IN_PROGRESS,
    PENDING,
    PROVISIONING,
    REGISTRATION_SECONDS,
    RESPONSE_CODE_MISMATCH,
    RUNNING,
    SERVICE_SCHEDULER_INITIATED,
    STOPPED,
    STOPPED_TASK_RETENTION_SECONDS,
    STOPPING,
    TASK_FAILED_TO_START,
    THROTTLE_AFTER_FAILED_LAUNCHES,
    THROTTLE_MAX_DELAY_SECONDS,
    THROTTLED_MESSAGE,
    TargetHealth,
)
from pushdeploy_local.ecs.state import (
    AdoptedService,
    Deployment,
    Ids,
    LaunchedTask,
    LogLine,
    Service,
    ServiceState,
    Target,
    Task,
    image_digest,
    instant,
    normalise_digest,
)
from pushdeploy_local.ecs.timing import Timing, TimingMode
from pushdeploy_local.scenario import (
    Behavior,
    CircuitBreakerThreshold,
    Crash,
    EventDelivery,
    Healthy,
    LateCrash,
    PullError,
    ServiceSpec,
    Unhealthy,
)

if TYPE_CHECKING:
    from pushdeploy_local.ecs.moto_view import MotoView


class World(Protocol):
    """Where the model's services live and are observed (moto for the local cloud: `moto_view.MotoView`)."""

    def adopt_service(
        self, cluster: str, service: str, spec: ServiceSpec, target_group_arn: str | None
    ) -> AdoptedService: ...
    def task_definition(self, svc: Service) -> str: ...
    def desired_count(self, svc: Service) -> int: ...
    def write_service(self, svc: Service) -> None: ...
    def service_event(self, svc: Service, *, event_id: str, at: float, message: str) -> None: ...
    def launch_task(self, svc: Service, deployment: Deployment, ids: Ids) -> LaunchedTask: ...
    def write_task(self, task: Task) -> None: ...
    def forget_task(self, task: Task) -> None: ...
    def describe_task(self, task: Task) -> dict[str, Any]: ...
    def target_group_port(self, target_group_arn: str) -> int: ...
    def register_target(self, target: Target) -> None: ...
    def deregister_target(self, target: Target) -> None: ...
    def deployment_strategy(self, svc: Service) -> Strategy | None: ...
    def set_forward_weights(self, rule_arn: str, weights: dict[str, float]) -> None: ...
    def invoke_hook(self, function_arn: str, payload: dict[str, Any]) -> HookAnswer: ...


class EcsModel:
    """The ECS/ALB behaviour model of one account and region. Thread-safe (one RLock).

    Time is virtual: seconds (float) since the scenario started. The model never reads the wall clock;
    it moves only when `advance_to` is called, and `next_change_at` says when something will next happen
    on its own, so a discrete-event clock can jump straight there.
    """

    def __init__(
        self,
        account_id: str,
        region: str,
        *,
        epoch: datetime = DEFAULT_EPOCH,
        seed: int = 0,
        events: EventDelivery | None = None,
        timing: TimingMode = "fast",
        world: World | None = None,
    ) -> None:
        self.account_id = account_id
        self.region = region
        self.epoch = epoch
        self._world = world if world is not None else _moto_view(account_id, region, epoch)
        self._now = 0.0
        self._lock = threading.RLock()
        # Deployment and event ids come from seeded generators so that a scenario replays identically.
        self._ids = Ids(seed)
        self._services: dict[tuple[str, str], Service] = {}
        self._behaviors: dict[tuple[str, str | None], Behavior] = {}  # (digest, service or None for all)
        self._targets: dict[tuple[str, str], Target] = {}
        self._outbox = Outbox(events, seed=seed)
        self._timing = Timing(timing, seed=seed)
        self._stopped: list[Task] = []  # stopped tasks ECS still describes, oldest first
        self._printed: list[LogLine] = []  # what containers printed since the last drain_logs

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
        """Adopt a service already created in the API: its tasks are RUNNING and healthy now (steady state).

        Call `set_behavior` for the initial image first: the adopted tasks take their behaviour now.
        """
        with self._lock:
            adopted = self._world.adopt_service(cluster, service, spec, target_group_arn)
            deployment = Deployment(
                id=adopted.deployment_id or self._ids.deployment_id(),
                task_definition=adopted.task_definition,
                created_at=self._now,
                updated_at=self._now,
                rollout_state=COMPLETED,
            )
            deployment.rollout_state_reason = f"ECS deployment {deployment.id} completed."
            svc = Service(
                cluster=adopted.cluster,
                name=adopted.name,
                container=container,
                spec=spec,
                target_group_arn=target_group_arn,
                container_port=adopted.container_port,
                desired_count=adopted.desired_count,
                deployments=[deployment],
                last_completed=deployment,
            )
            self._services[(svc.cluster, svc.name)] = svc
            emitted = self._outbox.mark()
            tasks = [self._new_task(svc, deployment) for _ in range(svc.desired_count)]
            for task in tasks:
                self._adopt_running(svc, task)
            # The adopted tasks were running before the scenario began: their events are long gone.
            self._outbox.discard_since(emitted)
            if tasks:
                self._event(svc, self._started_message(tasks))
                if svc.target_group_arn:
                    self._event(svc, f"registered {len(tasks)} targets in (target-group {svc.target_group_arn})")
            self._event(svc, "has reached a steady state.")
            self._world.write_service(svc)

    def set_behavior(self, digest: str, behavior: Behavior, *, service: str | None = None) -> None:
        """How tasks whose essential container image is `...@<digest>` behave (unknown digests: healthy);
        with `service`, that service's tasks only (the others keep the image's behaviour)."""
        with self._lock:
            self._behaviors[(normalise_digest(digest), service)] = behavior

    def on_update_service(self, cluster: str, service: str, *, force_new_deployment: bool = False) -> None:
        """React to UpdateService: a new task definition (or a forced deployment) makes a new PRIMARY.

        An UpdateService that does not change the task definition creates nothing, as on ECS.
        """
        with self._lock:
            svc = self._services.get((cluster.split("/")[-1], service.split("/")[-1]))
            if svc is None:
                return
            svc.desired_count = self._world.desired_count(svc)
            task_definition = self._world.task_definition(svc)
            if task_definition != svc.primary.task_definition or force_new_deployment:
                strategy = self._world.deployment_strategy(svc) if svc.target_group_arn else None
                if strategy is not None:
                    self._start_service_deployment(svc, task_definition, strategy)
                else:
                    if svc.lifecycle is not None:
                        self._supersede(svc, svc.lifecycle)
                    self._start_deployment(svc, task_definition)
            self._world.write_service(svc)  # undoes moto's runningCount = desiredCount shortcut
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

    def post_event(self, event: dict[str, Any]) -> None:
        """Another service's event (CloudWatch's alarm state changes), for EventBridge to deliver as it
        delivers ECS's: best effort, as the scenario's `world.events` says."""
        with self._lock:
            self._outbox.post(event, now=self._now)

    def drain_events(self) -> list[dict[str, Any]]:
        """The events (ECS Task State Change, and those of `post_event`) due for delivery by now and not yet
        drained, in order of delivery (with the default delivery: every event emitted since the last drain,
        oldest first)."""
        with self._lock:
            return self._outbox.drain(now=self._now)

    def drain_logs(self) -> list[LogLine]:
        """The lines the tasks' containers printed since the last drain, oldest first."""
        with self._lock:
            printed, self._printed = self._printed, []
            return printed

    def next_change_at(self) -> float | None:
        """The earliest instant after now when the state will change on its own (None: never)."""
        with self._lock:
            return self._next_timer_after(self._now)

    def target_health(self, target_group_arn: str, target_id: str) -> TargetHealth | None:
        """(State, Reason, Description) of a target the model knows, else None."""
        with self._lock:
            target = self._targets.get((target_group_arn, target_id))
            return None if target is None else target.health(self._now)

    def targets_in(self, target_group_arn: str) -> list[tuple[str, Behavior, str]]:
        """Each target of the group the model registered, as (health state, its task's behaviour, its task's
        image) now: what a load balancer routing requests to the group needs (pushdeploy_local.traffic)."""
        with self._lock:
            return [
                (task.target.health(self._now)[0], task.behavior, task.image)
                for svc in self._services.values()
                for task in svc.tasks
                if task.target is not None and task.target.target_group_arn == target_group_arn
            ]

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
        """No deployment IN_PROGRESS, no task starting or draining, no target checking or draining (events
        on their way to EventBridge's targets are timers of `next_change_at`, not unsettled state)."""
        with self._lock:
            return all(self._service_settled(svc) for svc in self._services.values())

    # ------------------------------------------------------------------ the clock

    def _next_timer_after(self, now: float) -> float | None:
        timers = [instant for svc in self._services.values() for instant in self._service_timers(svc)]
        later = [instant for instant in timers if instant > now]
        delivery = self._outbox.next_delivery_after(now)
        if delivery is not None:
            later.append(delivery)
        if self._stopped:
            later.append(self._forgotten_at(self._stopped[0]))
        return min(later) if later else None

    def _service_timers(self, svc: Service) -> list[float]:
        timers: list[float] = []
        for task in svc.tasks:
            timers += task.timers()
            if task.target is not None:
                timers += task.target.timers()
            if self._failing_health_checks(task):
                assert task.started_at is not None
                timers.append(task.started_at + svc.spec.grace_period_seconds)
            if self._resets_failures_when_healthy(svc, task) and task.started_at is not None:
                timers.append(task.started_at + CIRCUIT_BREAKER_HEALTHY_AFTER_SECONDS)
        if self._tasks_to_launch(svc) > 0:
            timers.append(svc.primary.launch_not_before)
        if svc.lifecycle is not None:
            timers += self._lifecycle_timers(svc.lifecycle)
        return timers

    def _resets_failures_when_healthy(self, svc: Service, task: Task) -> bool:
        """A task without a load balancer that will reset its deployment's failures once it has run long
        enough (with a load balancer, its target's verdict is already a timer)."""
        if (
            svc.target_group_arn is not None
            or task.checked  # its container health checks' instants are its own timers
            or task.reached_healthy
            or not svc.spec.circuit_breaker.reset_on_healthy_task
        ):
            return False
        deployment = self._deployment(svc, task.deployment_id)
        return task.alive and task.status == RUNNING and deployment is not None and deployment.failed_tasks > 0

    def _settle_instant(self) -> None:
        """Apply everything due at `now`, repeatedly, until one pass changes nothing."""
        self._forget_stopped_tasks()
        for _ in range(10_000):
            changed = False
            for svc in self._services.values():
                changed |= self._step_service(svc)
            if not changed:
                return
        raise RuntimeError(f"the ECS model does not settle at t={self._now}")

    def _forget_stopped_tasks(self) -> None:
        """A task stopped STOPPED_TASK_RETENTION_SECONDS ago is gone from the API (DescribeTasks: MISSING)."""
        while self._stopped and self._now >= self._forgotten_at(self._stopped[0]):
            self._world.forget_task(self._stopped.pop(0))

    @staticmethod
    def _forgotten_at(task: Task) -> float:
        assert task.stopped_at is not None
        return task.stopped_at + STOPPED_TASK_RETENTION_SECONDS

    def _step_service(self, svc: Service) -> bool:
        changed = False
        for task in list(svc.tasks):
            changed |= self._step_task(svc, task)
        changed |= self._stop_unhealthy_tasks(svc)
        changed |= self._reset_failures_on_healthy_tasks(svc)
        if svc.lifecycle is not None:
            # Blue/green, linear, canary: the lifecycle decides when green starts, blue stops and it completes.
            changed |= self._launch_tasks(svc)
            changed |= self._step_lifecycle(svc, svc.lifecycle)
        else:
            changed |= self._trip_circuit_breaker(svc)
            changed |= self._launch_tasks(svc)
            changed |= self._scale_down_older_deployments(svc)
            changed |= self._complete_deployment(svc)
        if changed:
            svc.tasks = [task for task in svc.tasks if not task.finished]
            self._world.write_service(svc)
        return changed

    # ------------------------------------------------------------------ tasks

    def _step_task(self, svc: Service, task: Task) -> bool:
        """Walk the task through the lifecycle states due by now; each new state is written (and emits its
        event) as it is reached, even when several fall on one instant."""
        now = self._now
        changed = self._advance_stop(task)
        if task.alive and task.status == PROVISIONING and now >= task.pending_at:
            task.status = PENDING
            self._write_task(task)
            changed = True
        pull_error = isinstance(task.behavior, PullError)
        if task.alive and task.status == PENDING and pull_error and now >= task.ready_at:
            self._fail_to_start(svc, task)
            changed = True
        if task.alive and task.status == PENDING and not pull_error and now >= task.activating_at:
            self._activate(svc, task)
            changed = True
        if task.alive and task.status == ACTIVATING and now >= task.ready_at:
            self._start_running(svc, task)
            self._write_task(task)
            changed = True
        if task.alive and task.status == RUNNING and task.crash_at is not None and now >= task.crash_at:
            self._container_exited(svc, task)
            changed = True
        target = task.target
        if target is not None and target.draining and now >= (target.drain_ends_at or 0.0):
            self._finish_draining(task, target)
            changed = True
        if task.observe_health(now):  # a container health check decided: DescribeTasks shows it
            self._world.write_task(task)
            changed = True
        return changed

    def _new_task(self, svc: Service, deployment: Deployment) -> Task:
        launched = self._world.launch_task(svc, deployment, self._ids)
        digest = image_digest(launched.image) or ""
        behavior = self._behaviors.get((digest, svc.name)) or self._behaviors.get((digest, None), Healthy())
        start = self._timing.start(behavior)
        task = Task(
            arn=launched.arn,
            short_id=launched.short_id,
            deployment_id=deployment.id,
            task_definition=deployment.task_definition,
            behavior=behavior,
            container=launched.container,
            image=launched.image,
            ip=launched.ip,
            created_at=self._now,
            pending_at=self._now + start.pending,
            activating_at=self._now + start.activating,
            ready_at=self._now + start.ready,
            containers=launched.containers,
            stop_timeout=launched.stop_timeout,
        )
        svc.tasks.append(task)
        self._write_task(task)
        return task

    def _adopt_running(self, svc: Service, task: Task) -> None:
        """A task of the service as it was before the scenario: RUNNING and, with a load balancer, healthy."""
        task.pending_at = task.activating_at = task.ready_at = self._now
        task.status = RUNNING
        task.started_at = self._now
        task.checks_since = float("-inf")  # its containers' checks settled long before
        task.crash_at = self._crash_instant(task)
        if svc.target_group_arn and task.ip:
            self._register_target(svc, task, first_check_at=self._now, verdict_at=self._now)
        self._write_task(task)

    def _activate(self, svc: Service, task: Task) -> None:
        """ACTIVATING: ECS registers the task's IP in the target group before the task is RUNNING (task
        lifecycle docs, aws-facts.md). The first check follows the registration once the task runs,
        healthy/unhealthy after `threshold` consecutive results, one check every interval (aws-facts.md:
        the Phase 4 guide's 30 s / 2 / 3)."""
        task.status = ACTIVATING
        target_group = self._target_group_of(svc, task)
        if target_group and task.ip:
            check = svc.spec.health_check
            passes = not isinstance(task.behavior, Unhealthy)
            threshold = check.healthy_threshold if passes else check.unhealthy_threshold
            first_check_at = task.ready_at + REGISTRATION_SECONDS
            self._register_target(
                svc,
                task,
                first_check_at=first_check_at,
                verdict_at=first_check_at + (threshold - 1) * check.interval_seconds,
            )
            self._event(svc, f"registered 1 targets in (target-group {target_group})")
        self._write_task(task)

    def _start_running(self, svc: Service, task: Task) -> None:
        task.status = RUNNING
        task.started_at = task.checks_since = self._now
        task.crash_at = self._crash_instant(task)
        # A task that reaches RUNNING ends the service's run of launches that failed to start (throttle).
        svc.failed_launches, svc.last_failed_launch = 0, None
        self._print(task, f"{task.container} started from {task.image}")
        if isinstance(task.behavior, Unhealthy):
            self._print(task, "GET /api/health 500: the service is not ready")

    def _print(self, task: Task, text: str) -> None:
        self._printed.append(LogLine(task.short_id, task.task_definition, task.container, self._now, text))

    def _crash_instant(self, task: Task) -> float | None:
        if isinstance(task.behavior, Crash | LateCrash):
            return self._now + task.behavior.crash_after_seconds
        return None

    def _fail_to_start(self, svc: Service, task: Task) -> None:
        """pull_error: the image cannot be pulled; the task never reaches RUNNING (scenarios.md)."""
        reason = (
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
            f"failed to resolve ref {task.image}: not found"
        )
        task.container_reason = reason
        self._stop_now(task, reason=reason, stop_code=TASK_FAILED_TO_START, exit_code=None)
        # Stage 1 of the circuit breaker counts tasks that never reach RUNNING (aws-facts.md).
        self._count_failure(svc, task)
        if svc.last_failed_launch != task.created_at:  # the tasks of one launch count once
            svc.failed_launches += 1
            svc.last_failed_launch = task.created_at
            if svc.failed_launches == THROTTLE_AFTER_FAILED_LAUNCHES:
                self._event(svc, THROTTLED_MESSAGE)
        self._task_lost(svc, task)

    def _container_exited(self, svc: Service, task: Task) -> None:
        """crash / late_crash: the essential container exits; the task stops at once, its target drains."""
        assert isinstance(task.behavior, Crash | LateCrash)
        self._print(task, f"fatal: unhandled error; {task.container} exits with code {task.behavior.exit_code}")
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

    def _request_stop(self, svc: Service, task: Task, *, reason: str) -> None:
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
            self._write_task(task)  # desiredStatus turns STOPPED before lastStatus (task lifecycle docs)
            task.status = DEACTIVATING
            if not target.draining:
                self._deregister(svc, target)
                self._event(svc, "has begun draining connections on 1 tasks.")
        else:
            self._stop_now(task, reason=reason, stop_code=SERVICE_SCHEDULER_INITIATED, exit_code=0)
        self._event(svc, f"has stopped 1 running tasks: (task {task.short_id}).")
        self._write_task(task)

    def _finish_draining(self, task: Task, target: Target) -> None:
        self._world.deregister_target(target)
        target.deregistered = True
        if task.status == DEACTIVATING:
            assert task.stopped_reason is not None and task.stop_code is not None
            # The container got SIGTERM and exited cleanly (modelling choice: exit code 0).
            self._stop_now(task, reason=task.stopped_reason, stop_code=task.stop_code, exit_code=0)

    def _stop_now(self, task: Task, *, reason: str, stop_code: str, exit_code: int | None) -> None:
        """desiredStatus turns STOPPED first, then lastStatus walks STOPPING, DEPROVISIONING and STOPPED
        (task lifecycle docs, aws-facts.md), each with its event; in the `fast` world all at this instant,
        in the `realistic` one each after its drawn duration (timing.Timing)."""
        was_running = task.status in (RUNNING, DEACTIVATING)
        if was_running and stop_code == SERVICE_SCHEDULER_INITIATED:
            self._print(task, "SIGTERM received: shutting down")  # ECS stops a container with SIGTERM
        task.desired_status = STOPPED
        task.stopping_at = task.stopping_at if task.stopping_at is not None else self._now
        task.stopped_reason = reason
        task.stop_code = stop_code
        # A container that never ran has no exit code.
        task.exit_code = exit_code if was_running else None
        self._write_task(task)
        sigterm = was_running and stop_code == SERVICE_SCHEDULER_INITIATED
        task.status = STOPPING
        task.deprovisioning_at = self._now + self._timing.stopping(sigterm=sigterm, stop_timeout=task.stop_timeout)
        task.stopped_due = task.deprovisioning_at + self._timing.deprovisioning()
        self._write_task(task)
        self._advance_stop(task)

    def _advance_stop(self, task: Task) -> bool:
        """A stopping task's STOPPING and DEPROVISIONING states that have ended by now."""
        changed = False
        if task.status == STOPPING and task.deprovisioning_at is not None and self._now >= task.deprovisioning_at:
            task.status = DEPROVISIONING
            self._write_task(task)
            changed = True
        if task.status == DEPROVISIONING and task.stopped_due is not None and self._now >= task.stopped_due:
            task.status = STOPPED
            task.stopped_at = self._now
            self._write_task(task)
            self._stopped.append(task)
            changed = True
        return changed

    def _task_lost(self, svc: Service, task: Task) -> None:
        """A task stopped on its own: the scheduler replaces it on its next pass, later and later while the
        service's launches keep failing to start (the service throttle logic, facts THROTTLE_*)."""
        deployment = self._deployment(svc, task.deployment_id)
        if deployment is not None:
            deployment.launch_not_before = self._now + self._replacement_delay(svc, task)
            deployment.updated_at = self._now

    def _replacement_delay(self, svc: Service, task: Task) -> float:
        delay = self._timing.replacement_delay()
        if task.started_at is not None:  # it reached RUNNING: never throttled
            return delay
        doublings = max(0, svc.failed_launches - THROTTLE_AFTER_FAILED_LAUNCHES + 1)
        # min() first: 2 ** doublings grows without bound while a service keeps failing for days
        return min(THROTTLE_MAX_DELAY_SECONDS, delay * 2 ** min(doublings, 16))

    def _count_failure(self, svc: Service, task: Task) -> None:
        deployment = self._deployment(svc, task.deployment_id)
        if deployment is not None:
            deployment.failed_tasks += 1

    def _write_task(self, task: Task) -> None:
        """Show the task's state; a new (lastStatus, desiredStatus) also emits its state-change event."""
        task.observe_health(self._now)
        changed = (task.status, task.desired_status) != task.reported
        if changed:
            task.reported = (task.status, task.desired_status)
            task.version += 1
        self._world.write_task(task)
        if changed:
            at = instant(self.epoch, self._now)
            detail = self._world.describe_task(task)
            self._outbox.post(
                task_state_change(
                    detail=detail,
                    task_arn=task.arn,
                    account_id=self.account_id,
                    region=self.region,
                    at=at,
                    event_id=self._ids.event_id(),
                ),
                now=self._now,
            )

    # ------------------------------------------------------------------ targets

    def _register_target(self, svc: Service, task: Task, *, first_check_at: float, verdict_at: float) -> None:
        target_group = self._target_group_of(svc, task)
        assert target_group is not None and task.ip is not None
        port = svc.container_port or self._world.target_group_port(target_group)
        target = Target(
            target_group_arn=target_group,
            ip=task.ip,
            port=port,
            first_check_at=first_check_at,
            verdict_at=verdict_at,
            passes=not isinstance(task.behavior, Unhealthy),
        )
        task.target = target
        self._targets[(target.target_group_arn, target.ip)] = target
        self._world.register_target(target)

    def _target_group_of(self, svc: Service, task: Task) -> str | None:
        """Where a task registers: its deployment's own target group (blue/green), else the service's."""
        deployment = self._deployment(svc, task.deployment_id)
        own = deployment.target_group_arn if deployment is not None else None
        return own or svc.target_group_arn

    def _deregister(self, svc: Service, target: Target) -> None:
        # A deregistered target drains for the deregistration delay, then is gone (aws-facts.md; our
        # template sets 30 s). It stays in the target group while draining, as on the ALB.
        target.drain_ends_at = self._now + svc.spec.deregistration_delay_seconds
        self._event(svc, f"deregistered 1 targets in (target-group {target.target_group_arn})")

    @staticmethod
    def _failing_health_checks(task: Task) -> bool:
        """A running task whose target or a container health check fails: ECS will stop it once the grace
        period is over."""
        if not (task.alive and task.status == RUNNING):
            return False
        target = task.target
        if target is not None and not target.passes and target.drain_ends_at is None:
            return True
        return any(c.health_check is not None and not task.container_check_passes(c) for c in task.containers)

    def _passes(self, svc: Service, task: Task) -> bool:
        """Healthy: RUNNING, HEALTHY when an essential container has a health check, and its target `healthy`
        when the service has a load balancer.

        Modelling choice where AWS is not explicit: the scheduler takes a task with container health checks
        as healthy only once its healthStatus is HEALTHY (an essential container without a check keeps it
        UNKNOWN, so such a task is never healthy here).
        """
        if not task.alive or task.status != RUNNING:
            return False
        if task.checked and task.health_status(self._now) != CONTAINER_HEALTHY:
            return False
        if svc.target_group_arn is None:
            return True
        return task.target is not None and task.target.health(self._now) == HEALTHY

    # ------------------------------------------------------------------ the service scheduler

    def _stop_unhealthy_tasks(self, svc: Service) -> bool:
        """ECS stops a task whose target is `unhealthy` (scenarios.md) or whose healthStatus is UNHEALTHY
        (API_HealthCheck.html) once the grace period has passed; the ELB's verdict is named first."""
        changed = False
        for task in svc.tasks:
            if not (task.alive and task.status == RUNNING):
                continue
            assert task.started_at is not None
            if self._now < task.started_at + svc.spec.grace_period_seconds:
                continue
            target = task.target
            if target is not None and target.health(self._now) == RESPONSE_CODE_MISMATCH:
                self._event(
                    svc,
                    f"(task {task.short_id}) (port {target.port}) is unhealthy in (target-group "
                    f"{target.target_group_arn}) due to (reason {RESPONSE_CODE_MISMATCH[2]}).",
                )
                reason = f"Task failed ELB health checks in (target-group {target.target_group_arn})"
            elif task.health_status(self._now) == CONTAINER_UNHEALTHY:
                self._event(svc, f"(task {task.short_id}) failed container health checks.")
                reason = CONTAINER_HEALTH_CHECK_STOP
            else:
                continue
            self._request_stop(svc, task, reason=reason)
            # Stage 2 of the circuit breaker counts ELB and container health-check failures (aws-facts.md).
            self._count_failure(svc, task)
            self._task_lost(svc, task)
            changed = True
        return changed

    def _reset_failures_on_healthy_tasks(self, svc: Service) -> bool:
        """resetOnHealthyTask (default true): a task that reaches a healthy state resets its deployment's
        failed-task count to 0, so only consecutive failures trip the breaker (aws-facts.md,
        https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentCircuitBreaker.html)."""
        changed = False
        for task in svc.tasks:
            if task.reached_healthy or not self._healthy_for_circuit_breaker(svc, task):
                continue
            task.reached_healthy = True  # once: the count resets when a task turns healthy
            deployment = self._deployment(svc, task.deployment_id)
            if svc.spec.circuit_breaker.reset_on_healthy_task and deployment is not None and deployment.failed_tasks:
                deployment.failed_tasks = 0
                changed = True
        return changed

    def _healthy_for_circuit_breaker(self, svc: Service, task: Task) -> bool:
        """Healthy as the circuit breaker sees it: its health checks passed (target `healthy`, healthStatus
        HEALTHY), or, with neither a load balancer nor a container health check, RUNNING for
        CIRCUIT_BREAKER_HEALTHY_AFTER_SECONDS (aws-facts.md)."""
        if svc.target_group_arn is not None or task.checked:
            return self._passes(svc, task)
        return (
            task.alive
            and task.status == RUNNING
            and task.started_at is not None
            and self._now >= task.started_at + CIRCUIT_BREAKER_HEALTHY_AFTER_SECONDS
        )

    def _trip_circuit_breaker(self, svc: Service) -> bool:
        """At the threshold the deployment FAILS; with rollback, the last COMPLETED one comes back.

        aws-facts.md, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
        """
        deployment = svc.primary
        breaker = svc.spec.circuit_breaker
        if not breaker.enable or deployment.rollout_state != IN_PROGRESS:
            return False
        if deployment.failed_tasks < circuit_breaker_threshold(svc.desired_count, breaker.threshold):
            return False
        deployment.rollout_state = FAILED
        deployment.rollout_state_reason = CIRCUIT_BREAKER_REASON
        deployment.updated_at = self._now
        self._event(svc, f"deployment {deployment.id} deployment failed: tasks failed to start.")
        self._deployment_state_changed(svc, deployment)
        target = svc.last_completed
        if breaker.rollback and target is not None and target.task_definition != deployment.task_definition:
            self._start_deployment(
                svc,
                target.task_definition,
                reason=f"ECS deployment circuit breaker: rolling back to deploymentId {target.id}.",
            )
            svc.last_completed = None
            self._event(svc, f"rolling back to deployment {target.id}.")
        # Otherwise the deployment stalls: FAILED stays PRIMARY and launches nothing more (aws-facts.md).
        return True

    def _tasks_to_launch(self, svc: Service) -> int:
        deployment = svc.primary
        if deployment.rollout_state == FAILED or deployment.launch_held:
            # "a service deployment will transition to a failed state and stop launching new tasks"
            # (APIDeploymentCircuitBreaker); a green revision starts at SCALE_UP.
            return 0
        alive = sum(1 for task in svc.tasks_of(deployment) if task.alive)
        return svc.desired_count - alive

    def _launch_tasks(self, svc: Service) -> bool:
        """The PRIMARY deployment runs desiredCount tasks (maximumPercent 200 lets them start beside the
        old ones); a stopped one is replaced on the scheduler's next pass (`_task_lost`), so a crashing image
        crashes again and again (scenarios.md)."""
        deployment = svc.primary
        missing = self._tasks_to_launch(svc)
        if missing > 0 and self._now >= deployment.launch_not_before:
            tasks = [self._new_task(svc, deployment) for _ in range(missing)]
            self._event(svc, self._started_message(tasks))
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

    def _scale_down_older_deployments(self, svc: Service) -> bool:
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

    def _complete_deployment(self, svc: Service) -> bool:
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
        self._deployment_state_changed(svc, deployment)
        return True

    def _deployment_state_changed(self, svc: Service, deployment: Deployment) -> None:
        """ECS's "ECS Deployment State Change" event for `deployment`'s rollout state now (IN_PROGRESS, COMPLETED or
        FAILED) (ecs_service_deployment_events.html)."""
        name = DEPLOYMENT_EVENT_NAMES[deployment.rollout_state]
        self._deployment_event(svc, deployment, name, deployment.rollout_state_reason)

    def _start_deployment(self, svc: Service, task_definition: str, *, reason: str | None = None) -> Deployment:
        if task_definition != svc.primary.task_definition:
            # "If you update your service to use a new task definition, your service returns to a normal,
            # non-throttled state immediately" (service-throttle-logic.html).
            svc.failed_launches, svc.last_failed_launch = 0, None
        deployment = Deployment(
            id=self._ids.deployment_id(),
            task_definition=task_definition,
            created_at=self._now,
            updated_at=self._now,
            launch_not_before=self._now,
        )
        if reason is not None:
            deployment.rollout_state_reason = reason
        svc.deployments.insert(0, deployment)
        self._deployment_state_changed(svc, deployment)
        return deployment

    def _older_tasks(self, svc: Service) -> list[Task]:
        return [task for task in svc.tasks if task.alive and task.deployment_id != svc.primary.id]

    def _deployment(self, svc: Service, deployment_id: str) -> Deployment | None:
        return next((d for d in svc.deployments if d.id == deployment_id), None)

    def _service_settled(self, svc: Service) -> bool:
        if any(deployment.rollout_state == IN_PROGRESS for deployment in svc.deployments):
            return False
        if self._tasks_to_launch(svc) > 0:
            return False
        for task in svc.tasks:
            if task.alive and task.starting:
                return False
            if task.status in (DEACTIVATING, STOPPING, DEPROVISIONING):
                return False
            target = task.target
            if target is not None and (target.draining or target.health(self._now)[0] == "initial"):
                return False
        return True

    # ------------------------------------------------------------------ blue/green, linear and canary

    def _start_service_deployment(self, svc: Service, task_definition: str, strategy: Strategy) -> None:
        """A BLUE_GREEN, LINEAR or CANARY deployment: green (the new revision, in the target group blue does not
        use) waits for SCALE_UP; blue keeps serving until CLEAN_UP (deployment-type-blue-green.html)."""
        blue = svc.last_completed or svc.primary
        previous = svc.lifecycle
        # RECONCILE_SERVICE "only happens when you start a new service deployment with more than 1 service
        # revision in an ACTIVE state" (API_ServiceDeployment.html).
        reconcile = previous is not None or len(svc.deployments) > 1
        if previous is not None:
            blue = self._deployment(svc, previous.blue) or blue
            self._supersede(svc, previous)
        advanced = strategy.advanced
        blue_group = blue.target_group_arn or advanced.target_group_arn
        green_group = (
            advanced.alternate_target_group_arn
            if blue_group == advanced.target_group_arn
            else advanced.target_group_arn
        )
        green = self._start_deployment(svc, task_definition)
        green.target_group_arn, green.launch_held = green_group, True
        deployment = ServiceDeployment(
            arn=self._arn("service-deployment", svc, self._ids.service_deployment_id()),
            service_arn=self._arn("service", svc),
            cluster_arn=f"arn:aws:ecs:{self.region}:{self.account_id}:cluster/{svc.cluster}",
            green=green.id,
            blue=blue.id,
            green_revision=self._revision_arn(svc, green),
            blue_revision=self._revision_arn(svc, blue),
            green_target_group=green_group,
            blue_target_group=blue_group,
            strategy=strategy,
            created_at=self._now,
            steps=bluegreen.plan(strategy, reconcile=reconcile),
            step_started_at=self._now,
            updated_at=self._now,
        )
        svc.service_deployments.insert(0, deployment)

    def _step_lifecycle(self, svc: Service, sd: ServiceDeployment) -> bool:
        """Walk the deployment's steps due by now; several may end at one instant."""
        changed = False
        green = self._deployment(svc, sd.green)
        assert green is not None
        if sd.rollback_requested and not sd.rolling_back:
            self._roll_back(svc, sd, green, "Service deployment rolled back by StopServiceDeployment.")
            changed = True
        breaker = svc.spec.circuit_breaker
        threshold = circuit_breaker_threshold(svc.desired_count, breaker.threshold)
        if breaker.enable and not sd.rolling_back and green.failed_tasks >= threshold:
            # The circuit breaker works with blue/green deployments too (deployment-type-blue-green.html).
            self._roll_back(svc, sd, green, CIRCUIT_BREAKER_REASON)
            changed = True
        while (step := sd.step) is not None:
            if not sd.entered:
                self._enter_step(svc, sd, green, step)
                sd.entered, changed = True, True
            steps = sd.steps
            done = self._step_done(svc, sd, green, step)
            if sd.steps is not steps:  # the step rolled the deployment back: its plan is the rollback's
                changed = True
                continue
            if not done:
                break
            sd.last_stage = step.stage
            sd.steps.pop(0)
            sd.entered, sd.runs, sd.step_started_at, sd.updated_at = False, [], self._now, self._now
            changed = True
        if sd.step is None and sd.active:
            self._finish_lifecycle(svc, sd, green)
            changed = True
        return changed

    def _enter_step(self, svc: Service, sd: ServiceDeployment, green: Deployment, step: bluegreen.Step) -> None:
        advanced = sd.strategy.advanced
        if step.kind == "hooks":
            assert step.hook_stage is not None
            sd.runs = [self._hook_run(hook, step.hook_stage) for hook in sd.strategy.hooks_at(step.hook_stage)]
        elif step.kind == "scale_up":
            green.launch_held, green.launch_not_before = False, self._now
        elif step.kind == "test":
            sd.test_weight = step.weight
            if advanced.test_listener_rule:
                self._shift(advanced.test_listener_rule, sd, step.weight)
        elif step.kind == "production":
            sd.production_weight = step.weight
            self._shift(advanced.production_listener_rule, sd, step.weight)
            self._event(svc, f"deployment {green.id} shifted {step.weight:g}% of production traffic to it.")
        elif step.kind == "clean_up":
            for task in self._older_tasks(svc):
                self._request_stop(svc, task, reason=f"Scaling activity initiated by (deployment {green.id})")
        elif step.kind == "stop_green":
            green.launch_held = True
            for task in svc.tasks_of(green):
                if task.alive:
                    self._request_stop(svc, task, reason=f"Scaling activity initiated by (deployment {sd.blue})")

    def _step_done(self, svc: Service, sd: ServiceDeployment, green: Deployment, step: bluegreen.Step) -> bool:
        if step.kind == "hooks":
            return self._run_hooks(svc, sd, green)
        if step.kind == "scale_up":
            alive = [task for task in svc.tasks_of(green) if task.alive]
            return len(alive) == svc.desired_count and all(self._passes(svc, task) for task in alive)
        if step.kind == "bake":
            return self._now >= sd.step_started_at + step.seconds
        if step.kind == "clean_up":
            return not any(t.status != STOPPED for t in svc.tasks if t.deployment_id != green.id)
        if step.kind == "stop_green":
            return not any(t.status != STOPPED for t in svc.tasks_of(green))
        return True  # a shift of weights is done once made

    def _hook_run(self, hook: bluegreen.Hook, stage: str) -> HookRun:
        pause = hook.target_type == bluegreen.PAUSE
        return HookRun(
            hook_id=self._ids.uuid(),
            hook=hook,
            stage=stage,
            expires_at=self._now + hook.timeout_seconds,
            next_call_at=None if pause else self._now,
            status=bluegreen.HOOK_AWAITING_ACTION if pause else bluegreen.HOOK_IN_PROGRESS,
            details=hook.details,
        )

    def _run_hooks(self, svc: Service, sd: ServiceDeployment, green: Deployment) -> bool:
        """Invoke the step's hooks that are due and act on their answers; True when every one let it go on.

        SUCCEEDED goes on; IN_PROGRESS is invoked again after callBackDelay; FAILED, an invalid answer or a
        function error rolls back (lambda-lifecycle-hooks.html); a hook not done by its timeout takes its
        timeout action (API_DeploymentLifecycleHookTimeoutConfiguration.html). During a rollback nothing is
        left to roll back to: a hook's answer is recorded and the rollback goes on (modelling choice).
        """
        for run in sd.runs:
            if run.status not in (bluegreen.HOOK_IN_PROGRESS, bluegreen.HOOK_AWAITING_ACTION):
                continue
            if run.next_call_at is not None and self._now >= run.next_call_at:
                self._invoke(sd, run)
            if (
                run.status in (bluegreen.HOOK_IN_PROGRESS, bluegreen.HOOK_AWAITING_ACTION)
                and self._now >= run.expires_at
            ):
                run.status, run.next_call_at = bluegreen.HOOK_TIMED_OUT, None
                if run.hook.timeout_action == bluegreen.ROLLBACK and not sd.rolling_back:
                    self._roll_back(svc, sd, green, f"Lifecycle hook at {run.stage} timed out.")
                    return False
            if run.status == bluegreen.HOOK_FAILED and not sd.rolling_back:
                self._roll_back(svc, sd, green, f"Lifecycle hook at {run.stage} failed: {sd.status_reason}")
                return False
        return all(run.status not in (bluegreen.HOOK_IN_PROGRESS, bluegreen.HOOK_AWAITING_ACTION) for run in sd.runs)

    def _invoke(self, sd: ServiceDeployment, run: HookRun) -> None:
        assert run.hook.target_arn is not None
        answer = self._world.invoke_hook(run.hook.target_arn, sd.payload(run, execution_id=run.hook_id))
        status, delay, details, reason = bluegreen.read_answer(answer)
        sd.updated_at = self._now
        if status == bluegreen.HOOK_IN_PROGRESS:
            run.next_call_at = self._now + delay
            if details is not None:
                run.details = details
            return
        run.status, run.next_call_at = status, None
        if reason is not None:
            sd.status_reason = reason

    def _shift(self, rule_arn: str, sd: ServiceDeployment, green_weight: float) -> None:
        """ECS moves traffic by modifying the listener rule's forward action: the two target groups' weights
        (deployment-type-blue-green.html; the infrastructure role of advancedConfiguration may do it)."""
        self._world.set_forward_weights(
            rule_arn, {sd.green_target_group: green_weight, sd.blue_target_group: 100.0 - green_weight}
        )

    def _roll_back(self, svc: Service, sd: ServiceDeployment, green: Deployment, reason: str) -> None:
        """Traffic back to blue, the green tasks stopped: "Amazon ECS rolls back the deployment to the last
        successful service revision" (lambda-lifecycle-hooks.html), ROLLBACK_IN_PROGRESS then
        ROLLBACK_SUCCESSFUL (API_ServiceDeployment.html)."""
        sd.status, sd.status_reason = bluegreen.ROLLBACK_IN_PROGRESS, reason
        sd.rollback_reason, sd.rollback_at, sd.updated_at = reason, self._now, self._now
        sd.steps, sd.entered, sd.runs, sd.step_started_at = bluegreen.rollback_plan(), False, [], self._now
        green.rollout_state, green.rollout_state_reason, green.updated_at = FAILED, reason, self._now
        self._event(svc, f"deployment {green.id} deployment failed: {reason}")
        self._event(svc, f"rolling back to deployment {sd.blue}.")
        self._deployment_event(svc, green, "SERVICE_DEPLOYMENT_FAILED", reason)

    def _supersede(self, svc: Service, sd: ServiceDeployment) -> None:
        """A newer UpdateService replaces a deployment in progress: its traffic goes back to blue and its green
        tasks stop (modelling choice: the newer deployment starts from the last successful revision)."""
        green = self._deployment(svc, sd.green)
        sd.status, sd.status_reason = bluegreen.STOPPED, "Superseded by a newer service deployment."
        sd.finished_at = sd.updated_at = self._now
        for rule in (sd.strategy.advanced.production_listener_rule, sd.strategy.advanced.test_listener_rule):
            if rule and (sd.production_weight or sd.test_weight):
                self._shift(rule, sd, 0.0)
        sd.production_weight = sd.test_weight = 0.0
        if green is not None:
            green.launch_held = True
            for task in svc.tasks_of(green):
                if task.alive:
                    self._request_stop(svc, task, reason=f"Scaling activity initiated by (deployment {green.id})")

    def _finish_lifecycle(self, svc: Service, sd: ServiceDeployment, green: Deployment) -> None:
        sd.finished_at = sd.updated_at = self._now
        if sd.rolling_back:
            blue = self._deployment(svc, sd.blue)
            sd.status = bluegreen.ROLLBACK_SUCCESSFUL
            if blue is not None:
                svc.deployments, svc.last_completed = [blue], blue
            self._event(svc, "has reached a steady state.")
            return
        sd.status, sd.status_reason = bluegreen.SUCCESSFUL, ""
        green.rollout_state = COMPLETED
        green.rollout_state_reason = f"ECS deployment {green.id} completed."
        green.updated_at = self._now
        svc.deployments, svc.last_completed = [green], green
        self._event(svc, f"deployment {green.id} deployment completed.")
        self._event(svc, "has reached a steady state.")
        self._deployment_event(svc, green, "SERVICE_DEPLOYMENT_COMPLETED", green.rollout_state_reason)

    def _lifecycle_timers(self, sd: ServiceDeployment) -> list[float]:
        step = sd.step
        timers = [run.next_call_at for run in sd.runs if run.next_call_at is not None]
        timers += [
            run.expires_at
            for run in sd.runs
            if run.status in (bluegreen.HOOK_IN_PROGRESS, bluegreen.HOOK_AWAITING_ACTION)
        ]
        if step is not None and step.kind == "bake":
            timers.append(sd.step_started_at + step.seconds)
        return timers

    def _deployment_event(self, svc: Service, deployment: Deployment, name: str, reason: str) -> None:
        """An "ECS Deployment State Change" event, on its way to EventBridge like the task events: every kind of
        deployment the model runs reports its state changes through here."""
        self._outbox.post(
            deployment_state_change(
                service_arn=self._arn("service", svc),
                event_name=name,
                deployment_id=deployment.id,
                reason=reason,
                account_id=self.account_id,
                region=self.region,
                at=instant(self.epoch, self._now),
                event_id=self._ids.event_id(),
            ),
            now=self._now,
        )

    def _arn(self, kind: str, svc: Service, *more: str) -> str:
        return "/".join([f"arn:aws:ecs:{self.region}:{self.account_id}:{kind}", svc.cluster, svc.name, *more])

    def _revision_arn(self, svc: Service, deployment: Deployment) -> str:
        """A service revision's ARN; its id is the deployment's number (modelling choice: AWS's look alike)."""
        return self._arn("service-revision", svc, deployment.id.split("/")[-1])

    # ------------------------------------------------------------------ the service deployment API

    def describe_service_deployments(self, arns: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """DescribeServiceDeployments: (serviceDeployments, failures) (API_DescribeServiceDeployments.html)."""
        with self._lock:
            found, failures = [], []
            for arn in arns:
                located = self._service_deployment(arn)
                if located is None:
                    failures.append({"arn": arn, "reason": "MISSING"})
                else:
                    found.append(self._describe(*located))
            return found, failures

    def list_service_deployments(
        self, cluster: str, service: str, statuses: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """ListServiceDeployments' briefs, newest first (API_ListServiceDeployments.html). Modelling choice: a
        rolling deployment has no entry here (the model records blue/green, linear and canary ones)."""
        with self._lock:
            svc = self._services.get((cluster.split("/")[-1], service.split("/")[-1]))
            if svc is None:  # a service the model does not run has had no such deployment
                return []
            briefs = []
            for sd in svc.service_deployments:
                if statuses and sd.status not in statuses:
                    continue
                brief = {
                    key: value
                    for key, value in self._describe(svc, sd).items()
                    if key
                    in (
                        "serviceDeploymentArn",
                        "serviceArn",
                        "clusterArn",
                        "startedAt",
                        "createdAt",
                        "finishedAt",
                        "status",
                        "statusReason",
                    )
                }
                brief["targetServiceRevisionArn"] = sd.green_revision
                briefs.append(brief)
            return briefs

    def stop_service_deployment(self, arn: str, stop_type: str) -> None:
        """StopServiceDeployment with stopType ROLLBACK ("The valid values are ROLLBACK",
        API_StopServiceDeployment.html): the deployment rolls back at once."""
        with self._lock:
            sd = self._in_progress(arn)
            if stop_type != bluegreen.ROLLBACK:
                raise bluegreen.InvalidStrategy(f"stopType {stop_type!r} is not valid; the valid values are ROLLBACK.")
            if sd.stage == bluegreen.CLEAN_UP and not sd.rolling_back:
                # Modelling choice: the blue tasks are already stopping; there is nothing left to roll back to.
                raise bluegreen.DeploymentConflict(
                    f"Service deployment {arn} is in CLEAN_UP: it can no longer roll back."
                )
            sd.rollback_requested = True
            sd.status = bluegreen.ROLLBACK_REQUESTED if not sd.rolling_back else sd.status
            self._settle_instant()

    def continue_service_deployment(self, arn: str, hook_id: str, action: str) -> None:
        """ContinueServiceDeployment: a PAUSE hook awaiting action CONTINUEs or ROLLs BACK
        (API_ContinueServiceDeployment.html)."""
        with self._lock:
            sd = self._in_progress(arn)
            run = next((r for r in sd.runs if r.hook_id == hook_id), None)
            if run is None or run.status != bluegreen.HOOK_AWAITING_ACTION:
                raise bluegreen.InvalidStrategy(f"No lifecycle hook {hook_id} awaits action in {arn}.")
            if action == bluegreen.CONTINUE:
                run.status = bluegreen.HOOK_SUCCEEDED
            elif action == bluegreen.ROLLBACK:
                run.status = bluegreen.HOOK_FAILED
                sd.status_reason = "the deployment was rolled back by ContinueServiceDeployment"
            else:
                raise bluegreen.InvalidStrategy(f"action {action!r} is not one of CONTINUE, ROLLBACK.")
            self._settle_instant()

    def _in_progress(self, arn: str) -> ServiceDeployment:
        located = self._service_deployment(arn)
        if located is None:
            raise LookupError(f"Service deployment {arn} not found.")
        _, sd = located
        if not sd.active:
            raise bluegreen.DeploymentConflict(f"Service deployment {arn} is {sd.status}: it is not in progress.")
        return sd

    def _service_deployment(self, arn: str) -> tuple[Service, ServiceDeployment] | None:
        for svc in self._services.values():
            for sd in svc.service_deployments:
                if sd.arn == arn:
                    return svc, sd
        return None

    def _describe(self, svc: Service, sd: ServiceDeployment) -> dict[str, Any]:
        """A ServiceDeployment as DescribeServiceDeployments shows it (API_ServiceDeployment.html)."""

        def revision(deployment_id: str, arn: str, test: float, production: float) -> dict[str, Any]:
            tasks = [task for task in svc.tasks if task.deployment_id == deployment_id and task.alive]
            deployment = self._deployment(svc, deployment_id)
            held = deployment is None or deployment.launch_held
            return {
                "arn": arn,
                "requestedTaskCount": 0 if held and deployment_id == sd.green else svc.desired_count,
                "runningTaskCount": sum(1 for task in tasks if task.status == RUNNING),
                "pendingTaskCount": sum(1 for task in tasks if task.starting),
                "requestedTestTrafficWeight": test,
                "requestedProductionTrafficWeight": production,
            }

        at = functools.partial(instant, self.epoch)
        green = self._deployment(svc, sd.green)
        breaker = svc.spec.circuit_breaker
        described: dict[str, Any] = {
            "serviceDeploymentArn": sd.arn,
            "serviceArn": sd.service_arn,
            "clusterArn": sd.cluster_arn,
            "createdAt": at(sd.created_at),
            "startedAt": at(sd.created_at),
            "updatedAt": at(sd.updated_at),
            "sourceServiceRevisions": [
                revision(sd.blue, sd.blue_revision, 100.0 - sd.test_weight, 100.0 - sd.production_weight)
            ],
            "targetServiceRevision": revision(sd.green, sd.green_revision, sd.test_weight, sd.production_weight),
            "status": sd.status,
            "lifecycleStage": sd.stage,
            "lifecycleHookDetails": [
                {
                    "hookId": run.hook_id,
                    "targetType": run.hook.target_type,
                    **({"targetArn": run.hook.target_arn} if run.hook.target_arn else {}),
                    "status": run.status,
                    "expiresAt": at(run.expires_at),
                    "timeoutAction": run.hook.timeout_action,
                }
                for run in sd.runs
            ],
            "deploymentConfiguration": sd.strategy.configuration,
            "deploymentCircuitBreaker": {
                "status": "DISABLED"
                if not breaker.enable
                else ("TRIGGERED" if sd.status_reason == CIRCUIT_BREAKER_REASON else "MONITORING"),
                "failureCount": green.failed_tasks if green is not None else 0,
                "threshold": circuit_breaker_threshold(svc.desired_count, breaker.threshold),
            },
        }
        if sd.status_reason:
            described["statusReason"] = sd.status_reason
        if sd.finished_at is not None:
            described["finishedAt"] = at(sd.finished_at)
        if sd.status == bluegreen.STOPPED and sd.finished_at is not None:
            described["stoppedAt"] = at(sd.finished_at)
        if sd.rollback_at is not None:
            described["rollback"] = {
                "reason": sd.rollback_reason,
                "startedAt": at(sd.rollback_at),
                "serviceRevisionArn": sd.blue_revision,
            }
        return described

    def _event(self, svc: Service, text: str) -> None:
        """A service event as ECS writes it (DescribeServices shows the newest first)."""
        self._world.service_event(svc, event_id=self._ids.uuid(), at=self._now, message=f"(service {svc.name}) {text}")

    @staticmethod
    def _started_message(tasks: list[Task]) -> str:
        ids = " ".join(f"(task {task.short_id})" for task in tasks)
        return f"has started {len(tasks)} tasks: {ids}."


def circuit_breaker_threshold(desired_count: int, threshold: CircuitBreakerThreshold | None = None) -> int:
    """Failed tasks that trip the circuit breaker: `threshold`'s value % of the desired count (clamped to
    CIRCUIT_BREAKER_MIN/MAX for BOUNDED_PERCENT, the default at 50 %), or the value itself for COUNT
    (aws-facts.md, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ThresholdConfiguration.html)."""
    threshold = threshold if threshold is not None else CircuitBreakerThreshold()
    if threshold.type == "COUNT":
        return threshold.value
    failures = -(-threshold.value * desired_count // 100)  # rounded up, in integers
    if threshold.type == "BOUNDED_PERCENT":
        return min(CIRCUIT_BREAKER_MAX, max(CIRCUIT_BREAKER_MIN, failures))
    # Modelling choice: at least 1, so that a desired count of 0 does not fail a deployment outright.
    return max(1, failures)


def _moto_view(account_id: str, region: str, epoch: datetime) -> MotoView:
    # Imported here so that this module, and a model on another World, never load moto.
    from pushdeploy_local.ecs.moto_view import MotoView

    return MotoView(account_id, region, epoch)
