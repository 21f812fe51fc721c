"""Amazon ECS: services, task definitions and the tasks of one deployment."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from pushdeploy.adapters.aws import client, translate_throttling
from pushdeploy.errors import InvalidRequest
from pushdeploy.models import family_of
from pushdeploy.verdict import ContainerState, Deployment, TaskState

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient


def describe_service(cluster: str, service: str, *, ecs: ECSClient | None = None) -> dict[str, Any]:
    """The service as DescribeServices reports it; InvalidRequest when it does not exist or is not ACTIVE."""
    return describe_services(cluster, [service], ecs=ecs)[service]


@translate_throttling
def describe_services(cluster: str, names: list[str], *, ecs: ECSClient | None = None) -> dict[str, dict[str, Any]]:
    """Several services of one cluster, 10 a call (DescribeServices' limit); InvalidRequest names a missing one."""
    ecs = ecs or client("ecs")
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(names), 10):
        try:
            answer = ecs.describe_services(cluster=cluster, services=names[start : start + 10])
        except ClientError as exc:
            if "ClusterNotFound" in str(exc):
                raise InvalidRequest(f"cluster {cluster!r} does not exist") from exc
            raise
        found.update({s["serviceName"]: dict(s) for s in answer.get("services", []) if s.get("status") == "ACTIVE"})
    missing = [name for name in names if name not in found]
    if missing:
        raise InvalidRequest(f"service {missing[0]!r} does not exist in cluster {cluster!r} (or is not ACTIVE)")
    return found


@translate_throttling
def describe_task_definition(task_definition: str, *, ecs: ECSClient | None = None) -> dict[str, Any]:
    """The task definition with its tags folded in (RegisterTaskDefinition takes them back)."""
    ecs = ecs or client("ecs")
    try:
        answer = ecs.describe_task_definition(taskDefinition=task_definition, include=["TAGS"])
    except ClientError as exc:
        raise InvalidRequest(f"task definition {task_definition!r} cannot be read: {exc}") from exc
    definition = dict(answer["taskDefinition"])
    if answer.get("tags"):
        definition["tags"] = answer["tags"]
    return definition


@translate_throttling
def register_task_definition(definition: dict[str, Any], *, ecs: ECSClient | None = None) -> str:
    ecs = ecs or client("ecs")
    answer = ecs.register_task_definition(**definition)
    return str(answer["taskDefinition"]["taskDefinitionArn"])


@translate_throttling
def latest_task_definition_arn(family: str, *, ecs: ECSClient | None = None) -> str | None:
    ecs = ecs or client("ecs")
    answer = ecs.list_task_definitions(familyPrefix=family, status="ACTIVE", sort="DESC", maxResults=1)
    arns = [a for a in answer.get("taskDefinitionArns", []) if family_of(a) == family]
    return arns[0] if arns else None


@translate_throttling
def update_service(
    cluster: str,
    service: str,
    task_definition: str,
    deployment_configuration: dict[str, Any] | None = None,
    *,
    ecs: ECSClient | None = None,
) -> dict[str, Any]:
    """UpdateService to `task_definition`; with `deployment_configuration`, the deployment's configuration too
    (a native strategy: it starts ECS's blue/green, linear or canary deployment)."""
    ecs = ecs or client("ecs")
    extra: dict[str, Any] = {"deploymentConfiguration": deployment_configuration} if deployment_configuration else {}
    return dict(
        ecs.update_service(cluster=cluster, service=service, taskDefinition=task_definition, **extra)["service"]
    )


@translate_throttling
def newest_service_deployment(cluster: str, service: str, *, ecs: ECSClient | None = None) -> str | None:
    """The ARN of the service's newest service deployment (by createdAt), the one an UpdateService just started.
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListServiceDeployments.html"""
    ecs = ecs or client("ecs")
    answer = ecs.list_service_deployments(cluster=cluster, service=service)
    found = sorted(
        answer.get("serviceDeployments", []), key=lambda d: d.get("createdAt") or datetime.min.replace(tzinfo=UTC)
    )
    return str(found[-1]["serviceDeploymentArn"]) if found else None


