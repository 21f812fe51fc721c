"""What a deployment would do to each target, read without a write: a dry run's answer (`pushdeploy plan`).

For each target: the task definition Register would register (the running one with only the image
changed) as a list of changes; what differs between the running revision and the family's newest one
(a revision registered since, outside pushdeploy, that Register would not carry over); the version a
rollback would return to and whether its image is still in ECR (lifecycle rules expire images); and the
service's lock.
"""

from __future__ import annotations

from typing import Any

from pushdeploy import taskdef
from pushdeploy.adapters import dynamodb, ecr, ecs
from pushdeploy.errors import InvalidRequest
from pushdeploy.models import Frozen, Image, PlanItem, family_of
from pushdeploy.scope import Scope


class Change(Frozen):
    """One field of a task definition, as RegisterTaskDefinition takes it, before and after."""

    field: str  # e.g. "containerDefinitions[aiuteur-backend].image"
    before: Any = None
    after: Any = None


class Preview(Frozen):
    service: str  # cluster/service
    runs: str  # the task definition the service runs now
    image: str  # the image it would run, by digest
    would_register: list[Change]  # the running task definition -> what Register would register
    newest: str  # the family's newest ACTIVE revision
    edited_since: list[Change]  # the running revision -> the newest, when it is not the one running
    rollback_to: str | None  # what a rollback would return to (None: nothing verified healthy yet)
    rollback_image: str | None = None
    rollback_image_in_ecr: bool | None = None  # None when there is nothing to roll back to
    lock: str  # "free", or who holds it
    outside_scope: tuple[str, ...] = ()  # what of the running task definition the stack's IAM does not cover

    @property
    def warnings(self) -> list[str]:
        """What an operator should know before going on."""
        found = []
        if self.edited_since:
            fields = ", ".join(c.field for c in self.edited_since)
            found.append(f"{self.newest} differs from the running revision ({fields}); Register copies what runs")
        if self.rollback_to is None:
            found.append("no earlier version was verified healthy: a failure could not roll back")
        elif self.rollback_image_in_ecr is False:
            found.append(f"the image a rollback needs is no longer in ECR: {self.rollback_image}")
        if self.outside_scope:
            found.append(f"outside the stack's IAM scope: {'; '.join(self.outside_scope)}")
        if self.lock != "free":
            found.append(f"the lock is {self.lock}: this deployment would wait")
        return found


def preview(item: PlanItem, image: Image, lock: dynamodb.LockItem, rollback_to: str | None, scope: Scope) -> Preview:
    """`rollback_to`: what a rollback would return to by the Plan's rule, None when it knows nothing to."""
    target = item.target
    running = ecs.describe_task_definition(item.task_definition)
    would = taskdef.with_image(running, target.container, image.reference)
    newest_arn = ecs.latest_task_definition_arn(family_of(item.task_definition)) or item.task_definition
    edited: list[Change] = []
    if newest_arn != running["taskDefinitionArn"]:
        edited = changes(running, ecs.describe_task_definition(newest_arn))
    rollback_image, in_ecr = _rollback_image(rollback_to, target.repository, target.container)
    return Preview(
        service=target.key,
        runs=item.task_definition,
        image=image.reference,
        would_register=changes(running, would),
        newest=newest_arn,
        edited_since=edited,
        rollback_to=rollback_to,
        rollback_image=rollback_image,
        rollback_image_in_ecr=in_ecr,
        lock="free" if lock.holder is None else f"held by {lock.holder}",
        outside_scope=tuple(scope.roles_outside(running)),
    )


def _rollback_image(to: str | None, repository: str, container: str) -> tuple[str | None, bool | None]:
    """The image the rollback destination runs, and whether ECR still has it (None: nothing to look up)."""
    if to is None:
        return None, None
    definition = ecs.describe_task_definition(to)
    image, digest = (
        taskdef.container_image(definition, container),
        taskdef.pinned_digest(definition, container, repository),
    )
    if digest is None:
        return image, None  # not pinned by digest, or an image of another repository: nothing to look up
    try:
        ecr.find_image(repository, digest=digest)
    except InvalidRequest:
        return image, False
    return image, True


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """The fields that differ between two task definitions as RegisterTaskDefinition inputs; containers are
    compared by name, field by field."""
    a, b = taskdef.registered_fields(before), taskdef.registered_fields(after)
    found = []
    for key in sorted(set(a) | set(b)):
        if key == "containerDefinitions":
            found += _container_changes(a.get(key, []), b.get(key, []))
        elif a.get(key) != b.get(key):
            found.append(Change(field=key, before=a.get(key), after=b.get(key)))
    return found


def _container_changes(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[Change]:
    old = {c["name"]: c for c in before}
    new = {c["name"]: c for c in after}
    found = []
    for name in sorted(set(old) | set(new)):
        if name not in old or name not in new:
            found.append(Change(field=f"containerDefinitions[{name}]", before=old.get(name), after=new.get(name)))
            continue
        for key in sorted(set(old[name]) | set(new[name])):
            if old[name].get(key) != new[name].get(key):
                found.append(
                    Change(
                        field=f"containerDefinitions[{name}].{key}", before=old[name].get(key), after=new[name].get(key)
                    )
                )
    return found
