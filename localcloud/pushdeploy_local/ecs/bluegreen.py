"""ECS's own blue/green, linear and canary deployments: their configuration, their data and their API view.

Since July 2025 ECS shifts traffic itself: `deploymentConfiguration.strategy` BLUE_GREEN, LINEAR or CANARY
with `loadBalancers[].advancedConfiguration` (the alternate target group, the production and test listener
rules, the role ECS uses to modify them), a bake time, and Lambda lifecycle hooks at the deployment's stages
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-blue-green.html,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-lifecycle-hooks.html). moto 5.2.5 has
none of it. This module holds the configuration as ECS validates it (`parse`), a deployment's lifecycle as
plain data (`ServiceDeployment`, its `plan` of steps, its hook runs) and how DescribeServiceDeployments and
the hooks' payload show it; the rules that walk the plan on the virtual clock are `behaviour.EcsModel`'s.

Every limit below is the API reference's (botocore's ECS model carries the same text): the strategies and
bake time (API_DeploymentConfiguration.html), LinearConfiguration and CanaryConfiguration
(API_LinearConfiguration.html, API_CanaryConfiguration.html), the hooks (API_DeploymentLifecycleHook.html,
API_DeploymentLifecycleHookTimeoutConfiguration.html) and AdvancedConfiguration (API_AdvancedConfiguration.html).
AWS publishes the rules, not the words of its InvalidParameterException messages: the messages here name
the field and the rule.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

ROLLING = "ROLLING"
BLUE_GREEN = "BLUE_GREEN"
LINEAR = "LINEAR"
CANARY = "CANARY"
STRATEGIES = (ROLLING, BLUE_GREEN, LINEAR, CANARY)

# ServiceDeployment.lifecycleStage (API_ServiceDeployment.html), in the order a deployment walks them.
RECONCILE_SERVICE = "RECONCILE_SERVICE"
PRE_SCALE_UP = "PRE_SCALE_UP"
SCALE_UP = "SCALE_UP"
POST_SCALE_UP = "POST_SCALE_UP"
TEST_TRAFFIC_SHIFT = "TEST_TRAFFIC_SHIFT"
POST_TEST_TRAFFIC_SHIFT = "POST_TEST_TRAFFIC_SHIFT"
PRE_PRODUCTION_TRAFFIC_SHIFT = "PRE_PRODUCTION_TRAFFIC_SHIFT"  # a hook stage only, not a lifecycleStage
PRODUCTION_TRAFFIC_SHIFT = "PRODUCTION_TRAFFIC_SHIFT"
POST_PRODUCTION_TRAFFIC_SHIFT = "POST_PRODUCTION_TRAFFIC_SHIFT"
BAKE_TIME = "BAKE_TIME"
CLEAN_UP = "CLEAN_UP"
HOOK_STAGES = (
    RECONCILE_SERVICE,
    PRE_SCALE_UP,
    POST_SCALE_UP,
    TEST_TRAFFIC_SHIFT,
    POST_TEST_TRAFFIC_SHIFT,
    PRE_PRODUCTION_TRAFFIC_SHIFT,
    PRODUCTION_TRAFFIC_SHIFT,
    POST_PRODUCTION_TRAFFIC_SHIFT,
)
# "PAUSE hooks cannot be configured at TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT stages"
# (API_DeploymentLifecycleHook.html).
NOT_FOR_PAUSE = (TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT)

# ServiceDeployment.status (API_ServiceDeployment.html).
PENDING = "PENDING"
IN_PROGRESS = "IN_PROGRESS"
SUCCESSFUL = "SUCCESSFUL"
STOPPED = "STOPPED"
ROLLBACK_REQUESTED = "ROLLBACK_REQUESTED"
ROLLBACK_IN_PROGRESS = "ROLLBACK_IN_PROGRESS"
ROLLBACK_SUCCESSFUL = "ROLLBACK_SUCCESSFUL"
ROLLBACK_FAILED = "ROLLBACK_FAILED"
FINAL_STATUSES = (SUCCESSFUL, STOPPED, ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED)

# A hook's answer (lambda-lifecycle-hooks.html) and a hook run's status (API_DeploymentLifecycleHookDetail.html).
HOOK_SUCCEEDED = "SUCCEEDED"
HOOK_FAILED = "FAILED"
HOOK_IN_PROGRESS = "IN_PROGRESS"
HOOK_TIMED_OUT = "TIMED_OUT"
HOOK_AWAITING_ACTION = "AWAITING_ACTION"
AWS_LAMBDA = "AWS_LAMBDA"
PAUSE = "PAUSE"
CONTINUE = "CONTINUE"
ROLLBACK = "ROLLBACK"

# "By default, the delay is 30 seconds" (lambda-lifecycle-hooks.html).
DEFAULT_CALLBACK_DELAY_SECONDS = 30.0
# timeoutInMinutes "Default: 1440 (24 hours)", action "Default: ROLLBACK"
# (API_DeploymentLifecycleHookTimeoutConfiguration.html).
DEFAULT_HOOK_TIMEOUT_MINUTES = 1440
# stepPercent: "multiples of 0.1 from 3.0 to 100.0. The default value is 10.0"; stepBakeTimeInMinutes "0 to
# 1440 ... The default value is 6" (API_LinearConfiguration.html). canaryPercent: "multiples of 0.1 from 0.1 to
# 100.0. The default value is 5.0"; canaryBakeTimeInMinutes "0 to 1440 ... The default value is 10"
# (API_CanaryConfiguration.html).
LINEAR_STEP_PERCENT = (3.0, 100.0, 10.0)
CANARY_PERCENT = (0.1, 100.0, 5.0)
MAX_BAKE_MINUTES = 1440
DEFAULT_LINEAR_BAKE_MINUTES = 6
DEFAULT_CANARY_BAKE_MINUTES = 10


class InvalidStrategy(ValueError):
    """A request ECS refuses with InvalidParameterException."""


class DeploymentConflict(ValueError):
    """A request about a deployment that is no longer in progress: ECS's ConflictException."""