@translate_throttling
def describe_service_deployment(arn: str, *, ecs: ECSClient | None = None) -> dict[str, Any]:
    """One service deployment: its status, lifecycleStage, rollback and target revision.
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServiceDeployments.html"""
    ecs = ecs or client("ecs")
    answer = ecs.describe_service_deployments(serviceDeploymentArns=[arn])
    found = answer.get("serviceDeployments", [])
    if not found:
        failures = "; ".join(f"{f.get('reason')}: {f.get('detail', '')}" for f in answer.get("failures", []))
        raise InvalidRequest(f"service deployment {arn} cannot be described: {failures or 'not found'}")
    return dict(found[0])


def deployments(service: dict[str, Any]) -> list[Deployment]:
    return [
        Deployment(
            id=d["id"],
            task_definition=d["taskDefinition"],
            status=d["status"],
            rollout_state=d.get("rolloutState"),
            rollout_state_reason=d.get("rolloutStateReason"),
            desired=d.get("desiredCount", 0),
            running=d.get("runningCount", 0),
            pending=d.get("pendingCount", 0),
            failed_tasks=d.get("failedTasks", 0),
            created_at=d.get("createdAt"),
        )
        for d in service.get("deployments", [])
    ]


def recent_events(service: dict[str, Any], limit: int = 10) -> list[str]:
    return [f"{_iso(e.get('createdAt'))} {e['message']}" for e in service.get("events", [])[:limit]]


@translate_throttling
def list_deployment_tasks(
    cluster: str, deployment_id: str, desired_status: str = "RUNNING", *, ecs: ECSClient | None = None
) -> list[str]:
    """ARNs of one deployment's tasks (service tasks carry the deployment id in startedBy)."""
    ecs = ecs or client("ecs")
    answer = ecs.list_tasks(
        cluster=cluster,
        startedBy=deployment_id,
        desiredStatus=desired_status,
        maxResults=100,  # type: ignore[arg-type]
    )
    return list(answer.get("taskArns", []))


@translate_throttling
def describe_tasks(cluster: str, arns: list[str], *, ecs: ECSClient | None = None) -> list[TaskState]:
    if not arns:
        return []
    ecs = ecs or client("ecs")
    return [task_state(t) for t in ecs.describe_tasks(cluster=cluster, tasks=arns[:100]).get("tasks", [])]


def task_state(task: dict[str, Any]) -> TaskState:
    """A task as DescribeTasks shows it, or as an ECS Task State Change event's detail carries it."""
    return TaskState(
        task_arn=task["taskArn"],
        task_id=task["taskArn"].rsplit("/", 1)[-1],
        task_definition=task["taskDefinitionArn"],
        last_status=task.get("lastStatus", "UNKNOWN"),
        desired_status=task.get("desiredStatus", "UNKNOWN"),
        ip=_private_ip(task),
        health_status=task.get("healthStatus"),
        stopped_reason=task.get("stoppedReason"),
        stop_code=task.get("stopCode"),
        stopped_at=task.get("stoppedAt"),
        containers=[
            ContainerState(
                name=c.get("name", "?"),
                exit_code=c.get("exitCode"),
                reason=c.get("reason"),
                health_status=c.get("healthStatus"),
            )
            for c in task.get("containers", [])
        ],
    )


def _private_ip(task: dict[str, Any]) -> str | None:
    for attachment in task.get("attachments", []):
        for detail in attachment.get("details", []):
            if detail.get("name") == "privateIPv4Address":
                return str(detail["value"])
    return None


def _iso(moment: Any) -> str:
    return moment.astimezone(UTC).strftime("%H:%M:%SZ") if isinstance(moment, datetime) else ""
