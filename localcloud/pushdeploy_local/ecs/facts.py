"""The numbers and names the ECS/ALB model follows, each with its source.

A source is aws-facts.md (with its AWS URLs), scenarios.md, an AWS page named here, or "modelling choice"
where AWS publishes no number and the value only has to be plausible.
"""

from __future__ import annotations

from datetime import UTC, datetime

# Instant 0 when the caller gives no epoch (the local cloud's clock passes its own).
DEFAULT_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

# Modelling choice: Fargate spends a few seconds in PROVISIONING (ENI attach) before PENDING (image pull);
# AWS publishes no number. Capped at half of a behaviour's start_seconds so PENDING always comes first.
PROVISIONING_SECONDS = 5.0
# Modelling choice: ACTIVATING (ECS registers the task's targets, before RUNNING) takes the last 2 s of
# a behaviour's start_seconds (at most half of what follows PROVISIONING), so RUNNING comes when it did.
ACTIVATING_SECONDS = 2.0
# Modelling choice, the `fast` world: the stop states after DEACTIVATING (STOPPING: the containers get
# SIGTERM; DEPROVISIONING: the ENI is detached) take no time; each still emits its state-change event,
# so a task is STOPPED at the instant it was before the full lifecycle was modelled.
# Modelling choice: a new target shows `initial` / Elb.RegistrationInProgress for a while before the
# first health check (then Elb.InitialHealthChecking). Reasons: aws-facts.md,
# https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html
REGISTRATION_SECONDS = 10.0
# Modelling choice: the ECS service scheduler launches a replacement for a stopped task on its next
# pass, observed at roughly 10-20 s; repeated start failures are throttled further by AWS
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-throttle-logic.html), not modelled.
REPLACEMENT_DELAY_SECONDS = 15.0
# A stopped task stays describable for about an hour, then DescribeTasks reports it MISSING (aws-facts.md,
# "ECS task lifecycle"; https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html).
# Modelling choice: exactly an hour.
STOPPED_TASK_RETENTION_SECONDS = 3600.0
# DescribeServices returns the service's most recent events; ECS keeps 100.
MAX_SERVICE_EVENTS = 100
FARGATE_PLATFORM_VERSION = "1.4.0"

# Circuit breaker threshold = 0.5 x desiredCount clamped to [3, 200] (aws-facts.md,
# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentCircuitBreaker.html).
CIRCUIT_BREAKER_MIN = 3
CIRCUIT_BREAKER_MAX = 200
# A task without a container health check (and no load balancer) counts as healthy for the circuit
# breaker 40 s after it is RUNNING (aws-facts.md, "ECS task lifecycle"; API_Deployment.html).
CIRCUIT_BREAKER_HEALTHY_AFTER_SECONDS = 40.0

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

# Task lastStatus values, in the order of the Fargate task lifecycle
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html, aws-facts.md).
PROVISIONING = "PROVISIONING"
PENDING = "PENDING"
ACTIVATING = "ACTIVATING"  # registering in the target group before RUNNING
RUNNING = "RUNNING"
DEACTIVATING = "DEACTIVATING"  # deregistering from the target group before the task stops
STOPPING = "STOPPING"
DEPROVISIONING = "DEPROVISIONING"
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
