"""Register, Update and Rollback: the three steps that change a service, each idempotent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pushdeploy import taskdef
from pushdeploy.adapters import ecs
from pushdeploy.errors import InvalidRequest, StepFailed
from pushdeploy.models import LogLocation, Model, PlanItem, Rollout, Target
from pushdeploy.scope import Scope
from pushdeploy.verdict import POLL_SECONDS, probe_interval


class RegisterInput(Model):
    item: PlanItem


class Registered(Model):
    task_definition: str
    previous_task_definition: str
    previous_image: str | None
    reused: bool
    logs: LogLocation | None = None  # where the new tasks' container logs go (for the alert's links)


def register(request: RegisterInput, scope: Scope) -> Registered:
    """Copy the service's CURRENT task definition with only the target container's image changed.

    Running it twice registers once: a latest revision that already equals the wanted one is reused.
    """
    item = request.item
    assert item.image is not None, "a deploy item carries its image"
    target, reference = item.target, item.image.reference
    current_arn = ecs.describe_service(target.cluster, target.service)["taskDefinition"]
    current = ecs.describe_task_definition(current_arn)
    if taskdef.container_image(current, target.container) == reference:
        # Already switched (a retry after Update): the plan recorded what ran before.
        previous_arn, previous = item.task_definition, ecs.describe_task_definition(item.task_definition)
        wanted_arn: str | None = current_arn
    else:
        previous_arn, previous, wanted_arn = current_arn, current, None
    wanted = taskdef.with_image(previous, target.container, reference)
    outside = scope.roles_outside(wanted)
    if outside:  # RegisterTaskDefinition would be refused iam:PassRole: say why, register nothing
        raise InvalidRequest(f"{target.key}: outside the stack's IAM scope: {'; '.join(outside)}")
    if wanted_arn is None:
        wanted_arn = _reusable_revision(wanted, current_arn)
    reused = wanted_arn is not None
    if wanted_arn is None:
        wanted_arn = ecs.register_task_definition(wanted)
    return Registered(
        task_definition=wanted_arn,
        previous_task_definition=previous_arn,
        previous_image=taskdef.container_image(previous, target.container),
        reused=reused,
        logs=taskdef.log_location(wanted, target.container),
    )


def _reusable_revision(wanted: dict[str, Any], current_arn: str) -> str | None:
    """The family's latest revision if it is the one wanted (a Register that ran before); the service's
    current revision never is (its image differs), so it is not read again."""
    latest = ecs.latest_task_definition_arn(wanted["family"])
    if latest and latest != current_arn and taskdef.same_definition(ecs.describe_task_definition(latest), wanted):
        return latest
    return None


class UpdateInput(Model):
    item: PlanItem
    registered: Registered


def update(request: UpdateInput) -> Rollout:
    target = request.item.target
    if target.deployment_strategy.native:
        return _start_native(target, request.registered)
    return _roll_to(
        target.cluster,
        target.service,
        request.registered.task_definition,
        "deploy",
        previous=request.registered.previous_task_definition,
    )


class RollbackInput(Model):
    item: PlanItem
    registered: Registered | None = None


def rollback(request: RollbackInput) -> Rollout:
    """Back to what ran before: the task definition recorded before Register (or the one asked for)."""
    item = request.item
    destination = item.rollback_to or (
        request.registered.previous_task_definition if request.registered else item.task_definition
    )
    status = ecs.describe_task_definition(destination).get("status")
    if status != "ACTIVE":
        # ECS cannot start tasks of an INACTIVE task definition: this rollback cannot succeed.
        raise StepFailed(f"cannot roll back: task definition {destination} is {status} (deregistered)")
    return _roll_to(item.target.cluster, item.target.service, destination, "rollback", previous=None)


def _roll_to(cluster: str, service_name: str, task_definition: str, phase: str, previous: str | None) -> Rollout:
    """UpdateService to `task_definition`, unless the service's PRIMARY deployment already runs it."""
    service = ecs.describe_service(cluster, service_name)
    primary = _primary(service)
    if not (service["taskDefinition"] == task_definition and primary and primary["taskDefinition"] == task_definition):
        service = ecs.update_service(cluster, service_name, task_definition)
        primary = _primary(service)
    assert primary is not None, "UpdateService answers with a PRIMARY deployment"
    return Rollout(
        phase=phase,  # type: ignore[arg-type]
        deployment_id=primary["id"],
        task_definition=task_definition,
        previous_task_definition=previous,
        started_at=datetime.now(UTC),
        wait_seconds=probe_interval(phase, primary.get("rolloutState")),
    )


def _start_native(target: Target, registered: Registered) -> Rollout:
    """UpdateService with the target's strategy: ECS deploys blue/green, linear or canary and shifts the traffic
    itself, calling pushdeploy's hook (pushdeploy.steps.hook). The service's own configuration (its lifecycle
    hooks, circuit breaker, alarms) is sent back as it is, with the strategy's fields over it; its load
    balancers are not sent, so they stay as they are. A retry after a successful UpdateService starts nothing."""
    service = ecs.describe_service(target.cluster, target.service)
    primary = _primary(service)
    wanted = registered.task_definition
    if not (service["taskDefinition"] == wanted and primary and primary["taskDefinition"] == wanted):
        configuration = {
            **service.get("deploymentConfiguration", {}),
            **target.deployment_strategy.deployment_configuration(),
        }
        service = ecs.update_service(target.cluster, target.service, wanted, configuration)
        primary = _primary(service)
    assert primary is not None, "UpdateService answers with a PRIMARY deployment"
    return Rollout(
        phase="deploy",
        deployment_id=primary["id"],
        task_definition=wanted,
        previous_task_definition=registered.previous_task_definition,
        started_at=datetime.now(UTC),
        wait_seconds=POLL_SECONDS,
        strategy=target.deployment_strategy.kind,
        service_deployment=ecs.newest_service_deployment(target.cluster, target.service),
    )


def _primary(service: dict[str, Any]) -> dict[str, Any] | None:
    return next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), None)
