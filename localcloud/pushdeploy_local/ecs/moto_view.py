"""The ECS/ALB model as moto shows it: the only module that reads or writes moto's ECS, ELBv2 and EC2 objects.

moto keeps the API surface (DescribeServices, ListTasks, DescribeTasks, DescribeTargetHealth); `MotoView`
writes the model's state into moto's own Task, Service and target-group objects, so every boto3 call of
the deployer sees it. The two hooks of `moto_hooks` that concern ECS and ELBv2 read moto's objects
through the functions at the end of this module.

On a moto upgrade, check this module against moto: the attributes of `moto.ecs.models.Task`, `Service`
and `TaskDefinition` it writes and reads, `FakeTargetGroup.register`/`deregister`/`targets`,
`FakeHealthStatus`'s arguments, and that `moto.core.serialize.JSONSerializer`, `XFormedAttributePicker`
and `moto.core.utils.get_service_model` still exist and that DescribeTasks still serializes moto's Task
through them (moto.ecs.responses).
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from botocore.model import OperationModel
from moto.awslambda.models import lambda_backends
from moto.core.exceptions import ServiceException
from moto.core.serialize import JSONSerializer, XFormedAttributePicker
from moto.core.utils import get_service_model
from moto.ec2.models import EC2Backend, ec2_backends
from moto.ecs.models import EC2ContainerServiceBackend, Service, Task, TaskDefinition, ecs_backends
from moto.elbv2.models import ELBv2Backend, FakeHealthStatus, FakeTargetGroup, elbv2_backends

from pushdeploy_local.ecs import bluegreen, state
from pushdeploy_local.ecs.bluegreen import HookAnswer, Strategy
from pushdeploy_local.ecs.facts import (
    ACTIVATING,
    CONTAINER_UNKNOWN,
    DEACTIVATING,
    DEFAULT_STOP_TIMEOUT_SECONDS,
    DEPROVISIONING,
    FARGATE_PLATFORM_VERSION,
    HEALTH_CHECK_INTERVAL_SECONDS,
    HEALTH_CHECK_RETRIES,
    HEALTH_CHECK_START_PERIOD_SECONDS,
    HEALTH_CHECK_TIMEOUT_SECONDS,
    MAX_SERVICE_EVENTS,
    PENDING,
    PROVISIONING,
    RUNNING,
    STOPPED,
    STOPPING,
    TargetHealth,
)
from pushdeploy_local.ecs.state import (
    AdoptedService,
    Container,
    Deployment,
    HealthCheck,
    Ids,
    LaunchedTask,
    Target,
    image_digest,
    instant,
)
from pushdeploy_local.scenario import ServiceSpec


@dataclass
class _ContainerView:
    """A task's container as DescribeTasks shows it (moto's serializer reads these attribute names).

    moto's own Container describes only the task definition's first container and has no exit reason.
    """

    container_arn: str
    task_arn: str
    name: str
    image: str
    cpu: str
    memory: int | None
    network_interfaces: list[dict[str, str]]
    last_status: str = PENDING
    image_digest: str | None = None
    exit_code: int | None = None
    reason: str | None = None
    health_status: str = CONTAINER_UNKNOWN


class _FargateTask(Task):
    """A moto Task whose lastStatus only the model moves, with the fields DescribeTasks shows for Fargate.

    moto's Task is a ManagedState that walks RUNNING -> DEACTIVATING -> ... -> STOPPED as it is
    described; here lastStatus must follow the model's clock, not the number of DescribeTasks calls.
    """

    # Read by moto's serializer (Task shape: platformFamily, cpu, ..., healthStatus); moto's Task lacks them.
    platform_family: str
    cpu: str | None
    memory: str | None
    availability_zone: str | None
    version: int
    created_at: datetime
    pull_started_at: datetime | None
    pull_stopped_at: datetime | None
    started_at: datetime | None
    connectivity: str | None
    connectivity_at: datetime | None
    stopping_at: datetime | None
    stopped_at: datetime | None
    execution_stopped_at: datetime | None
    stop_code: str | None
    health_status: str
    model_containers: list[_ContainerView]

    @property  # type: ignore[override]
    def status(self) -> str | None:
        return self._status

    @status.setter
    def status(self, value: str) -> None:
        self._status = value


class MotoView:
    """Writes the model's services, deployments, tasks and targets into moto's backends of one account and region."""

    def __init__(self, account_id: str, region: str, epoch: datetime) -> None:
        self.account_id = account_id
        self.region = region
        self.epoch = epoch
        self._services: dict[tuple[str, str], Service] = {}
        self._tasks: dict[str, _FargateTask] = {}

    # ------------------------------------------------------------------ services

    def adopt_service(
        self, cluster: str, service: str, spec: ServiceSpec, target_group_arn: str | None
    ) -> AdoptedService:
        """Read a service created in moto, and put back what moto dropped of its configuration."""
        moto_service = self._ecs.services.get(f"{cluster.split('/')[-1]}:{service.split('/')[-1]}")
        if moto_service is None:
            raise ValueError(f"no service {service} in cluster {cluster}: create it in moto first")
        if moto_service.task_definition is None:
            raise ValueError(f"service {service} has no task definition to adopt")
        task_definition = self._ecs.describe_task_definition(moto_service.task_definition)
        moto_service.task_definition = task_definition.arn
        self._check_network(moto_service)
        _declare_configuration(moto_service, spec, target_group_arn)
        self._services[(moto_service.cluster_name, moto_service.name)] = moto_service
        # Keep the id moto gave the service at CreateService, in case someone read it already.
        existing = [d.get("id") for d in getattr(moto_service, "deployments", []) if d.get("status") == "PRIMARY"]
        return AdoptedService(
            cluster=moto_service.cluster_name,
            name=moto_service.name,
            task_definition=task_definition.arn,
            desired_count=_desired_count(moto_service),
            container_port=_container_port(moto_service, target_group_arn),
            deployment_id=existing[0] if existing and existing[0] else None,
        )

    def task_definition(self, svc: state.Service) -> str:
        """The service's task definition as an ARN: moto stores whatever string the caller sent
        (family, family:revision or ARN); ECS answers ARNs."""
        return self._ecs.describe_task_definition(str(self._services[(svc.cluster, svc.name)].task_definition)).arn

    def desired_count(self, svc: state.Service) -> int:
        return _desired_count(self._services[(svc.cluster, svc.name)])

    def write_service(self, svc: state.Service) -> None:
        """Write the model's deployments and counts into moto's Service, as DescribeServices shows them."""
        moto_service = self._services[(svc.cluster, svc.name)]
        moto_service.deployments = [self._deployment_view(svc, d, i == 0) for i, d in enumerate(svc.deployments)]
        alive = [task for task in svc.tasks if task.alive]
        moto_service.running_count = sum(1 for task in alive if task.status == RUNNING)
        moto_service.pending_count = sum(1 for task in alive if task.starting)
        moto_service.task_definition = svc.primary.task_definition

    def service_event(self, svc: state.Service, *, event_id: str, at: float, message: str) -> None:
        """A service event as ECS writes it, newest first, at most MAX_SERVICE_EVENTS kept."""
        events = self._services[(svc.cluster, svc.name)].events
        events.insert(0, {"id": event_id, "createdAt": self._at(at), "message": message})
        del events[MAX_SERVICE_EVENTS:]

    def _deployment_view(self, svc: state.Service, deployment: Deployment, primary: bool) -> dict[str, Any]:
        tasks = [task for task in svc.tasks_of(deployment) if task.alive]
        return {
            "id": deployment.id,
            "status": "PRIMARY" if primary else "ACTIVE",
            "taskDefinition": deployment.task_definition,
            # An older deployment is scaled down as the new one takes over.
            "desiredCount": svc.desired_count if primary else len(tasks),
            "pendingCount": sum(1 for task in tasks if task.starting),
            "runningCount": sum(1 for task in tasks if task.status == RUNNING),
            "failedTasks": deployment.failed_tasks,
            "createdAt": self._at(deployment.created_at),
            "updatedAt": self._at(deployment.updated_at),
            "launchType": "FARGATE",
            "platformVersion": FARGATE_PLATFORM_VERSION,
            "platformFamily": "Linux",
            "networkConfiguration": self._services[(svc.cluster, svc.name)].network_configuration or None,
            "rolloutState": deployment.rollout_state,
            "rolloutStateReason": deployment.rollout_state_reason,
        }

    def _check_network(self, moto_service: Service) -> None:
        """Fail early, with the fix, where moto 5.2.5 would fail at the first task.

        moto's Task creates its ENI and reads `eni.private_dns_name`, which moto only sets when the
        subnet's VPC has enableDnsHostnames (the default VPC has it; CreateVpc's do not).
        """
        subnets = (moto_service.network_configuration or {}).get("awsvpcConfiguration", {}).get("subnets", [])
        for subnet_id in subnets:
            vpc = self._ec2.get_vpc(self._ec2.get_subnet(subnet_id).vpc_id)
            if not vpc.enable_dns_hostnames:
                raise ValueError(
                    f"VPC {vpc.id} of service {moto_service.name} needs enableDnsHostnames: moto cannot "
                    "create awsvpc tasks without it (ModifyVpcAttribute EnableDnsHostnames)"
                )

    # ------------------------------------------------------------------ tasks

    def launch_task(self, svc: state.Service, deployment: Deployment, ids: Ids) -> LaunchedTask:
        """Create the moto Task of a new service task (its ENI gives it an IP), as ECS shows a Fargate one."""
        task_definition = self._ecs.describe_task_definition(deployment.task_definition)
        cluster = self._ecs.clusters[svc.cluster]
        moto_task = _FargateTask(
            cluster=cluster,
            task_definition=task_definition,
            container_instance_arn=None,
            resource_requirements=None,
            backend=self._ecs,
            # ECS service tasks: startedBy is the deployment id, group is "service:<name>".
            group=f"service:{svc.name}",
            launch_type="FARGATE",
            started_by=deployment.id,
            networking_configuration=self._services[(svc.cluster, svc.name)].network_configuration or None,
            platform_version=FARGATE_PLATFORM_VERSION,
        )
        self._ecs.tasks.setdefault(cluster.name, {})[moto_task.task_arn] = moto_task
        self._tasks[moto_task.task_arn] = moto_task
        container, image = _essential_container(task_definition, svc.container)
        ip = _private_ip(moto_task)
        self._prepare(svc, moto_task, task_definition, ip, ids)
        definitions = task_definition.container_definitions
        ours = next(d for d in definitions if d.get("name") == container)
        return LaunchedTask(
            arn=moto_task.task_arn,
            short_id=str(moto_task.id),
            ip=ip,
            container=container,
            image=image,
            containers=tuple(_container(d) for d in definitions),
            stop_timeout=float(str(ours.get("stopTimeout") or DEFAULT_STOP_TIMEOUT_SECONDS)),
        )

    def _prepare(
        self, svc: state.Service, moto_task: _FargateTask, task_definition: TaskDefinition, ip: str | None, ids: Ids
    ) -> None:
        """Fill what moto's Task lacks for a Fargate service task (DescribeTasks reads these attributes)."""
        moto_task.launch_type = "FARGATE"
        moto_task.platform_family = "Linux"
        moto_task.cpu = task_definition.cpu
        moto_task.memory = task_definition.memory
        moto_task.availability_zone = self._availability_zone(moto_task)
        moto_task.version = 0
        interfaces = []
        if ip:
            interfaces = [{"attachmentId": str(_attachments(moto_task)[0]["id"]), "privateIpv4Address": ip}]
        moto_task.model_containers = [
            _ContainerView(
                container_arn=(
                    f"arn:aws:ecs:{self.region}:{self.account_id}:container/{svc.cluster}/{moto_task.id}/{ids.uuid()}"
                ),
                task_arn=moto_task.task_arn,
                name=str(definition.get("name")),
                image=str(definition.get("image")),
                cpu=str(definition.get("cpu", 0)),
                memory=_optional_int(definition.get("memory")),
                network_interfaces=interfaces,
            )
            for definition in task_definition.container_definitions
        ]
        moto_task.containers = moto_task.model_containers  # type: ignore[assignment]

    def write_task(self, task: state.Task) -> None:
        """Write the task's state into its moto Task, as DescribeTasks shows it."""
        moto_task = self._tasks[task.arn]
        moto_task.last_status = task.status
        moto_task.desired_status = task.desired_status
        moto_task.version = task.version
        moto_task.created_at = self._at(task.created_at)
        moto_task.pull_started_at = self._at(task.pending_at) if task.status != PROVISIONING else None
        moto_task.pull_stopped_at = self._at(task.started_at) if task.started_at is not None else None
        moto_task.started_at = self._at(task.started_at) if task.started_at is not None else None
        moto_task.connectivity = "CONNECTED" if task.status != PROVISIONING else None
        moto_task.connectivity_at = self._at(task.pending_at) if task.status != PROVISIONING else None
        moto_task.stopping_at = self._at(task.stopping_at) if task.stopping_at is not None else None
        moto_task.stopped_at = self._at(task.stopped_at) if task.stopped_at is not None else None
        moto_task.execution_stopped_at = moto_task.stopped_at
        moto_task.stopped_reason = task.stopped_reason or ""
        moto_task.stop_code = task.stop_code
        moto_task.health_status = task.health
        # Containers are PENDING until the task runs, and stopped from STOPPING on (modelling choice: in
        # the `fast` world they stop at once).
        container_status = {
            PROVISIONING: PENDING,
            ACTIVATING: PENDING,
            DEACTIVATING: RUNNING,
            STOPPING: STOPPED,
            DEPROVISIONING: STOPPED,
        }.get(task.status, task.status)
        for container in moto_task.model_containers:
            container.last_status = container_status
            container.image_digest = image_digest(container.image) if task.started_at is not None else None
            ours = container.name == task.container
            container_stopped = container_status == STOPPED
            container.exit_code = task.exit_code if container_stopped else None
            if container_stopped and not ours and task.exit_code is not None:
                container.exit_code = 0  # sidecars are stopped with the task
            container.reason = task.container_reason if ours else None
            container.health_status = task.healths.get(container.name, CONTAINER_UNKNOWN)
        if task.status == STOPPED:
            for attachment in _attachments(moto_task):
                attachment["status"] = "DELETED"

    def forget_task(self, task: state.Task) -> None:
        """Gone from ListTasks and DescribeTasks (which reports it MISSING: `moto_hooks.ecs_missing_tasks`)."""
        moto_task = self._tasks.pop(task.arn)
        self._ecs.tasks.get(moto_task.cluster_name, {}).pop(task.arn, None)

    def describe_task(self, task: state.Task) -> dict[str, Any]:
        """The task as DescribeTasks (without include=TAGS) shows it, written by moto's own serializer."""
        picker = XFormedAttributePicker(response_transformers={"DescribeTasksResponse.tasks.Task.tags": lambda _: None})
        serializer = _EventSerializer(_describe_tasks(), value_picker=picker)
        body = serializer.serialize({"tasks": [self._tasks[task.arn]], "failures": []})["body"]
        return cast(dict[str, Any], json.loads(body)["tasks"][0])

    def _availability_zone(self, moto_task: Task) -> str | None:
        subnets = [d["value"] for a in _attachments(moto_task) for d in a["details"] if d["name"] == "subnetId"]
        if not subnets:
            return None
        return self._ec2.get_subnet(subnets[0]).availability_zone

    # ------------------------------------------------------------------ targets

    def target_group_port(self, target_group_arn: str) -> int:
        return int(self._target_group(target_group_arn).port or 0)

    def register_target(self, target: Target) -> None:
        """Registered in moto too, so DescribeTargetHealth without Targets lists it (and, via the
        target_health hook, reports the model's state)."""
        self._target_group(target.target_group_arn).register([{"Id": target.ip, "Port": target.port}])

    def deregister_target(self, target: Target) -> None:
        target_group = self._target_group(target.target_group_arn)
        if target.ip in target_group.targets:  # unless someone deregistered it through the API already
            target_group.deregister([{"Id": target.ip}])

    # ------------------------------------------------------------------ blue/green, linear and canary

    def deployment_strategy(self, svc: state.Service) -> Strategy | None:
        """The service's deployment strategy as CreateService or UpdateService set it (validated there by
        `moto_hooks.ecs_service_deployments`)."""
        moto_service = self._services[(svc.cluster, svc.name)]
        return bluegreen.parse(getattr(moto_service, "deployment_configuration", None), moto_service.load_balancers)

    def set_forward_weights(self, rule_arn: str, weights: dict[str, float]) -> None:
        """ModifyRule through moto's ELBv2 backend: the rule's forward action sends traffic to the target groups
        by `weights` (ELBv2's ForwardActionConfig; one forward action with several groups carries no
        TargetGroupArn of its own: API_Action.html)."""
        (rule,) = self._elbv2.describe_rules(listener_arn=None, rule_arns=[rule_arn])
        actions = []
        for action in rule.actions:
            data = copy.deepcopy(action.data)
            if data.get("Type") == "forward":
                data.pop("TargetGroupArn", None)
                forward = data.setdefault("ForwardConfig", {})
                forward["TargetGroups"] = [{"TargetGroupArn": arn, "Weight": round(w)} for arn, w in weights.items()]
            actions.append(data)
        self._elbv2.modify_rule(rule_arn, [], actions)

    def invoke_hook(self, function_arn: str, payload: dict[str, Any]) -> HookAnswer:
        """Invoke the hook's function synchronously through moto's Lambda (so the local cloud's in-process
        handlers answer, `moto_hooks.lambda_invoke`): its result, or its error."""
        response_headers: dict[str, str] = {}
        try:
            body = lambda_backends[self.account_id][self.region].invoke(
                function_arn, None, json.dumps(payload), {}, response_headers
            )
        except ServiceException as exc:  # no such function, say
            return HookAnswer(error=f"{exc.code}: {exc.message}")
        text = body.decode() if isinstance(body, bytes) else str(body or "null")
        result = json.loads(text) if text else None
        if response_headers.get("x-amz-function-error"):
            error = result if isinstance(result, dict) else {}
            return HookAnswer(error=f"{error.get('errorType')}: {error.get('errorMessage')}")
        return HookAnswer(result=result)

    # ------------------------------------------------------------------ moto's backends

    @property
    def _ecs(self) -> EC2ContainerServiceBackend:
        return ecs_backends[self.account_id][self.region]

    @property
    def _ec2(self) -> EC2Backend:
        return ec2_backends[self.account_id][self.region]

    @property
    def _elbv2(self) -> ELBv2Backend:
        return elbv2_backends[self.account_id][self.region]

    def _target_group(self, arn: str) -> FakeTargetGroup:
        return self._elbv2.target_groups[arn]

    def _at(self, seconds: float) -> datetime:
        return instant(self.epoch, seconds)


