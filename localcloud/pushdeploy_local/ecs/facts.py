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
# pass, observed at roughly 10-20 s (the `fast` world: 15 s; `realistic`: drawn from that range).
REPLACEMENT_DELAY_SECONDS = 15.0
REALISTIC_REPLACEMENT_DELAY_SECONDS = (10.0, 20.0)

# Service throttle logic: "When tasks in a service fail to transition from PENDING to RUNNING state and
# instead move directly to STOPPED, the scheduler incrementally increases the time between restart
# attempts ... up to a maximum of 27 minutes", writes the service event "(service service-name) is unable
# to consistently start tasks successfully.", retries indefinitely, and "If you update your service to use
# a new task definition, your service returns to a normal, non-throttled state immediately". Tasks stopped
# after they reached RUNNING (a crash, failed health checks) do not start it.
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-throttle-logic.html
THROTTLE_MAX_DELAY_SECONDS = 27 * 60.0
THROTTLED_MESSAGE = "is unable to consistently start tasks successfully."
# Modelling choice: AWS publishes neither when the throttle begins nor its steps. Here the first two
# launches in a row whose tasks fail to start are replaced after the usual delay; from the third on, each
# next delay doubles (30 s, 60 s, ... with the 15 s delay), up to the 27 minutes.
THROTTLE_AFTER_FAILED_LAUNCHES = 3

# Fargate lifecycle durations for `world.timing: realistic`, drawn uniformly from [low, high] seconds with
# `world.seed`. AWS publishes no figures for them; each range is a modelling choice with its basis:
# - PROVISIONING: Fargate finds capacity and attaches the task's ENI; "for each task in awsvpc mode, Amazon
#   ECS workflows need to provision and attach an ENI ... which adds an overhead of several seconds"
#   (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-recommendations.html).
REALISTIC_PROVISIONING_SECONDS = (5.0, 20.0)
# - PENDING: the image pull (no layer cache on Fargate: "the whole container image needs to be pulled ...
#   for each Fargate task. The time it takes to pull the images is directly correlated to the time taken to
#   start an Fargate task", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-pull-behavior.html)
#   of a node:20-alpine application image of some 100-300 MB, plus creating and starting the container.
#   A failing pull (pull_error) fails after a draw from the same range.
REALISTIC_PULL_SECONDS = (10.0, 45.0)
# - ACTIVATING: ECS registers the task's targets before it is RUNNING (task-lifecycle-explanation.html).
REALISTIC_ACTIVATING_SECONDS = (1.0, 5.0)
# - STOPPING after SIGTERM: the container has stopTimeout to exit before SIGKILL ("For tasks using the
#   Fargate launch type, the max stop timeout value is 120 seconds and if the parameter is not specified,
#   the default value of 30 seconds is used", API_ContainerDefinition.html). How soon the application
#   exits is its own: drawn from [1 s, stopTimeout]. A task whose essential container already exited (a
#   crash) or never started stops its other containers only.
DEFAULT_STOP_TIMEOUT_SECONDS = 30.0
MAX_STOP_TIMEOUT_SECONDS = 120.0
REALISTIC_STOPPING_EXITED_SECONDS = (1.0, 3.0)
# - DEPROVISIONING: the ENI is detached and deleted, taken to be alike the attach.
REALISTIC_DEPROVISIONING_SECONDS = (5.0, 20.0)
# A stopped task stays describable for about an hour, then DescribeTasks reports it MISSING (aws-facts.md,
# "ECS task lifecycle"; https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html).
# Modelling choice: exactly an hour.
STOPPED_TASK_RETENTION_SECONDS = 3600.0
# DescribeServices returns the service's most recent events: "A maximum of 100 of the latest events are
# displayed" (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html, `events`).
MAX_SERVICE_EVENTS = 100
# LATEST for Linux on Fargate (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/platform-linux-fargate.html).
FARGATE_PLATFORM_VERSION = "1.4.0"

# Circuit breaker threshold = 0.5 x desiredCount clamped to [3, 200] (aws-facts.md,
# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentCircuitBreaker.html).
CIRCUIT_BREAKER_MIN = 3
CIRCUIT_BREAKER_MAX = 200
# A task without a container health check (and no load balancer) counts as healthy for the circuit
# breaker 40 s after it is RUNNING (aws-facts.md, "ECS task lifecycle"; API_Deployment.html).
CIRCUIT_BREAKER_HEALTHY_AFTER_SECONDS = 40.0

# Container health checks (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html,
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/healthcheck.html): a container reports HEALTHY
# once a check passed, UNHEALTHY after `retries` consecutive failures, UNKNOWN while being evaluated or
# without a check. Failures within `startPeriod` do not count; a pass within it makes the container HEALTHY.
# The defaults when the task definition leaves a field out: interval 30, timeout 5, retries 3, no startPeriod.
HEALTH_CHECK_INTERVAL_SECONDS = 30.0
HEALTH_CHECK_TIMEOUT_SECONDS = 5.0
HEALTH_CHECK_RETRIES = 3
HEALTH_CHECK_START_PERIOD_SECONDS = 0.0
CONTAINER_HEALTHY = "HEALTHY"
CONTAINER_UNHEALTHY = "UNHEALTHY"
CONTAINER_UNKNOWN = "UNKNOWN"
# "For tasks that are part of a service, if the task reports as unhealthy then the task will be stopped and
# the service scheduler will replace it" (API_HealthCheck.html), once the service's
# healthCheckGracePeriodSeconds, which covers "Elastic Load Balancing, VPC Lattice, and container health
# checks", has passed (API_CreateService.html). The stop reason as DescribeTasks shows it
# (https://repost.aws/knowledge-center/ecs-task-stopped, "Failed container health checks"); the service
# event's wording is the model's, after the ELB one's.
CONTAINER_HEALTH_CHECK_STOP = "Task failed container health checks"

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
# The detail-type of ECS's service deployment state-change events
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_deployment_events.html).
DEPLOYMENT_STATE_CHANGE = "ECS Deployment State Change"