@dataclass(frozen=True)
class Hook:
    """A lifecycle hook as configured (API_DeploymentLifecycleHook.html)."""

    target_type: str  # AWS_LAMBDA | PAUSE
    target_arn: str | None
    role_arn: str | None
    stages: tuple[str, ...]
    details: Any
    timeout_seconds: float
    timeout_action: str  # CONTINUE | ROLLBACK


@dataclass(frozen=True)
class Advanced:
    """A load balancer's advancedConfiguration (API_AdvancedConfiguration.html)."""

    target_group_arn: str  # the load balancer's own targetGroupArn
    alternate_target_group_arn: str
    production_listener_rule: str
    test_listener_rule: str | None
    role_arn: str


@dataclass(frozen=True)
class Strategy:
    """A service's BLUE_GREEN, LINEAR or CANARY deployment configuration, validated, in seconds."""

    name: str
    bake_seconds: float
    production_steps: tuple[float, ...]  # the green revision's production weight after each shift, ending at 100
    step_bake_seconds: float  # between two shifts (not after the last)
    hooks: tuple[Hook, ...]
    advanced: Advanced
    configuration: dict[str, Any]  # as the caller gave it, for DescribeServiceDeployments

    def hooks_at(self, stage: str) -> tuple[Hook, ...]:
        return tuple(hook for hook in self.hooks if stage in hook.stages)


