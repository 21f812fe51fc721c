"""The scenario file of the local cloud, as pydantic models (contract: docs in scenarios.md).

Every model forbids unknown fields, so a typo is reported by name instead of being ignored.
`load_scenario` turns any problem with the file into a `ScenarioError` whose message names the field,
which the CLI prints before exiting with status 2.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pushdeploy.models import Strategy, StrategyKind

# The Phase 4 guide's service, which the local cloud holds (scenarios.md, "Defaults"): template.yaml's
# RepositoryName, ClusterName, ServiceName, ContainerName and TaskFamily defaults, which the local cloud
# builds with (tests/integration/test_local_stack.py checks that they agree).
DEFAULT_REPOSITORY = "aiuteur-backend"
DEFAULT_CLUSTER = "aiuteur-cluster"
DEFAULT_SERVICE = "aiuteur-backend-service"
DEFAULT_CONTAINER = "aiuteur-backend"
DEFAULT_INITIAL_TAG = "v1"
DEFAULT_FAMILY = "aiuteur-backend"  # the Phase 4 guide's task definition family
DEFAULT_SCENARIO_NAME = "scenario"


class ScenarioError(ValueError):
    """The scenario file cannot be used; the message names the file and the bad field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HealthCheck(_Strict):
    # The Phase 4 guide's target group: interval 30 s, healthy 2, unhealthy 3. Bounds are the ALB's
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html).
    interval_seconds: int = Field(default=30, ge=5, le=300)
    healthy_threshold: int = Field(default=2, ge=2, le=10)
    unhealthy_threshold: int = Field(default=3, ge=2, le=10)


class CircuitBreakerThreshold(_Strict):
    """ECS's thresholdConfiguration: how many failed tasks trip the circuit breaker. BOUNDED_PERCENT:
    `value` % of the desired count, clamped to 3..200 (the default, 50 %); UNBOUNDED_PERCENT: the same
    without the clamp; COUNT: `value` itself (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ThresholdConfiguration.html,
    aws-facts.md, "Circuit breaker")."""

    type: Literal["BOUNDED_PERCENT", "UNBOUNDED_PERCENT", "COUNT"] = "BOUNDED_PERCENT"
    # Modelling choice: at least 1 (AWS documents an integer; 0 would fail a deployment that has not failed).
    value: int = Field(default=50, ge=1)


class CircuitBreaker(_Strict):
    enable: bool = True
    rollback: bool = True
    threshold: CircuitBreakerThreshold = CircuitBreakerThreshold()
    # resetOnHealthyTask: a task of the deployment that reaches a healthy state resets its failed-task
    # count to 0, so only consecutive failures trip it (default true; API_DeploymentCircuitBreaker.html).
    reset_on_healthy_task: bool = True


class Traffic(_Strict):
    """Requests the load balancer receives for the service, routed by its listener's forward weights
    (pushdeploy_local.traffic)."""

    # Modelling choice: at most 10,000 per second, far above what one Fargate service of the model serves.
    requests_per_second: float = Field(gt=0, le=10_000)


class ServiceSpec(_Strict):
    desired_count: int = Field(default=1, ge=0, le=100)
    health_check: HealthCheck = HealthCheck()
    # The Phase 4 guide's healthCheckGracePeriodSeconds.
    grace_period_seconds: int = Field(default=60, ge=0, le=2_147_483_647)
    # Our template sets deregistration_delay.timeout_seconds to 30 s (the ALB default is 300 s,
    # aws-facts.md), so old tasks drain for 30 s. ALB bounds: 0-3600 s.
    deregistration_delay_seconds: int = Field(default=30, ge=0, le=3600)
    circuit_breaker: CircuitBreaker = CircuitBreaker()
    # False models a worker service: no target group, a task is healthy once RUNNING.
    load_balanced: bool = True
    # None: no requests (no ALB metric is published: "If there are no requests flowing through the load
    # balancer ... the metric is not reported", load-balancer-cloudwatch-metrics.html).
    traffic: Traffic | None = None

    @model_validator(mode="after")
    def _traffic_needs_a_load_balancer(self) -> Self:
        if self.traffic is not None and not self.load_balanced:
            raise ValueError("`traffic` reaches a service through its load balancer: it needs `load_balanced`: true")
        return self


