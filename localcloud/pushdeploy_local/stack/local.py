"""The local cloud's stack: template.yaml transformed, with what a scenario names, built in moto.

A scenario overrides only what its file names: its `service` fields become the template's
DesiredCount parameter and the Service's and TargetGroup's properties; each of its `extra_services`
is a copy of the template's TaskDefinition, TargetGroup and Service under its own names; its
`deployer` settings make its target in the targets document, and each extra service is a target under
it (a parameter of its own, as `pushdeploy targets apply` writes it), with its own `deployer` settings
over the top-level ones and the container its `target_container` names. Everything else is the
template's, with its parameters' defaults. `StackView` is what the rest of the local cloud reads of
the built stack.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from pushdeploy.adapters import ssm
from pushdeploy.models import Target, TargetsConfig
from pushdeploy_local.scenario import HealthCheck, Scenario, ServiceSpec, ServiceTarget
from pushdeploy_local.stack.build import BuiltStack, Clients, build, copy_resource
from pushdeploy_local.stack.evaluate import PSEUDO, Template
from pushdeploy_local.stack.source import transformed

# Parameters the local cloud gives besides a scenario's: the network comes from moto's default VPC.
# NotifyOnSuccess: the template's default is "true"; the local cloud's reports list the alerts that
# need a person (a rollback, a failure), as its scenarios were written to expect.
LOCAL_PARAMETERS = {"NotifyOnSuccess": "false"}

MAIN = ("TaskDefinition", "TargetGroup", "Service")  # the logical ids of the template's service


@dataclass
class Service:
    """A service of the stack that the deployer follows."""

    cluster: str
    name: str
    container: str
    repository: str
    target_group: str | None  # its target group's ARN; None when it is not load balanced
    spec: ServiceSpec  # its settings as built (the template's, and what the scenario named)


@dataclass
class StackView:
    """What the local cloud and its readers use of the built stack, named after the stack's outputs."""

    state_machine: str  # StateMachineArn
    targets_parameter: str  # TargetsParameterName
    lock_table: str  # LockTableName
    alert_topic: str  # AlertTopicArn
    registry: str
    initial_digest: str
    services: list[Service] = field(default_factory=list)
    repositories: set[str] = field(default_factory=set)  # the ECR repositories (a push may add one)