def parse(configuration: dict[str, Any] | None, load_balancers: list[dict[str, Any]] | None) -> Strategy | None:
    """The service's deployment strategy as ECS validates it at CreateService and UpdateService; None for ROLLING
    (or no strategy, which is ROLLING). Raises InvalidStrategy naming the field and the rule."""
    configuration = configuration or {}
    name = configuration.get("strategy") or ROLLING
    if name not in STRATEGIES:
        raise InvalidStrategy(f"deploymentConfiguration.strategy {name!r} is not one of {', '.join(STRATEGIES)}.")
    hooks = tuple(_hook(i, hook) for i, hook in enumerate(configuration.get("lifecycleHooks") or []))
    if name == ROLLING:
        return None
    bake = configuration.get("bakeTimeInMinutes")
    if bake is None and name == BLUE_GREEN:
        # "You must provide this parameter when you use the BLUE_GREEN deployment strategy."
        raise InvalidStrategy("deploymentConfiguration.bakeTimeInMinutes is required with the BLUE_GREEN strategy.")
    bake_minutes = _minutes("deploymentConfiguration.bakeTimeInMinutes", bake, 0)
    steps: tuple[float, ...] = (100.0,)
    step_bake_minutes = 0
    if name == LINEAR:
        linear = configuration.get("linearConfiguration") or {}
        step = _percent("linearConfiguration.stepPercent", linear.get("stepPercent"), LINEAR_STEP_PERCENT)
        steps = _linear_steps(step)
        step_bake_minutes = _minutes(
            "linearConfiguration.stepBakeTimeInMinutes",
            linear.get("stepBakeTimeInMinutes"),
            DEFAULT_LINEAR_BAKE_MINUTES,
        )
    elif name == CANARY:
        canary = configuration.get("canaryConfiguration") or {}
        percent = _percent("canaryConfiguration.canaryPercent", canary.get("canaryPercent"), CANARY_PERCENT)
        steps = (percent, 100.0) if percent < 100.0 else (100.0,)
        step_bake_minutes = _minutes(
            "canaryConfiguration.canaryBakeTimeInMinutes",
            canary.get("canaryBakeTimeInMinutes"),
            DEFAULT_CANARY_BAKE_MINUTES,
        )
    return Strategy(
        name=name,
        bake_seconds=bake_minutes * 60.0,
        production_steps=steps,
        step_bake_seconds=step_bake_minutes * 60.0,
        hooks=hooks,
        advanced=_advanced(name, load_balancers or []),
        configuration=copy.deepcopy(configuration),
    )


def _advanced(strategy: str, load_balancers: list[dict[str, Any]]) -> Advanced:
    """The traffic-shifting strategies need the alternate target group, the production listener rule and the
    role ECS modifies them with (deployment-type-blue-green.html, "Required resources"; the test listener rule
    is optional)."""
    configured = [lb for lb in load_balancers if lb.get("advancedConfiguration")]
    if not configured:
        raise InvalidStrategy(
            f"The {strategy} deployment strategy requires loadBalancers[].advancedConfiguration "
            "(alternateTargetGroupArn, productionListenerRule, roleArn)."
        )
    balancer = configured[0]
    advanced = balancer["advancedConfiguration"]
    for key in ("alternateTargetGroupArn", "productionListenerRule", "roleArn"):
        if not advanced.get(key):
            raise InvalidStrategy(
                f"loadBalancers[].advancedConfiguration.{key} is required with the {strategy} strategy."
            )
    if not balancer.get("targetGroupArn"):
        raise InvalidStrategy(f"loadBalancers[].targetGroupArn is required with the {strategy} strategy.")
    if advanced["alternateTargetGroupArn"] == balancer["targetGroupArn"]:
        raise InvalidStrategy(
            "loadBalancers[].advancedConfiguration.alternateTargetGroupArn must differ from targetGroupArn."
        )
    return Advanced(
        target_group_arn=str(balancer["targetGroupArn"]),
        alternate_target_group_arn=str(advanced["alternateTargetGroupArn"]),
        production_listener_rule=str(advanced["productionListenerRule"]),
        test_listener_rule=advanced.get("testListenerRule") or None,
        role_arn=str(advanced["roleArn"]),
    )


