"""Hook: DescribeTargetHealth answers with the ECS model's target health.

moto's `FakeTargetGroup.health_for` reports every registered IP target `healthy` (and unregistered ones
`unavailable`), so no deployment could ever look unhealthy. This hook asks the model first: for a
target it knows (a task IP it registered), the answer is the model's state, reason and description
(initial / healthy / unhealthy / draining / unused); any other target keeps moto's own answer.

On a moto upgrade, check that `health_for(self, target: dict, ec2_backend)` still has that signature,
is still the only place DescribeTargetHealth computes a target's state, and that `FakeHealthStatus`
still takes (instance_id, port, health_port, status, reason, description).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from unittest import mock

from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup

if TYPE_CHECKING:
    from moto.ec2.models import EC2Backend

    from pushdeploy_local.ecs_model import EcsModel


@contextlib.contextmanager
def install(model: EcsModel) -> Iterator[None]:
    """While active, targets the model knows report the model's health."""
    original = FakeTargetGroup.health_for

    def health_for(target_group: FakeTargetGroup, target: dict[str, Any], ec2_backend: EC2Backend) -> FakeHealthStatus:
        answer = model.target_health(target_group.arn, target["Id"])
        if answer is None:
            return original(target_group, target, ec2_backend)
        state, reason, description = answer
        return FakeHealthStatus(
            target["Id"],
            _port(target_group, target),
            target_group.health_check_port,
            state,
            reason,
            description,
        )

    with mock.patch.object(FakeTargetGroup, "health_for", health_for):
        yield


def _port(target_group: FakeTargetGroup, target: dict[str, Any]) -> Any:
    """The port the caller asked about, else the one the target was registered with, else the group's."""
    if "Port" in target:
        return target["Port"]
    registered = target_group.targets.get(target["Id"]) or target_group.deregistered_targets.get(target["Id"])
    return registered["Port"] if registered else target_group.port