# ---------------------------------------------------------------------- for the moto hooks


@dataclass(frozen=True)
class UpdatedService:
    """Where a service moto just updated lives: its backend's account and region, its cluster and name."""

    account_id: str
    region: str
    cluster: str
    service: str


def updated_service(backend: EC2ContainerServiceBackend, service: Service) -> UpdatedService:
    return UpdatedService(backend.account_id, backend.region_name, service.cluster_name, service.name)


def service_configuration(
    backend: EC2ContainerServiceBackend, cluster: str, service: str
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(deploymentConfiguration, loadBalancers) of a service moto holds, as the API last set them."""
    moto_service = backend._get_service(cluster, service)
    return getattr(moto_service, "deployment_configuration", None), list(moto_service.load_balancers)


def declare_deployment_configuration(
    backend: EC2ContainerServiceBackend, cluster: str, service: str, configuration: dict[str, Any]
) -> None:
    """Keep the deploymentConfiguration CreateService was given (moto 5.2.5 drops it), so DescribeServices
    shows it and the model reads the strategy from it."""
    setattr(backend._get_service(cluster, service), "deployment_configuration", configuration)  # noqa: B010


def target_of(target_group: FakeTargetGroup, target: dict[str, Any]) -> tuple[str, str]:
    """(target group ARN, target id) of a target DescribeTargetHealth asks about."""
    return target_group.arn, target["Id"]


def health_status(target_group: FakeTargetGroup, target: dict[str, Any], health: TargetHealth) -> FakeHealthStatus:
    """A target's health as moto's DescribeTargetHealth answers it."""
    state, reason, description = health
    return FakeHealthStatus(
        target["Id"], _port(target_group, target), target_group.health_check_port, state, reason, description
    )


def _port(target_group: FakeTargetGroup, target: dict[str, Any]) -> Any:
    """The port the caller asked about, else the one the target was registered with, else the group's."""
    if "Port" in target:
        return target["Port"]
    registered = target_group.targets.get(target["Id"]) or target_group.deregistered_targets.get(target["Id"])
    return registered["Port"] if registered else target_group.port


# ---------------------------------------------------------------------- moto's objects


class _EventSerializer(JSONSerializer):
    """moto's JSON serializer with EventBridge's ISO 8601 timestamps instead of the API's epoch seconds."""

    DEFAULT_TIMESTAMP_FORMAT = "iso8601"


@functools.cache
def _describe_tasks() -> OperationModel:
    return get_service_model("ecs").operation_model("DescribeTasks")


def _declare_configuration(moto_service: Service, spec: ServiceSpec, target_group_arn: str | None) -> None:
    """moto drops deploymentConfiguration and healthCheckGracePeriodSeconds at CreateService; put the
    spec's values back so DescribeServices shows what the model enforces."""
    # Attributes moto's Service does not declare; its serializer reads them when present.
    if not getattr(moto_service, "deployment_configuration", None):
        breaker = spec.circuit_breaker
        circuit_breaker: dict[str, Any] = {"enable": breaker.enable, "rollback": breaker.rollback}
        # The newer settings show only when the scenario sets them, as a service created without them.
        if "reset_on_healthy_task" in breaker.model_fields_set:
            circuit_breaker["resetOnHealthyTask"] = breaker.reset_on_healthy_task
        if "threshold" in breaker.model_fields_set:
            threshold = breaker.threshold
            circuit_breaker["thresholdConfiguration"] = {"type": threshold.type, "value": threshold.value}
        configuration = {
            "deploymentCircuitBreaker": circuit_breaker,
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        }
        setattr(moto_service, "deployment_configuration", configuration)  # noqa: B010
    if target_group_arn and getattr(moto_service, "health_check_grace_period_seconds", None) is None:
        setattr(moto_service, "health_check_grace_period_seconds", spec.grace_period_seconds)  # noqa: B010


def _desired_count(moto_service: Service) -> int:
    return int(moto_service.desired_count or 0)


def _container_port(moto_service: Service, target_group_arn: str | None) -> int | None:
    for balancer in moto_service.load_balancers:
        if balancer.get("targetGroupArn") == target_group_arn and balancer.get("containerPort"):
            return int(balancer["containerPort"])
    return None


def _container(definition: dict[str, Any]) -> Container:
    """A container definition as the model needs it: essential (the default) and its healthCheck, each field
    left out taking ECS's default (API_HealthCheck.html)."""
    check = definition.get("healthCheck")
    health_check = None
    if check:
        health_check = HealthCheck(
            interval=float(check.get("interval") or HEALTH_CHECK_INTERVAL_SECONDS),
            timeout=float(check.get("timeout") or HEALTH_CHECK_TIMEOUT_SECONDS),
            retries=int(check.get("retries") or HEALTH_CHECK_RETRIES),
            start_period=float(check.get("startPeriod") or HEALTH_CHECK_START_PERIOD_SECONDS),
        )
    essential = bool(definition.get("essential", True))
    return Container(name=str(definition.get("name", "")), essential=essential, health_check=health_check)


def _essential_container(task_definition: TaskDefinition, container_name: str) -> tuple[str, str]:
    """(name, image) of the service's container, else of the first essential container."""
    definitions = task_definition.container_definitions
    named = [d for d in definitions if d.get("name") == container_name]
    essential = [d for d in definitions if d.get("essential", True)]
    chosen = (named or essential or definitions)[0]
    return str(chosen.get("name", "")), str(chosen.get("image", ""))


def _attachments(moto_task: Task) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], moto_task.attachments)


def _private_ip(moto_task: Task) -> str | None:
    for attachment in _attachments(moto_task):
        for detail in attachment["details"]:
            if detail["name"] == "privateIPv4Address":
                return str(detail["value"])
    return None


def _optional_int(value: object) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None