def _hook(index: int, hook: dict[str, Any]) -> Hook:
    where = f"deploymentConfiguration.lifecycleHooks[{index}]"
    target_type = hook.get("targetType") or AWS_LAMBDA  # "AWS_LAMBDA ... This is the default value."
    if target_type not in (AWS_LAMBDA, PAUSE):
        raise InvalidStrategy(f"{where}.targetType {target_type!r} is not one of AWS_LAMBDA, PAUSE.")
    stages = tuple(hook.get("lifecycleStages") or ())
    if not stages:
        raise InvalidStrategy(f"{where}.lifecycleStages is required.")
    for stage in stages:
        if stage not in HOOK_STAGES:
            raise InvalidStrategy(f"{where}.lifecycleStages: {stage!r} is not one of {', '.join(HOOK_STAGES)}.")
        if target_type == PAUSE and stage in NOT_FOR_PAUSE:
            raise InvalidStrategy(f"{where}: PAUSE hooks cannot be configured at the {stage} stage.")
    if target_type == AWS_LAMBDA:
        for key in ("hookTargetArn", "roleArn"):
            if not hook.get(key):
                raise InvalidStrategy(f"{where}.{key} is required for an AWS_LAMBDA lifecycle hook.")
    timeout = hook.get("timeoutConfiguration") or {}
    action = timeout.get("action") or ROLLBACK
    if action not in (CONTINUE, ROLLBACK):
        raise InvalidStrategy(f"{where}.timeoutConfiguration.action {action!r} is not one of ROLLBACK, CONTINUE.")
    minutes = timeout.get("timeoutInMinutes")
    minutes = DEFAULT_HOOK_TIMEOUT_MINUTES if minutes is None else int(minutes)
    if minutes < 1:
        raise InvalidStrategy(f"{where}.timeoutConfiguration.timeoutInMinutes must be at least 1.")
    return Hook(
        target_type=target_type,
        target_arn=hook.get("hookTargetArn"),
        role_arn=hook.get("roleArn"),
        stages=stages,
        details=copy.deepcopy(hook.get("hookDetails")),
        timeout_seconds=minutes * 60.0,
        timeout_action=action,
    )


def _minutes(name: str, value: Any, default: int) -> int:
    minutes = default if value is None else int(value)
    if not 0 <= minutes <= MAX_BAKE_MINUTES:
        raise InvalidStrategy(f"{name} must be between 0 and {MAX_BAKE_MINUTES} minutes; got {minutes}.")
    return minutes


def _percent(name: str, value: Any, bounds: tuple[float, float, float]) -> float:
    low, high, default = bounds
    percent = default if value is None else float(value)
    tenths = round(percent * 10)
    if not low <= percent <= high or abs(percent * 10 - tenths) > 1e-6:
        raise InvalidStrategy(f"{name} must be a multiple of 0.1 from {low} to {high}; got {percent:g}.")
    return tenths / 10


def _linear_steps(step: float) -> tuple[float, ...]:
    """10 % steps: 10, 20, ..., 100; a step that does not divide 100 ends with a smaller last shift (modelling
    choice: AWS does not say how it rounds the last step)."""
    tenths, total, steps = round(step * 10), 0, []
    while total < 1000:
        total = min(1000, total + tenths)
        steps.append(total / 10)
    return tuple(steps)


# ---------------------------------------------------------------------------- a deployment's lifecycle


@dataclass(frozen=True)
class Step:
    """One step of a deployment's plan: the lifecycleStage it shows and what it does.

    kind: "hooks" (run the hooks configured for `hook_stage`), "scale_up" (start the green tasks and wait until
    they are healthy), "test" / "production" (set the listener rule's weights, the green revision's at `weight`),
    "bake" (wait `seconds`), "clean_up" (stop the blue tasks), "stop_green" (a rollback's last step).
    """

    stage: str
    kind: str
    hook_stage: str | None = None
    weight: float = 0.0
    seconds: float = 0.0


