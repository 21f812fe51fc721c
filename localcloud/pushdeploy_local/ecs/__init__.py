"""ECS/ALB behaviour model: ECS services on Fargate and their ALB target groups, on a virtual clock.

moto keeps the API surface (DescribeServices, ListTasks, DescribeTasks, DescribeTargetHealth) but its
ECS never starts a service's tasks, never makes a second deployment and its ALB never reports anything
but `healthy`. This model is the behaviour behind that surface, in seven modules:

- `facts`: the numbers and names it follows, each with its source (aws-facts.md, scenarios.md, an AWS
  page) or marked "modelling choice".
- `state`: its data: services, deployments, tasks (with their containers' health checks and health
  statuses), targets, in virtual seconds.
- `timing`: how long each lifecycle state lasts: fixed (`world.timing: fast`) or drawn with the seed
  from facts' ranges (`realistic`).
- `behaviour`: `EcsModel`, the rules that advance the state on the virtual clock (tasks start, register,
  pass or fail ELB and container health checks, crash, are replaced (throttled when they keep failing
  to start), drain; deployments complete; the circuit breaker counts, resets on a healthy task and
  rolls back, as `scenario.CircuitBreaker` configures it). It reads and writes no moto object: it
  tells a `World` what changed.
- `moto_view`: `MotoView`, that World for the local cloud, the only module that reads or writes moto's
  objects (ECS tasks, deployments and services, target groups, target health for the hooks of
  `moto_hooks.ecs_deployments` and `moto_hooks.target_health`). A moto upgrade touches it, and the
  hooks only where the methods they patch change.
- `bluegreen`: ECS's own BLUE_GREEN, LINEAR and CANARY deployments: their configuration as CreateService and
  UpdateService validate it, a deployment's plan of lifecycle stages, its hook runs, the hooks' payload and
  answers (`behaviour` walks the plan: green starts in the alternate target group, the listener rules'
  weights move, hooks are invoked, blue stops at CLEAN_UP or green at a rollback).
- `events`: the "ECS Task State Change" (and "ECS Deployment State Change") events and their way to
  EventBridge (`Outbox`: best effort, late, lost or twice as a scenario's `world.events` says; each delivery
  instant is a model timer).

Where the next pieces of the model go:
- The Fargate task lifecycle (PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPING,
  DEPROVISIONING, STOPPED) is modelled, each state's duration from `timing`; container health checks
  from the registered task definition (`state.Task.health_status`, stopped in
  `behaviour._stop_unhealthy_tasks`); the service throttle logic (`behaviour._replacement_delay`).
- The traffic a load balancer sends: the listener rules' weights, which blue/green deployments set in
  moto's ELBv2 (`moto_view.MotoView.set_forward_weights`), say where it goes.
"""

from pushdeploy_local.ecs.behaviour import EcsModel, World
from pushdeploy_local.ecs.facts import DEFAULT_EPOCH, TargetHealth
from pushdeploy_local.ecs.state import ServiceState

__all__ = ["DEFAULT_EPOCH", "EcsModel", "ServiceState", "TargetHealth", "World"]