def scenario_stack(
    scenario: Scenario, document: dict[str, Any], network: dict[str, Any], initial_image: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The transformed `document` with the scenario's services, and the stack's parameter values.

    `initial_image` (`tag@digest`) is the InitialImageTag: the first task definition names the initial
    image by its tag and digest, so its tasks run that image as ECS's version consistency pins it.
    """
    document = copy.deepcopy(document)
    parameters: dict[str, Any] = {
        **LOCAL_PARAMETERS,
        "VpcId": network["vpc"],
        "SubnetIds": network["subnets"],
        "InitialImageTag": initial_image,
        "WatchedRepositories": sorted({scenario.defaults.repository}),
    }
    if "tag_mutability" in scenario.repository.model_fields_set:
        parameters["ImageTagMutability"] = scenario.repository.tag_mutability
    if "desired_count" in scenario.service.model_fields_set:
        parameters["DesiredCount"] = scenario.service.desired_count
    # service.deployment: a native strategy is the stack's blue/green service (and its hook), the strategy the target's.
    native = scenario.service.deployment.native
    if native:
        parameters["DeploymentStrategy"] = "BLUE_GREEN"
    resources = document["Resources"]
    _override(resources, MAIN, scenario.service)
    for index, extra in enumerate(scenario.all_services()[1:], start=2):
        ids = (f"TaskDefinition{index}", f"TargetGroup{index}", f"Service{index}")
        for source_id, new_id in zip(MAIN, ids, strict=True):
            copy_resource(document, source_id, new_id)
        _name_copy(resources, ids, extra)
        _override(resources, ids, extra.spec, named=_named_of(scenario, index))
    if "deployer" in scenario.model_fields_set or native:
        main = scenario_targets(scenario, Template(document, parameters))[0]
        resources["TargetsParameter"]["Properties"]["Value"] = json.dumps({"targets": [main.model_dump(mode="json")]})
    return document, parameters


def scenario_targets(scenario: Scenario, stack: Template) -> list[Target]:
    """A target per service of the scenario, with its deployer settings (an extra service's own over the
    top-level ones) and the container it names; the first is the stack's own, with the scenario's native
    strategy if it names one (the others roll)."""
    native = scenario.service.deployment.native
    return [
        Target(
            cluster=stack.parameter("ClusterName"),
            service=target.name,
            container=target.target_container,
            repository=stack.parameter("RepositoryName"),
            tags=target.deployer.tags,
            policy=target.deployer.policy(),
            strategy=scenario.service.deployment.target_strategy() if index == 0 and native else None,
        )
        for index, target in enumerate(scenario.all_services())
    ]


def _named_of(scenario: Scenario, index: int) -> set[str]:
    return set(scenario.extra_services[index - 2].model_fields_set)


def _name_copy(resources: dict[str, Any], ids: tuple[str, str, str], target: ServiceTarget) -> None:
    task_definition, target_group, service = (resources[i]["Properties"] for i in ids)
    task_definition["Family"] = target.family
    task_definition["ContainerDefinitions"][0]["Name"] = target.container
    target_group["Name"] = f"{target.name[:28]}-tg"
    service["ServiceName"] = target.name
    service["TaskDefinition"] = {"Ref": ids[0]}
    for balancer in service.get("LoadBalancers", []):
        balancer["ContainerName"] = target.container
        balancer["TargetGroupArn"] = {"Ref": ids[1]}
        # The stack's blue/green load balancer is the Phase 4 service's alone: an extra service rolls.
        balancer.pop("AdvancedConfiguration", None)
    for blue_green in ("Strategy", "LifecycleHooks"):
        service.get("DeploymentConfiguration", {}).pop(blue_green, None)


def _override(
    resources: dict[str, Any], ids: tuple[str, ...], spec: ServiceSpec, named: set[str] | None = None
) -> None:
    """Set what the scenario names of a service on its resources (everything else stays the template's)."""
    named = set(spec.model_fields_set) if named is None else named
    task_definition, target_group, service = (resources[i]["Properties"] for i in ids)
    if "desired_count" in named and ids != MAIN:  # the main service's is the DesiredCount parameter
        service["DesiredCount"] = spec.desired_count
    if "grace_period_seconds" in named:
        service["HealthCheckGracePeriodSeconds"] = spec.grace_period_seconds
    breaker = service["DeploymentConfiguration"]["DeploymentCircuitBreaker"]
    if "circuit_breaker" in named:
        given = spec.circuit_breaker.model_fields_set
        breaker.update(
            {key.title(): getattr(spec.circuit_breaker, key) for key in ("enable", "rollback") if key in given}
        )
    if "health_check" in named:
        names = {"interval_seconds": "HealthCheckIntervalSeconds", "healthy_threshold": "HealthyThresholdCount"}
        names["unhealthy_threshold"] = "UnhealthyThresholdCount"
        for key in spec.health_check.model_fields_set:
            target_group[names[key]] = getattr(spec.health_check, key)
    if "deregistration_delay_seconds" in named:
        attributes = [a for a in target_group.get("TargetGroupAttributes", []) if a["Key"] != _DEREGISTRATION]
        target_group["TargetGroupAttributes"] = [
            *attributes,
            {"Key": _DEREGISTRATION, "Value": str(spec.deregistration_delay_seconds)},
        ]
    if not spec.load_balanced:  # a worker: no load balancer, so no port to serve and no health check on it
        service.pop("LoadBalancers", None)
        service.pop("HealthCheckGracePeriodSeconds", None)
        for container in task_definition["ContainerDefinitions"]:
            container.pop("PortMappings", None)
            container.pop("HealthCheck", None)
        if ids != MAIN:
            del resources[ids[1]]


_DEREGISTRATION = "deregistration_delay.timeout_seconds"


def build_scenario_stack(
    scenario: Scenario,
    clients: Clients,
    *,
    template: dict[str, Any] | None,
    network: dict[str, Any],
    initial_image: str,
    pseudo: dict[str, str] | None = None,
) -> BuiltStack:
    """template.yaml (or `template`, a document in its source form) transformed and built with the scenario."""
    document, artifacts = transformed(template)
    document, parameters = scenario_stack(scenario, document, network, initial_image)
    built = build(document, artifacts, parameters, clients, pseudo=dict(pseudo or PSEUDO))
    # The extra services are targets under the stack's document, as `pushdeploy targets apply` writes them.
    extra = scenario_targets(scenario, built.evaluator)[1:]
    if extra:
        ssm.apply_targets(built.output("TargetsParameterName"), TargetsConfig(targets=extra), ssm=clients.client("ssm"))
    return built


def services_of(built: BuiltStack, scenario: Scenario) -> list[Service]:
    """The scenario's services as built, each with the settings its resources were created with."""
    found = []
    for index, target in enumerate(scenario.all_services(), start=1):
        suffix = "" if index == 1 else str(index)
        service = built.properties(f"Service{suffix}")
        balancers = service.get("LoadBalancers", [])
        target_group = balancers[0]["TargetGroupArn"] if balancers else None
        found.append(
            Service(
                cluster=service["Cluster"],
                name=built.attribute(f"Service{suffix}", "Name"),
                container=target.container,
                repository=built.evaluator.parameter("RepositoryName"),
                target_group=target_group,
                spec=_spec_as_built(
                    built, f"Service{suffix}", f"TargetGroup{suffix}" if target_group else None, target.spec
                ),
            )
        )
    return found


def _spec_as_built(built: BuiltStack, service_id: str, target_group_id: str | None, spec: ServiceSpec) -> ServiceSpec:
    """The ECS model's settings of a service: those its resources were built with, and the scenario's own
    (the circuit breaker's threshold and reset, which the template does not set)."""
    service = built.properties(service_id)
    breaker = service["DeploymentConfiguration"]["DeploymentCircuitBreaker"]
    update: dict[str, Any] = {
        "desired_count": int(service["DesiredCount"]),
        "load_balanced": target_group_id is not None,
        # the threshold and reset stay the scenario's as it gave them (DescribeServices shows only those given)
        "circuit_breaker": spec.circuit_breaker.model_copy(
            update={"enable": bool(breaker["Enable"]), "rollback": bool(breaker["Rollback"])}
        ),
    }
    if "HealthCheckGracePeriodSeconds" in service:
        update["grace_period_seconds"] = int(service["HealthCheckGracePeriodSeconds"])
    if target_group_id is not None:
        group = built.properties(target_group_id)
        update["health_check"] = HealthCheck(
            interval_seconds=int(group["HealthCheckIntervalSeconds"]),
            healthy_threshold=int(group["HealthyThresholdCount"]),
            unhealthy_threshold=int(group["UnhealthyThresholdCount"]),
        )
        attributes = {a["Key"]: a["Value"] for a in group.get("TargetGroupAttributes", [])}
        if _DEREGISTRATION in attributes:
            update["deregistration_delay_seconds"] = int(attributes[_DEREGISTRATION])
    return spec.model_copy(update=update)