def plan(strategy: Strategy, *, reconcile: bool) -> list[Step]:
    """The steps of a deployment, in order (deployment-lifecycle-hooks.html, API_ServiceDeployment.html:
    RECONCILE_SERVICE "only happens when you start a new service deployment with more than 1 service revision
    in an ACTIVE state"; PRE_PRODUCTION_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT hooks run "at every traffic
    shift step" of a linear or canary deployment; the step bake time "is not applied after reaching 100
    percent traffic"). Modelling choice: a shift's hooks run after its weights are set, and the step's bake
    begins when they all succeeded."""
    steps = [Step(RECONCILE_SERVICE, "hooks", RECONCILE_SERVICE)] if reconcile else []
    steps += [
        Step(PRE_SCALE_UP, "hooks", PRE_SCALE_UP),
        Step(SCALE_UP, "scale_up"),
        Step(POST_SCALE_UP, "hooks", POST_SCALE_UP),
        Step(TEST_TRAFFIC_SHIFT, "test", weight=100.0),
        Step(TEST_TRAFFIC_SHIFT, "hooks", TEST_TRAFFIC_SHIFT),
        Step(POST_TEST_TRAFFIC_SHIFT, "hooks", POST_TEST_TRAFFIC_SHIFT),
    ]
    for weight in strategy.production_steps:
        steps += [
            Step(PRODUCTION_TRAFFIC_SHIFT, "hooks", PRE_PRODUCTION_TRAFFIC_SHIFT),
            Step(PRODUCTION_TRAFFIC_SHIFT, "production", weight=weight),
            Step(PRODUCTION_TRAFFIC_SHIFT, "hooks", PRODUCTION_TRAFFIC_SHIFT),
        ]
        if weight < 100.0 and strategy.step_bake_seconds:
            steps.append(Step(PRODUCTION_TRAFFIC_SHIFT, "bake", seconds=strategy.step_bake_seconds))
    steps += [
        Step(POST_PRODUCTION_TRAFFIC_SHIFT, "hooks", POST_PRODUCTION_TRAFFIC_SHIFT),
        Step(BAKE_TIME, "bake", seconds=strategy.bake_seconds),
        Step(CLEAN_UP, "clean_up"),
    ]
    return steps


def rollback_plan() -> list[Step]:
    """A rollback: production then test traffic back to blue, each with its hooks ("When a roll back happens,
    Amazon ECS runs the lifecycle hooks for PRODUCTION_TRAFFIC_SHIFT, TEST_TRAFFIC_SHIFT",
    deployment-lifecycle-hooks.html), then the green tasks stop."""
    return [
        Step(PRODUCTION_TRAFFIC_SHIFT, "production", weight=0.0),
        Step(PRODUCTION_TRAFFIC_SHIFT, "hooks", PRODUCTION_TRAFFIC_SHIFT),
        Step(TEST_TRAFFIC_SHIFT, "test", weight=0.0),
        Step(TEST_TRAFFIC_SHIFT, "hooks", TEST_TRAFFIC_SHIFT),
        Step(CLEAN_UP, "stop_green"),
    ]


@dataclass
class HookRun:
    """One hook at one step: invoked until it answers, or awaiting ContinueServiceDeployment (PAUSE)."""

    hook_id: str
    hook: Hook
    stage: str
    expires_at: float
    next_call_at: float | None  # None: a PAUSE hook, or answered
    status: str
    details: Any  # hookDetails for the next invocation: the configured ones, or the last IN_PROGRESS answer's


