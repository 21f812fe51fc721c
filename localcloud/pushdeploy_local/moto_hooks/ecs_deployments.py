"""Hook: UpdateService makes a new deployment, as on ECS, by telling the ECS model.

moto's `EC2ContainerServiceBackend.update_service` only overwrites the service's taskDefinition (and
sets runningCount to desiredCount); it never creates a second deployment, so a deployer watching
DescribeServices would see its "new" deployment complete at once. This hook calls moto's original and
then the model's `on_update_service`, which creates the new PRIMARY deployment and starts its tasks;
which service was updated, it reads through `pushdeploy_local.ecs.moto_view`.

On a moto upgrade, check that `update_service(self, service_properties: dict)` still has that
signature, still takes snake_case keys (`cluster`, `service`, `force_new_deployment`) and still returns
the moto `Service`; and whether moto started modelling deployments itself (then this hook may go).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from unittest import mock

from moto.ecs.models import EC2ContainerServiceBackend, Service

from pushdeploy_local.ecs import moto_view

if TYPE_CHECKING:
    from pushdeploy_local.ecs import EcsModel


@contextlib.contextmanager
def install(model: EcsModel) -> Iterator[None]:
    """While active, every UpdateService in the model's account and region reaches `model`."""
    original = EC2ContainerServiceBackend.update_service

    def update_service(backend: EC2ContainerServiceBackend, service_properties: dict[str, Any]) -> Service:
        # moto pops keys out of the dict it is given; read the flag first.
        force_new_deployment = bool(service_properties.get("force_new_deployment"))
        service = original(backend, service_properties)
        updated = moto_view.updated_service(backend, service)
        if (updated.account_id, updated.region) == (model.account_id, model.region):
            model.on_update_service(updated.cluster, updated.service, force_new_deployment=force_new_deployment)
        return service

    with mock.patch.object(EC2ContainerServiceBackend, "update_service", update_service):
        yield
