"""Hook: DescribeTargetHealth answers with the ECS model's target health.

moto's `FakeTargetGroup.health_for` reports every registered IP target `healthy` (and unregistered ones
`unavailable`), so no deployment could ever look unhealthy. This hook asks the model first: for a
target it knows (a task IP it registered), the answer is the model's state, reason and description
(initial / healthy / unhealthy / draining / unused), written as moto's `FakeHealthStatus` by
`pushdeploy_local.ecs.moto_view`; any other target keeps moto's own answer.

On a moto upgrade, check that `health_for(self, target: dict, ec2_backend)` still has that signature,
and is still the only place DescribeTargetHealth computes a target's state (`FakeHealthStatus`'s
arguments are checked with `moto_view`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from unittest import mock

from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup

from pushdeploy_local.ecs import moto_view

if TYPE_CHECKING:
    from moto.ec2.models import EC2Backend

    from pushdeploy_local.ecs import EcsModel


@contextlib.contextmanager
def install(model: EcsModel) -> Iterator[None]:
    """While active, targets the model knows report the model's health."""
    original = FakeTargetGroup.health_for

    def health_for(target_group: FakeTargetGroup, target: dict[str, Any], ec2_backend: EC2Backend) -> FakeHealthStatus:
        answer = model.target_health(*moto_view.target_of(target_group, target))
        if answer is None:
            return original(target_group, target, ec2_backend)
        return moto_view.health_status(target_group, target, answer)

    with mock.patch.object(FakeTargetGroup, "health_for", health_for):
        yield