class DeploymentSpec(_Strict):
    """`service.deployment` (scenarios.md, part 2): the Phase 4 service's ECS deployment strategy. A native one
    (`blue_green`, `linear`, `canary`) builds the stack with DeploymentStrategy=BLUE_GREEN (the second target
    group, the listener rules and pushdeploy's hook) and gives the service's target that strategy; the fields
    are the target's (pushdeploy.models.Strategy: ECS's units and limits, in seconds)."""

    strategy: StrategyKind = "rolling"
    canary_percent: float = 5.0
    canary_bake_seconds: int = 600
    linear_step_percent: float = 10.0
    linear_interval_seconds: int = 360
    bake_seconds: int = 0

    @model_validator(mode="after")
    def _within_ecs_limits(self) -> Self:
        try:
            self.target_strategy()
        except ValidationError as exc:  # ECS's limits, as the target's Strategy states them: named by field
            raise ValueError("; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())) from exc
        return self

    def target_strategy(self) -> Strategy:
        fields = self.model_dump(exclude={"strategy"})
        return Strategy(kind=self.strategy, **fields)

    @property
    def native(self) -> bool:
        return self.strategy != "rolling"


class MainServiceSpec(ServiceSpec):
    """The Phase 4 service: a service's spec and, for it alone, its deployment strategy."""

    deployment: DeploymentSpec = DeploymentSpec()


# What the container health check of the task definition (template.yaml: BusyBox `wget` of the health path,
# the ALB's path too) gets from a behaviour's container: `passes`, or `fails` (the command exits non-zero).
# A behaviour that answers its health path passes by default, `unhealthy` fails by default; `fails` on a
# healthy image is a check that cannot succeed although the application serves (the Phase 4 guide's
# `curl -f` on node:20-alpine, which has no curl: docs/template.md).
ContainerCheck = Literal["passes", "fails"]


class Healthy(_Strict):
    """RUNNING after `start_seconds`, then answers the health check."""

    kind: Literal["healthy"] = "healthy"
    start_seconds: float = Field(default=30, ge=0)
    container_check: ContainerCheck = "passes"


class Crash(_Strict):
    """RUNNING, then the essential container exits with `exit_code` after `crash_after_seconds`."""

    kind: Literal["crash"]
    start_seconds: float = Field(default=30, ge=0)
    crash_after_seconds: float = Field(default=5, ge=0)
    exit_code: int = Field(default=1, ge=0, le=255)
    container_check: ContainerCheck = "passes"


class Unhealthy(_Strict):
    """RUNNING, but every health check gets a wrong status code (Target.ResponseCodeMismatch); the
    container health check, which fetches the same path, fails too unless `container_check` says otherwise."""

    kind: Literal["unhealthy"]
    start_seconds: float = Field(default=30, ge=0)
    container_check: ContainerCheck = "fails"


class PullError(_Strict):
    """Never RUNNING: the image pull fails (CannotPullContainerError) after `start_seconds`."""

    kind: Literal["pull_error"]
    start_seconds: float = Field(default=20, ge=0)


class LateCrash(_Strict):
    """Healthy, then the essential container exits after `crash_after_seconds` of running."""

    kind: Literal["late_crash"]
    start_seconds: float = Field(default=30, ge=0)
    crash_after_seconds: float = Field(default=120, ge=0)
    exit_code: int = Field(default=1, ge=0, le=255)
    container_check: ContainerCheck = "passes"


class Errors(_Strict):
    """Healthy on the health-check path, but `error_rate` of the requests it serves are answered 5XX."""

    kind: Literal["errors"]
    error_rate: float = Field(ge=0, le=1)
    start_seconds: float = Field(default=30, ge=0)
    container_check: ContainerCheck = "passes"


class Slow(_Strict):
    """Healthy on the health-check path, but its response times have `p99_ms` as their 99th percentile (the
    healthy distribution's shape, scaled: pushdeploy_local.traffic)."""

    kind: Literal["slow"]
    p99_ms: float = Field(gt=0, le=120_000)
    start_seconds: float = Field(default=30, ge=0)
    container_check: ContainerCheck = "passes"


Behavior = Annotated[Healthy | Crash | Unhealthy | PullError | LateCrash | Errors | Slow, Field(discriminator="kind")]
BEHAVIOR_KINDS = frozenset({"healthy", "crash", "unhealthy", "pull_error", "late_crash", "errors", "slow"})


class InitialImage(_Strict):
    tag: str = Field(default=DEFAULT_INITIAL_TAG, min_length=1)
    behavior: Behavior = Healthy()


# Fields that describe an ECR push; a raw `event` or `input` entry carries them in its payload instead.
_PUSH_ONLY_FIELDS = ("tag", "repository", "untagged", "result", "manual", "retag_of")
# What an `approve` or `abort` entry may set besides itself: it pushes nothing.
_ANSWER_FIELDS = frozenset({"at_seconds", "approve", "abort"})


class Push(_Strict):
    """One entry of `pushes`: an ECR push described by its fields, or a raw event / console input; or, with
    `approve` or `abort`, `pushdeploy approve` (or `abort`) of every deployment that waits for approval then."""

    at_seconds: float = Field(default=0, ge=0)
    tag: str | None = Field(default=None, min_length=1)
    behavior: Behavior = Healthy()
    # Service name -> how that service's tasks of this image behave; the other services take `behavior`.
    behavior_by_service: dict[str, Behavior] = Field(default_factory=dict)
    repository: str | None = Field(default=None, min_length=1)
    untagged: bool = False
    result: Literal["SUCCESS", "FAILURE"] = "SUCCESS"
    # The same EventBridge event delivered N times (delivery is at least once, aws-facts.md).
    duplicate: int = Field(default=1, ge=1, le=20)
    manual: bool = False
    # Push no new image: put the image the tag `retag_of` names now under `tag` too (ECR's re-tag, same digest;
    # its behaviour stays the image's own).
    retag_of: str | None = Field(default=None, min_length=1)
    event: dict[str, Any] | None = None
    input: dict[str, Any] | None = None
    approve: bool = False
    abort: bool = False

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        if self.approve and self.abort:
            raise ValueError("an entry either approves or aborts, not both")
        if self.answers is not None:
            given = sorted(self.model_fields_set - _ANSWER_FIELDS)
            if given:
                raise ValueError(f"an `{self.answers}` entry pushes nothing; it cannot also set {', '.join(given)}")
            return self
        if self.event is not None and self.input is not None:
            raise ValueError("give either `event` or `input`, not both")
        if self.is_raw:
            given = [name for name in _PUSH_ONLY_FIELDS if name in self.model_fields_set]
            if given:
                raise ValueError(f"a raw `event`/`input` entry is sent as it is; it cannot also set {', '.join(given)}")
            return self
        if self.untagged and self.tag is not None:
            raise ValueError("an untagged push has no `tag`")
        if not self.untagged and self.tag is None:
            raise ValueError("`tag` is required (or `untagged`: true, or a raw `event`/`input`)")
        if (
            self.retag_of is not None
            and {"untagged", "result", "behavior", "behavior_by_service"} & self.model_fields_set
        ):
            raise ValueError(
                "`retag_of` gives an existing image a new `tag`: no `untagged`, `result`, `behavior` or "
                "`behavior_by_service`"
            )
        return self

    @property
    def answers(self) -> Literal["approve", "abort"] | None:
        """What an approval entry answers with; None for a push."""
        return "approve" if self.approve else "abort" if self.abort else None

    @property
    def is_raw(self) -> bool:
        return self.event is not None or self.input is not None

    @property
    def repository_name(self) -> str:
        return self.repository or DEFAULT_REPOSITORY


@dataclass(frozen=True)
class Defaults:
    """Names the scenario file cannot change (scenarios.md, "Defaults")."""

    repository: str = DEFAULT_REPOSITORY
    cluster: str = DEFAULT_CLUSTER
    service: str = DEFAULT_SERVICE
    container: str = DEFAULT_CONTAINER
    family: str = DEFAULT_FAMILY


@dataclass(frozen=True)
class ServiceTarget:
    """A service the local cloud creates and the deployer watches."""

    name: str
    container: str
    family: str
    spec: ServiceSpec
    target_container: str  # the container its target names (`container` unless the scenario says otherwise)
    deployer: DeployerSettings  # its target's tags and policy


class DeployerSettings(_Strict):
    """How the deployer watches the scenario's services (pushdeploy's addition to scenarios.md); the
    defaults are the targets configuration's defaults."""

    tags: list[str] = Field(default_factory=lambda: ["*"], min_length=1)
    deadline_seconds: int = Field(default=1800, ge=60, le=86400)
    bake_seconds: int = Field(default=0, ge=0, le=3600)
    watch_seconds: int = Field(default=300, ge=0, le=3600)
    failure_budget: int = Field(default=1, ge=1, le=100)
    lock_wait_seconds: int = Field(default=9000, ge=60, le=10800)
    # CloudWatch alarm names the target's policy watches (HealthPolicy.alarms: one in ALARM fails a rollout).
    alarms: list[Annotated[str, Field(min_length=1, max_length=255)]] = Field(default_factory=list, max_length=20)
    # A deployment waits for approval before UpdateService (HealthPolicy.approval), at most this long.
    approval: bool = False
    approval_timeout_seconds: int = Field(default=3600, ge=60, le=86400)

    def policy(self) -> dict[str, Any]:
        policy: dict[str, Any] = {
            "deadline_seconds": self.deadline_seconds,
            "bake_seconds": self.bake_seconds,
            "watch_seconds": self.watch_seconds,
            "failure_budget": self.failure_budget,
            "lock_wait_seconds": self.lock_wait_seconds,
            "alarms": list(self.alarms),
        }
        # Only when asked for: each target's policy counts against SSM's 4,096 characters.
        if self.approval or "approval_timeout_seconds" in self.model_fields_set:
            policy["approval"] = self.approval
            policy["approval_timeout_seconds"] = self.approval_timeout_seconds
        return policy

    def overridden_by(self, own: DeployerSettings | None) -> DeployerSettings:
        """These settings with what a service's own `deployer` names in their place (field by field)."""
        if own is None:
            return self
        return self.model_copy(update={name: getattr(own, name) for name in own.model_fields_set})


class ExtraService(ServiceSpec):
    """Another service that runs the same image (pushdeploy's addition to scenarios.md): the Aiuteur
    backend's job executor, say, or a worker with no load balancer (`load_balanced: false`)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,255}$")
    container: str = Field(default=DEFAULT_CONTAINER, pattern=r"^[A-Za-z0-9_-]{1,255}$")
    # Its own deployer settings, field by field over the top-level `deployer`, for its target only.
    deployer: DeployerSettings | None = None
    # The container its target names (default: `container`); one its task definition lacks is a stale target.
    target_container: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,255}$")


class EventDelivery(_Strict):
    """How EventBridge delivers the ECS task state-change events: best effort, so late, lost or twice
    (aws-facts.md, "EventBridge"; https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_cwe_events.html).
    The defaults deliver every event once, at once, in order."""

    # Each delivery (a duplicate too) waits a delay drawn uniformly from [min, max]; different delays
    # reorder events. Modelling choice: AWS publishes no delay figure, an hour bounds any plausible one.
    delay_seconds: tuple[float, float] = (0.0, 0.0)
    loss_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    duplicate_rate: float = Field(default=0.0, ge=0.0, le=1.0)

    @field_validator("delay_seconds")
    @classmethod
    def _delay_range(cls, delay: tuple[float, float]) -> tuple[float, float]:
        low, high = delay
        if not 0 <= low <= high <= 3600:
            raise ValueError(f"must be [min, max] with 0 <= min <= max <= 3600, not [{low:g}, {high:g}]")
        return delay


class WorldSettings(_Strict):
    """How the world around the deployer behaves (scenarios.md, part 2)."""

    # Seeds the model's ids and every draw (event delays, losses, duplicates, realistic durations), so a
    # run replays exactly.
    seed: int = Field(default=0, ge=0)
    events: EventDelivery = EventDelivery()
    # `fast`: the fixed durations every test was written against (a behaviour's `start_seconds` split into
    # PROVISIONING, PENDING and ACTIVATING; the stop states instantaneous; replacements after 15 s).
    # `realistic`: Fargate's provisioning, image pull, ACTIVATING, STOPPING, DEPROVISIONING and the
    # scheduler's replacement delay drawn with `seed` from the ranges of `pushdeploy_local.ecs.facts`
    # (a behaviour's `start_seconds`, when the scenario sets it, still fixes the whole start).
    timing: Literal["fast", "realistic"] = "fast"


class Removal(_Strict):
    """A permission taken out of a function's role for one run: `action` from the statements of
    `function`'s role that grant it by name."""

    function: str = Field(min_length=1)
    action: str = Field(min_length=1)

    @model_validator(mode="after")
    def _granted(self) -> Self:
        from pushdeploy_local.iam.stack import granting  # reads template.yaml through the SAM transform

        refused = granting(self.function, self.action)
        if refused:
            raise ValueError(refused)
        return self


class IamSettings(_Strict):
    """IAM in the local cloud (scenarios.md, "IAM"): enforced on every call; `remove` takes permissions out."""

    remove: list[Removal] = Field(default_factory=list, max_length=50)


class RepositorySettings(_Strict):
    """The stack's ECR repository (pushdeploy's addition to scenarios.md, "repository"): its tag mutability (the
    template's ImageTagMutability) and a lifecycle policy, PutLifecyclePolicy's document as JSON (AWS's rules:
    https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html)."""

    tag_mutability: Literal["MUTABLE", "IMMUTABLE"] = "MUTABLE"
    lifecycle_policy: dict[str, Any] | None = None


class Fault(_Strict):
    """A step's handler crashes `times` times: `before` it does anything, or `after` its work (its AWS calls
    made, its answer lost), as a Lambda invocation that dies does. The state machine's Retry and Catch decide."""

    step: str = Field(min_length=1)  # a function of the template without "Function": Register, Check, Wake, ...
    when: Literal["before", "after"]
    times: int = Field(default=1, ge=1, le=100)

    @field_validator("step")
    @classmethod
    def _known(cls, step: str) -> str:
        from pushdeploy_local.iam.stack import role_policies  # reads template.yaml through the SAM transform

        known = sorted(f.removesuffix("Function") for f in role_policies().roles if f.endswith("Function"))
        if step not in known:
            raise ValueError(f"no step {step!r} (the steps: {', '.join(known)})")
        return step

    @property
    def function(self) -> str:
        """The template's logical id of the step's function."""
        return f"{self.step}Function"


class AlarmState(_Strict):
    """A CloudWatch alarm the local cloud creates (PutMetricAlarm) and sets to `state` at `at_seconds`
    (SetAlarmState), as its metric would. Until its first entry's time it is INSUFFICIENT_DATA, a new
    alarm's state (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html)."""

    # AlarmName: 1-255 characters (API_PutMetricAlarm.html).
    name: str = Field(min_length=1, max_length=255)
    state: Literal["ALARM", "OK", "INSUFFICIENT_DATA"]
    at_seconds: float = Field(default=0, ge=0)


class Scenario(_Strict):
    name: str = Field(default=DEFAULT_SCENARIO_NAME, min_length=1)
    world: WorldSettings = WorldSettings()
    repository: RepositorySettings = RepositorySettings()
    service: MainServiceSpec = MainServiceSpec()
    extra_services: list[ExtraService] = Field(default_factory=list, max_length=20)
    deployer: DeployerSettings = DeployerSettings()
    iam: IamSettings = IamSettings()
    faults: list[Fault] = Field(default_factory=list, max_length=20)
    alarms: list[AlarmState] = Field(default_factory=list, max_length=100)
    initial: InitialImage = InitialImage()
    pushes: list[Push]

    @property
    def defaults(self) -> Defaults:
        return Defaults()

    def all_services(self) -> list[ServiceTarget]:
        """The Phase 4 guide's service, shaped by `service`, then the `extra_services`."""
        names = self.defaults
        main = ServiceTarget(
            name=names.service,
            container=names.container,
            family=names.family,
            spec=self.service,
            target_container=names.container,
            deployer=self.deployer,
        )
        extra = [
            ServiceTarget(
                name=s.name,
                container=s.container,
                family=s.name.removesuffix("-service"),
                spec=ServiceSpec(**s.model_dump(exclude={"name", "container", "deployer", "target_container"})),
                target_container=s.target_container or s.container,
                deployer=self.deployer.overridden_by(s.deployer),
            )
            for s in self.extra_services
        ]
        names_seen = [main.name, *(t.name for t in extra)]
        if len(set(names_seen)) != len(names_seen):
            raise ScenarioError("extra_services: each service needs its own name")
        return [main, *extra]

    def unknown_services(self) -> list[str]:
        """Each `pushes[].behavior_by_service` key that names none of the scenario's services, with its field."""
        known = {t.name for t in self.all_services()}
        return [
            f"pushes.{index}.behavior_by_service: no service {name!r} (the services: {', '.join(sorted(known))})"
            for index, push in enumerate(self.pushes)
            for name in push.behavior_by_service
            if name not in known
        ]


def parse_scenario(data: object, *, default_name: str = DEFAULT_SCENARIO_NAME) -> Scenario:
    """Validate an already-decoded scenario; a missing `name` becomes `default_name`."""
    if isinstance(data, dict) and "name" not in data:
        data = {**data, "name": default_name}
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_describe(exc)) from exc
    unknown = scenario.unknown_services()
    if unknown:
        raise ScenarioError("; ".join(unknown))
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; its name defaults to the file's stem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario file: {exc.strerror}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path}: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    try:
        return parse_scenario(data, default_name=path.stem)
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: {exc}") from exc


def _describe(exc: ValidationError) -> str:
    return "; ".join(f"{_field_path(error)}: {error['msg']}" for error in exc.errors())


def _is_behavior(before: list[str]) -> bool:
    """Whether the field after `before` is a behaviour: `behavior`, or a service's in `behavior_by_service`."""
    return bool(before) and (before[-1] == "behavior" or (len(before) > 1 and before[-2] == "behavior_by_service"))


def _field_path(error: Any) -> str:
    """The field as the user wrote it, e.g. `pushes.0.behavior.kind`.

    pydantic puts the matched tag of a discriminated union in the location
    (`behavior.crash.exit_code`); the user never wrote `crash` there, so it is dropped. A bad or missing
    tag is reported on the union itself; the user's field is `kind`.
    """
    loc = [str(part) for part in error["loc"]]
    path = [part for i, part in enumerate(loc) if not (part in BEHAVIOR_KINDS and _is_behavior(loc[:i]))]
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        path.append("kind")
    return ".".join(path) or "(scenario)"
