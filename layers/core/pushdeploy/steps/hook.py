"""Hook: pushdeploy's own Lambda function as the lifecycle hook of a native (blue/green, linear, canary) deployment.

ECS shifts the load balancer's traffic itself and invokes the hook at the stages the service names it for;
the hook asks the metric judge (pushdeploy.judge) about the new version's target group against the stable
one's and answers (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/lambda-lifecycle-hooks.html):
- IN_PROGRESS, with `callBackDelay` one metric period, while the judge says `insufficient`: ECS invokes the
  hook again after that delay (30 s by default);
- FAILED when the judge says `degraded`: ECS rolls the deployment back, moving the traffic back to the
  stable target group (it runs TEST_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT's hooks again as it does);
- SUCCEEDED when the judge says `clean` with enough requests: the deployment goes on to its next stage (the
  bake times are ECS's own: canaryBakeTimeInMinutes, stepBakeTimeInMinutes, bakeTimeInMinutes).

The payload, as ECS sends it (deployment-lifecycle-hooks.html, "Lifecycle payloads": the common fields in
`executionDetails`, beside the stage, the service deployment's ARN and the execution's id):

    {"executionId": "a1b2...", "lifecycleStage": "PRODUCTION_TRAFFIC_SHIFT",
     "resourceArn": "arn:aws:ecs:us-east-1:123456789012:service-deployment/cluster/service/Abc123",
     "executionDetails": {
        "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/cluster/service",
        "targetServiceRevisionArn": "arn:aws:ecs:us-east-1:123456789012:service-revision/cluster/service/0127",
        "testTrafficWeights": {},
        "productionTrafficWeights": {"arn:...:service-revision/cluster/service/0127": 10,
                                     "arn:...:service-revision/cluster/service/7865": 90}},
     "hookDetails": {...}}

and the answer: {"hookStatus": "SUCCEEDED" | "FAILED" | "IN_PROGRESS", "callBackDelay": 60}.

The stages (template.yaml names the hook at these): POST_TEST_TRAFFIC_SHIFT (the new version has the test
listener's traffic, the stable one all production traffic: the baseline, and the test traffic if any),
PRODUCTION_TRAFFIC_SHIFT (invoked at every traffic step of a linear or canary deployment: the judgement that
matters, while the new version serves a share of production) and POST_PRODUCTION_TRAFFIC_SHIFT (all
production traffic moved: one last judgement over everything seen, before the bake). Earlier stages have
no traffic on the new version to judge; a hook named there answers SUCCEEDED.

The windows run from the hook's first call for the deployment to now, so each look has more requests than
the one before, and the stable version's requests of the test and canary phases stay in its window after
production traffic left it. Each judgement (both windows, the decision) is written to the service's lock
item, where the execution's Check reads it into the rollout's evidence (the verdict, the alert, `explain`).

Unexpected input (a payload that is not ECS's, a service no target names, a service without an alternate
target group) is answered FAILED: a judge that cannot judge must not let a version through unjudged, and
ECS rolls back on an invalid answer or a failed function anyway; FAILED says why in the lock item and the
log. A failure to read the metrics (throttled, say) is answered IN_PROGRESS: ECS asks again a period
later, and the judge's looks bound how long. After the hook answered FAILED for a deployment, ECS's
rollback invokes it again: it answers SUCCEEDED then, so that nothing stops the way back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError
from pydantic import ConfigDict, Field, ValidationError

from pushdeploy.adapters import cloudwatch, dynamodb, ecs, elbv2, ssm
from pushdeploy.errors import InvalidRequest, PushdeployError
from pushdeploy.judge import Decision, MetricJudgement, Window, judge
from pushdeploy.models import MetricEvidence, Model, Target

logger = Logger(child=True)

# The stages pushdeploy's hook judges (the module says why these).
HOOK_STAGES = ("POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT")
# Every stage ECS may invoke a Lambda hook at (API_DeploymentLifecycleHook.html, lifecycleStages).
KNOWN_STAGES = frozenset(
    {
        "RECONCILE_SERVICE",
        "PRE_SCALE_UP",
        "POST_SCALE_UP",
        "TEST_TRAFFIC_SHIFT",
        "PRE_PRODUCTION_TRAFFIC_SHIFT",
        *HOOK_STAGES,
    }
)
# One metric period: the ALB publishes its metrics per minute, so asking sooner finds nothing new.
CALLBACK_DELAY_SECONDS = cloudwatch.METRIC_PERIOD_SECONDS

HookStatus = Literal["SUCCEEDED", "FAILED", "IN_PROGRESS"]
# (load balancer, stable target group, new target group, start, end) -> (stable, new): cloudwatch's reader.
WindowReader = Callable[[str, str, str, datetime, datetime], tuple[Window, Window]]


class ExecutionDetails(Model):
    model_config = ConfigDict(populate_by_name=True)

    service_arn: str = Field(alias="serviceArn", pattern=r"^arn:aws[a-z-]*:ecs:[^:]*:\d{12}:service/[^/]+/[^/]+$")
    target_service_revision_arn: str | None = Field(None, alias="targetServiceRevisionArn")
    test_traffic_weights: dict[str, float] = Field(default_factory=dict, alias="testTrafficWeights")
    production_traffic_weights: dict[str, float] = Field(default_factory=dict, alias="productionTrafficWeights")


class HookEvent(Model):
    """ECS's lifecycle hook payload (the module quotes it)."""

    model_config = ConfigDict(populate_by_name=True)

    execution_id: str | None = Field(None, alias="executionId")
    lifecycle_stage: str = Field(alias="lifecycleStage", min_length=1)
    resource_arn: str = Field(alias="resourceArn", pattern=r"^arn:aws[a-z-]*:ecs:.*:service-deployment/")
    execution_details: ExecutionDetails = Field(alias="executionDetails")

    @property
    def service_key(self) -> str:
        """`cluster/service` from `arn:aws:ecs:<region>:<account>:service/<cluster>/<service>`."""
        return self.execution_details.service_arn.split(":service/", 1)[1]


