"""Hook: ECS's blue/green, linear and canary deployments through the ECS API, on the ECS model.

moto 5.2.5 drops CreateService's deploymentConfiguration, accepts any UpdateService one without a check,
and has no DescribeServiceDeployments, ListServiceDeployments, StopServiceDeployment or
ContinueServiceDeployment. While installed:
- CreateService and UpdateService validate the strategy fields as ECS does (`ecs.bluegreen.parse`), refusing
  a bad one with InvalidParameterException, and CreateService keeps a BLUE_GREEN, LINEAR or CANARY
  deploymentConfiguration (through `ecs.moto_view`) so that DescribeServices returns it and the model
  deploys with it;
- the four service deployment operations answer from the model (API_DescribeServiceDeployments.html,
  API_ListServiceDeployments.html, API_StopServiceDeployment.html, API_ContinueServiceDeployment.html),
  with their documented errors: ServiceDeploymentNotFoundException, ConflictException (a deployment no
  longer in progress), InvalidParameterException.

On a moto upgrade, check that `EC2ContainerServiceResponse.create_service` / `update_service` still read
their parameters with `_get_param`, that moto dispatches an action to the response method named after it
in snake_case (`BaseResponse.call_action`), and whether moto started modelling these operations itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from unittest import mock

from moto.core.responses import ActionResult
from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.responses import EC2ContainerServiceResponse

from pushdeploy_local.ecs import bluegreen, moto_view

if TYPE_CHECKING:
    from pushdeploy_local.ecs import EcsModel


class ServiceDeploymentNotFoundException(ECSException):
    code = "ServiceDeploymentNotFoundException"


class ConflictException(ECSException):
    code = "ConflictException"


def _validate(configuration: Any, load_balancers: Any) -> bluegreen.Strategy | None:
    try:
        return bluegreen.parse(configuration, load_balancers)
    except bluegreen.InvalidStrategy as exc:
        raise InvalidParameterException(str(exc)) from exc


@contextlib.contextmanager
def install(model: EcsModel) -> Iterator[None]:
    """While active, the ECS API takes and validates the strategy fields, and the model answers the service
    deployment operations of its account and region."""
    original_create = EC2ContainerServiceResponse.create_service
    original_update = EC2ContainerServiceResponse.update_service

    def create_service(response: EC2ContainerServiceResponse) -> ActionResult:
        configuration = response._get_param("deploymentConfiguration")
        strategy = _validate(configuration, response._get_param("loadBalancers"))
        result = original_create(response)
        # A rolling service's configuration stays as the model declares it when it adopts the service.
        if strategy is not None:
            cluster = response._get_param("cluster", "default")
            moto_view.declare_deployment_configuration(
                response.ecs_backend, cluster, response._get_param("serviceName"), configuration
            )
        return result

    def update_service(response: EC2ContainerServiceResponse) -> ActionResult:
        configuration = response._get_param("deploymentConfiguration")
        load_balancers = response._get_param("loadBalancers")
        if configuration is not None or load_balancers is not None:
            current, balancers = moto_view.service_configuration(
                response.ecs_backend, response._get_param("cluster", "default"), response._get_param("service")
            )
            _validate(
                configuration if configuration is not None else current,
                load_balancers if load_balancers is not None else balancers,
            )
        return original_update(response)

    def ours(response: EC2ContainerServiceResponse) -> bool:
        return (response.current_account, response.region) == (model.account_id, model.region)

    def describe_service_deployments(response: EC2ContainerServiceResponse) -> ActionResult:
        arns = list(response._get_param("serviceDeploymentArns") or [])
        if not ours(response):
            return ActionResult({"serviceDeployments": [], "failures": [{"arn": a, "reason": "MISSING"} for a in arns]})
        found, failures = model.describe_service_deployments(arns)
        return ActionResult({"serviceDeployments": found, "failures": failures})

    def list_service_deployments(response: EC2ContainerServiceResponse) -> ActionResult:
        cluster = response._get_param("cluster", "default")
        service = response._get_param("service")
        # The service must exist: ServiceNotFoundException / ClusterNotFoundException as moto raises them.
        moto_view.service_configuration(response.ecs_backend, cluster, service)
        if not ours(response):
            return ActionResult({"serviceDeployments": []})
        statuses = response._get_param("status")
        return ActionResult({"serviceDeployments": model.list_service_deployments(cluster, service, statuses)})

    def stop_service_deployment(response: EC2ContainerServiceResponse) -> ActionResult:
        arn = str(response._get_param("serviceDeploymentArn"))
        with _errors():
            model.stop_service_deployment(arn, str(response._get_param("stopType") or ""))
        return ActionResult({"serviceDeploymentArn": arn})

    def continue_service_deployment(response: EC2ContainerServiceResponse) -> ActionResult:
        arn = str(response._get_param("serviceDeploymentArn"))
        with _errors():
            model.continue_service_deployment(
                arn, str(response._get_param("hookId")), str(response._get_param("action") or bluegreen.CONTINUE)
            )
        return ActionResult({"serviceDeploymentArn": arn})

    patches = {
        "create_service": create_service,
        "update_service": update_service,
        "describe_service_deployments": describe_service_deployments,
        "list_service_deployments": list_service_deployments,
        "stop_service_deployment": stop_service_deployment,
        "continue_service_deployment": continue_service_deployment,
    }
    with contextlib.ExitStack() as stack:
        for name, method in patches.items():
            stack.enter_context(mock.patch.object(EC2ContainerServiceResponse, name, method, create=True))
        yield


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """The model's refusals as the ECS API's errors."""
    try:
        yield
    except LookupError as exc:
        raise ServiceDeploymentNotFoundException(str(exc).strip("'\"")) from exc
    except bluegreen.DeploymentConflict as exc:
        raise ConflictException(str(exc)) from exc
    except bluegreen.InvalidStrategy as exc:
        raise InvalidParameterException(str(exc)) from exc