@dataclass
class ServiceDeployment:
    """A BLUE_GREEN, LINEAR or CANARY deployment of one service: green replaces blue, traffic moves by weight."""

    arn: str
    service_arn: str
    cluster_arn: str
    green: str  # deployment ids (the ecs-svc/... of DescribeServices)
    blue: str
    green_revision: str  # service revision ARNs, the keys of the hooks' weights
    blue_revision: str
    green_target_group: str
    blue_target_group: str
    strategy: Strategy
    created_at: float
    steps: list[Step]
    status: str = IN_PROGRESS
    status_reason: str = ""
    step_started_at: float = 0.0
    entered: bool = False  # the current step's action was done
    runs: list[HookRun] = field(default_factory=list)  # the current step's hooks
    test_weight: float = 0.0  # the green revision's
    production_weight: float = 0.0
    rollback_reason: str | None = None
    rollback_at: float | None = None
    rollback_requested: bool = False  # StopServiceDeployment: rolled back at the next step of the clock
    finished_at: float | None = None
    updated_at: float = 0.0

    @property
    def step(self) -> Step | None:
        return self.steps[0] if self.steps else None

    @property
    def active(self) -> bool:
        return self.status not in FINAL_STATUSES

    @property
    def rolling_back(self) -> bool:
        return self.rollback_at is not None

    last_stage: str = PRE_SCALE_UP  # the stage of the last step done

    @property
    def stage(self) -> str:
        step = self.step
        return step.stage if step is not None else self.last_stage

    def weights(self, kind: str) -> dict[str, float | int]:
        """The map of service revision ARN to weight a hook's payload carries for the rule of `kind`."""
        green = self.test_weight if kind == "test" else self.production_weight
        return {self.green_revision: _number(green), self.blue_revision: _number(100.0 - green)}

    def payload(self, run: HookRun, *, execution_id: str) -> dict[str, Any]:
        """The event ECS invokes a hook's Lambda function with.

        deployment-lifecycle-hooks.html gives the common fields (serviceArn, targetServiceRevisionArn,
        testTrafficWeights, productionTrafficWeights: "a map of service revision ARNs to their ... traffic
        weight percentages"; filled at TEST_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT, empty at the other
        stages); Lambda receives them as `executionDetails` beside executionId, lifecycleStage and resourceArn
        (the service deployment's ARN), as AWS's launch post shows the event a hook received
        (https://aws.amazon.com/blogs/aws/accelerate-safe-software-releases-with-new-built-in-blue-green-deployments-in-amazon-ecs/),
        and `hookDetails` when the hook has some (lambda-lifecycle-hooks.html, "Passing state with hookDetails"):

            {"executionId": "...", "lifecycleStage": "PRODUCTION_TRAFFIC_SHIFT",
             "resourceArn": "arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<id>",
             "executionDetails": {"serviceArn": "...", "targetServiceRevisionArn": "...",
                                  "testTrafficWeights": {}, "productionTrafficWeights": {"<green>": 5, "<blue>": 95}},
             "hookDetails": {...}}

        The answer: {"hookStatus": "SUCCEEDED" | "FAILED" | "IN_PROGRESS", "callBackDelay": <seconds>,
        "hookDetails": {...}} (lambda-lifecycle-hooks.html). During a rollback the weights are the ones being
        restored (blue at 100) and targetServiceRevisionArn stays the deployment's target (modelling choice).
        """
        event: dict[str, Any] = {
            "executionId": execution_id,
            "lifecycleStage": run.stage,
            "resourceArn": self.arn,
            "executionDetails": {
                "serviceArn": self.service_arn,
                "targetServiceRevisionArn": self.green_revision,
                "testTrafficWeights": self.weights("test") if run.stage == TEST_TRAFFIC_SHIFT else {},
                "productionTrafficWeights": (
                    self.weights("production") if run.stage == PRODUCTION_TRAFFIC_SHIFT else {}
                ),
            },
        }
        if run.details is not None:
            event["hookDetails"] = run.details
        return event


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 1)


@dataclass(frozen=True)
class HookAnswer:
    """What a hook's invocation returned: the function's result, or its error (errorType: errorMessage)."""

    result: Any = None
    error: str | None = None


def read_answer(answer: HookAnswer) -> tuple[str, float, Any, str | None]:
    """(hookStatus, callBackDelay, hookDetails, why it is invalid or failed) of an answer.

    "If your function doesn't return a valid hookStatus, or if it fails, Amazon ECS rolls back the deployment"
    (lambda-lifecycle-hooks.html): an error or an invalid answer reads as FAILED, with the reason.
    """
    if answer.error is not None:
        return HOOK_FAILED, 0.0, None, f"the hook's function failed: {answer.error}"
    result = answer.result
    status = result.get("hookStatus") if isinstance(result, dict) else None
    if status not in (HOOK_SUCCEEDED, HOOK_FAILED, HOOK_IN_PROGRESS):
        return HOOK_FAILED, 0.0, None, f"the hook returned no valid hookStatus: {str(result)[:200]}"
    delay = result.get("callBackDelay")
    try:
        seconds = DEFAULT_CALLBACK_DELAY_SECONDS if delay is None else float(delay)
    except (TypeError, ValueError):
        return HOOK_FAILED, 0.0, None, f"the hook returned an invalid callBackDelay: {delay!r}"
    if seconds < 0:
        return HOOK_FAILED, 0.0, None, f"the hook returned an invalid callBackDelay: {delay!r}"
    reason = "the hook returned FAILED" if status == HOOK_FAILED else None
    return status, seconds, result.get("hookDetails"), reason