class HookAnswer(Model):
    """What the hook returns to ECS."""

    hookStatus: HookStatus
    callBackDelay: int | None = None
    reason: str = Field(exclude=True)

    def answer(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


def hook(
    event: Any,
    targets_parameter: str,
    lock_table: str,
    *,
    windows: WindowReader = cloudwatch.stable_and_new_windows,
    now: datetime | None = None,
) -> HookAnswer:
    now = now or datetime.now(UTC)
    try:
        request = HookEvent.model_validate(event)
    except ValidationError as exc:
        return _answer(
            "FAILED", f"not an ECS lifecycle hook payload: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}"
        )
    stage, key = request.lifecycle_stage, request.service_key
    if stage not in KNOWN_STAGES:
        return _answer("FAILED", f"unknown lifecycle stage {stage!r}")
    earlier = _earlier(lock_table, key, request.resource_arn)
    if earlier is not None and earlier.hook_status == "FAILED":
        return _answer("SUCCEEDED", f"{stage}: ECS is rolling back after the judge failed the deployment")
    if stage not in HOOK_STAGES:
        return _answer("SUCCEEDED", f"{stage}: no traffic on the new version to judge at this stage")

    def record(status: HookStatus, reason: str, **fields: Any) -> HookAnswer:
        evidence = MetricEvidence(
            service_deployment=request.resource_arn,
            stage=stage,
            hook_status=status,
            reason=reason,
            at=now,
            since=earlier.since if earlier else now,
            looks=(earlier.looks if earlier else 0) + 1,
            **fields,
        )
        dynamodb.record_judgement(lock_table, key, evidence.model_dump_json())
        return _answer(status, f"{key} {evidence.summary()}")

    try:
        target = _target(targets_parameter, key)
        balancer, stable_group, new_group = _groups(target, earlier)
    except (InvalidRequest, ClientError) as exc:
        return record("FAILED", f"cannot judge: {exc}")
    groups = {"stable_target_group": stable_group, "new_target_group": new_group}
    since = earlier.since if earlier else now
    looks = (earlier.looks if earlier else 0) + 1
    try:
        stable, new = windows(balancer, stable_group, new_group, since, now)
    except (PushdeployError, ClientError) as exc:
        if looks >= target.policy.judge.looks:
            return record("FAILED", f"the metrics could not be read in {looks} looks: {exc}", **groups)
        return record("IN_PROGRESS", f"the metrics could not be read, asking again: {exc}", **groups)
    judgement = judge(new, stable, target.policy.judge)
    status, reason = decide(stage, judgement, looks, target.policy.judge.looks, target.policy.judge.min_requests)
    return record(status, reason, judgement=judgement, **groups)


def decide(
    stage: str, judgement: MetricJudgement, looks: int, most_looks: int, min_requests: int
) -> tuple[HookStatus, str]:
    """The hook's answer to the judge's decision at a stage, after `looks` looks of at most `most_looks`."""
    if judgement.decision == Decision.DEGRADED:
        return "FAILED", f"degraded: {judgement.reason}"
    if judgement.decision == Decision.CLEAN:
        return "SUCCEEDED", f"clean: {judgement.reason}"
    if stage == "POST_TEST_TRAFFIC_SHIFT" and judgement.new.requests == 0 and judgement.old.requests >= min_requests:
        # No test traffic reached the new version: nothing to judge yet, and the stable version's baseline is
        # in the window for the production stages.
        return "SUCCEEDED", f"no test traffic on the new version; the stable version's baseline: {judgement.reason}"
    if looks >= most_looks:
        return "FAILED", f"still too few requests to judge after {looks} looks: {judgement.reason}"
    return "IN_PROGRESS", f"insufficient: {judgement.reason}"


def _answer(status: HookStatus, reason: str) -> HookAnswer:
    logger.info("hook answer", extra={"hook_status": status, "reason": reason})
    delay = CALLBACK_DELAY_SECONDS if status == "IN_PROGRESS" else None
    return HookAnswer(hookStatus=status, callBackDelay=delay, reason=reason)


def _earlier(lock_table: str, key: str, deployment: str) -> MetricEvidence | None:
    """The hook's last judgement of this same deployment, if any."""
    recorded = dynamodb.read(lock_table, key).judgement
    if recorded is None:
        return None
    earlier = MetricEvidence.model_validate_json(recorded)
    return earlier if earlier.service_deployment == deployment else None


def _target(targets_parameter: str, key: str) -> Target:
    found = [t for t in ssm.load_targets(targets_parameter).targets if t.key == key]
    if not found:
        raise InvalidRequest(f"no target names service {key}")
    return found[0]


def _groups(target: Target, earlier: MetricEvidence | None) -> tuple[str, str, str]:
    """(load balancer, stable target group, new target group) of the service's blue/green load balancer.

    The two groups swap roles at every deployment, so the listener rules tell which is which: the test
    rule forwards to the new version once test traffic moved (POST_TEST_TRAFFIC_SHIFT), and the production
    rule gives the new version the smaller share until a linear deployment passes half. The first call of a
    deployment decides, and later calls keep its answer."""
    service = ecs.describe_service(target.cluster, target.service)
    advanced = [lb for lb in service.get("loadBalancers", []) if lb.get("advancedConfiguration")]
    if not advanced:
        raise InvalidRequest(f"service {target.key} has no load balancer with an alternate target group")
    config = advanced[0]["advancedConfiguration"]
    balancer = elbv2.load_balancer_of_rule(config["productionListenerRule"])
    if earlier is not None and earlier.stable_target_group and earlier.new_target_group:
        return balancer, earlier.stable_target_group, earlier.new_target_group
    production = elbv2.forward_weights(config["productionListenerRule"])
    test = elbv2.forward_weights(config["testListenerRule"]) if config.get("testListenerRule") else {}
    pair = [advanced[0]["targetGroupArn"], config["alternateTargetGroupArn"]]
    stable = max(pair, key=lambda g: production.get(g, 0))
    tested = max(pair, key=lambda g: test.get(g, 0))
    new = tested if test.get(tested, 0) > 0 and tested != stable else next(g for g in pair if g != stable)
    return balancer, next(g for g in pair if g != new), new
