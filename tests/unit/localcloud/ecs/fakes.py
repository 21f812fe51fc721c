"""What the ECS model's tests share: the Phase 4 service's names, and the model on a small in-memory World."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pushdeploy_local.ecs import EcsModel, ServiceState
from pushdeploy_local.ecs.bluegreen import HookAnswer, Strategy
from pushdeploy_local.ecs.facts import COMPLETED
from pushdeploy_local.ecs.state import AdoptedService, Container, Deployment, Ids, LaunchedTask, Service, Target, Task
from pushdeploy_local.ecs.timing import TimingMode
from pushdeploy_local.scenario import Behavior, ServiceSpec

ACCOUNT = "123456789012"
REGION = "us-east-1"
CLUSTER = "aiuteur-cluster"
SERVICE = "aiuteur-backend-service"
CONTAINER = "aiuteur-backend"
TARGET_GROUP = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/aiuteur-backend-tg/1"
V1 = "sha256:" + "1" * 64
V2 = "sha256:" + "2" * 64
IMAGES = {"aiuteur-backend:1": f"repository@{V1}", "aiuteur-backend:2": f"repository@{V2}"}
REPOSITORY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/aiuteur-backend"


class FakeWorld:
    """A World without moto: the service as created, tasks with made-up ARNs and IPs, every write kept.
    `containers`: the task definition's containers as the model reads them (none: no health check)."""

    def __init__(self, spec: ServiceSpec, containers: tuple[Container, ...] = ()) -> None:
        self.containers = containers
        self.task_definition_arn = "aiuteur-backend:1"  # what the last UpdateService set
        self.desired = spec.desired_count
        self.service: Service | None = None  # as last written
        self.tasks: dict[str, Task] = {}  # every task ever launched, as last written
        self.messages: list[str] = []  # service events, newest first
        self.registered: set[str] = set()  # the target group's IPs
        self.forgotten: list[str] = []  # tasks gone from the API, in order
        self.strategy: Strategy | None = None  # the service's deployment strategy (None: ROLLING)
        self.weights: dict[str, list[dict[str, float]]] = {}  # each listener rule's weights, as set in turn
        self.hook: Callable[[str, dict[str, Any]], HookAnswer] = lambda arn, event: HookAnswer(
            {"hookStatus": "SUCCEEDED"}
        )

    def adopt_service(
        self, cluster: str, service: str, spec: ServiceSpec, target_group_arn: str | None
    ) -> AdoptedService:
        return AdoptedService(
            cluster=cluster,
            name=service,
            task_definition=self.task_definition_arn,
            desired_count=self.desired,
            container_port=3001 if target_group_arn else None,
            deployment_id=None,
        )

    def task_definition(self, svc: Service) -> str:
        return self.task_definition_arn

    def desired_count(self, svc: Service) -> int:
        return self.desired

    def write_service(self, svc: Service) -> None:
        self.service = svc

    def service_event(self, svc: Service, *, event_id: str, at: float, message: str) -> None:
        self.messages.insert(0, message)

    def launch_task(self, svc: Service, deployment: Deployment, ids: Ids) -> LaunchedTask:
        n = len(self.tasks) + 1
        image = IMAGES[deployment.task_definition]
        return LaunchedTask(
            arn=f"task/{n}",
            short_id=str(n),
            ip=f"10.0.1.{n}",
            container=CONTAINER,
            image=image,
            containers=self.containers,
        )

    def write_task(self, task: Task) -> None:
        self.tasks[task.arn] = task

    def forget_task(self, task: Task) -> None:
        self.forgotten.append(task.arn)

    def describe_task(self, task: Task) -> dict[str, Any]:
        return {"lastStatus": task.status, "desiredStatus": task.desired_status, "version": task.version}

    def target_group_port(self, target_group_arn: str) -> int:
        return 3001

    def register_target(self, target: Target) -> None:
        self.registered.add(target.ip)

    def deregister_target(self, target: Target) -> None:
        self.registered.discard(target.ip)

    def deployment_strategy(self, svc: Service) -> Strategy | None:
        return self.strategy

    def set_forward_weights(self, rule_arn: str, weights: dict[str, float]) -> None:
        self.weights.setdefault(rule_arn, []).append(dict(weights))

    def invoke_hook(self, function_arn: str, payload: dict[str, Any]) -> HookAnswer:
        return self.hook(function_arn, payload)

    @property
    def deployments(self) -> list[Deployment]:
        assert self.service is not None
        return self.service.deployments


def adopted(
    spec: ServiceSpec | None = None,
    *,
    v2: Behavior | None = None,
    containers: tuple[Container, ...] = (),
    timing: TimingMode = "fast",
    seed: int = 0,
) -> tuple[EcsModel, FakeWorld]:
    """The model with the Phase 4 service adopted (v1 running); v2 behaves as `v2` once deployed."""
    spec = spec or ServiceSpec()
    world = FakeWorld(spec, containers)
    model = EcsModel(ACCOUNT, REGION, world=world, timing=timing, seed=seed)
    if v2 is not None:
        model.set_behavior(V2, v2)
    target_group = TARGET_GROUP if spec.load_balanced else None
    model.add_service(cluster=CLUSTER, service=SERVICE, container=CONTAINER, spec=spec, target_group_arn=target_group)
    return model, world


def deploy(model: EcsModel, world: FakeWorld) -> Deployment:
    """UpdateService to v2; returns the new PRIMARY deployment."""
    world.task_definition_arn = "aiuteur-backend:2"
    model.on_update_service(CLUSTER, SERVICE)
    return world.deployments[0]


def steady_on(task_definition: str) -> ServiceState:
    """One task, RUNNING and healthy, of a COMPLETED deployment of `task_definition`."""
    return ServiceState(
        task_definition=task_definition,
        desired_count=1,
        running_count=1,
        healthy=True,
        settled=True,
        rollout_state=COMPLETED,
    )


def task_state_changes(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ECS Task State Change events among those the model sent (its deployments send their own)."""
    return [event for event in events if event["detail-type"] == "ECS Task State Change"]
