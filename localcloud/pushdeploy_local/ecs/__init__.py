"""ECS/ALB behaviour model: ECS services on Fargate and their ALB target groups, on a virtual clock.

moto keeps the API surface (DescribeServices, ListTasks, DescribeTasks, DescribeTargetHealth) but its
ECS never starts a service's tasks, never makes a second deployment and its ALB never reports anything
but `healthy`. This model is the behaviour behind that surface, in five modules:

- `facts`: the numbers and names it follows, each with its source (aws-facts.md, scenarios.md, an AWS
  page) or marked "modelling choice".
- `state`: its data: services, deployments, tasks, targets, in virtual seconds.
- `behaviour`: `EcsModel`, the rules that advance the state on the virtual clock (tasks start, register,
  pass or fail health checks, crash, are replaced, drain; deployments complete; the circuit breaker
  counts, resets on a healthy task and rolls back, as `scenario.CircuitBreaker` configures it). It
  reads and writes no moto object: it tells a `World` what changed.
- `moto_view`: `MotoView`, that World for the local cloud, the only module that reads or writes moto's
  objects (ECS tasks, deployments and services, target groups, target health for the hooks of
  `moto_hooks.ecs_deployments` and `moto_hooks.target_health`). A moto upgrade touches it, and the
  hooks only where the methods they patch change.
- `events`: the "ECS Task State Change" events and their way to EventBridge (`Outbox`: best effort,
  late, lost or twice as a scenario's `world.events` says; each delivery instant is a model timer).

Where the next pieces of the model go:
- The Fargate task lifecycle (PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPING,
  DEPROVISIONING, STOPPED) is modelled, with STOPPING and DEPROVISIONING instantaneous (`fast`). Their
  durations for `world.timing: realistic` go in `facts` and `state.Task` (an instant per state, in its
  `timers`), the transitions in `behaviour._step_task` and `behaviour._stop_now`.
- Container health checks: a container's health in `state.Task`, its checks as timers and its verdict
  (a task stopped as unhealthy) in `behaviour`, healthStatus written by `MotoView.write_task`.
"""

from pushdeploy_local.ecs.behaviour import EcsModel, World
from pushdeploy_local.ecs.facts import DEFAULT_EPOCH, TargetHealth
from pushdeploy_local.ecs.state import ServiceState

__all__ = ["DEFAULT_EPOCH", "EcsModel", "ServiceState", "TargetHealth", "World"]
