"""Plan: validate the input, resolve the image, find the targets and record what each runs now.

Nothing is changed here: an input that cannot be valid fails this step before any service is touched. The only
write is the plan's own items, to S3, where the Deploy Map reads them (ItemReader), so that the push's payload
does not grow with its targets (docs/decisions.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import Field

from pushdeploy import taskdef
from pushdeploy.adapters import cloudwatch, dynamodb, ecr, ecs, s3, ssm
from pushdeploy.errors import InvalidRequest
from pushdeploy.models import Image, Model, PlanAction, PlanItem, Target, TargetsConfig, family_of
from pushdeploy.preview import Preview, preview
from pushdeploy.requests import DeployRequest, Ignored, RollbackRequest, parse_request
from pushdeploy.scope import Scope
from pushdeploy.steps.hook import HOOK_STAGES

logger = Logger(child=True)

# The Map deploys up to 1,000 targets at once, each in its own child execution (a Distributed Map:
# statemachine/deploy.asl.json). Their RegisterTaskDefinition calls must not drain ECS's bucket for it
# (burst 20, then 1 per second, aws-facts.md): the first ten start at once, each next one a second after
# the one before, which keeps ten tokens spare.
MAP_CONCURRENCY = 1000
REGISTER_AT_ONCE = 10


# Where the items go in the results bucket: one object per execution, under its name (unique for 90 days, the
# bucket's expiry), so a retried Plan writes the same object again.
ITEMS_PREFIX = "plan"


class ItemsLocation(Model):
    """The S3 object that holds the plan's items, a JSON array (the Deploy Map's ItemReader reads it)."""

    bucket: str
    key: str


class PlanOutput(Model):
    """The Plan's answer, the push's payload until the Map: its size does not depend on the number of targets."""

    action: PlanAction
    reason: str = ""
    items: ItemsLocation | None = None  # deploy, rollback: where the items (PlanItem) are
    targets: int = 0  # how many items there are
    previews: list[Preview] = Field(default_factory=list)  # a dry run's answer: what each target would see


def items_key(execution: str) -> str:
    """The items' key for an execution (its ARN; the key holds its name)."""
    return f"{ITEMS_PREFIX}/{execution.rsplit(':', 1)[-1]}/items.json"


def _written(items: list[PlanItem], bucket: str, execution: str) -> ItemsLocation:
    """Write the items where the Deploy Map reads them."""
    where = ItemsLocation(bucket=bucket, key=items_key(execution))
    document = "[" + ",".join(item.model_dump_json() for item in items) + "]"
    s3.put_json(where.bucket, where.key, document)
    return where


def plan(
    payload: Any,
    targets_parameter: str,
    lock_table: str,
    account: str,
    region: str,
    scope: Scope,
    *,
    items_bucket: str,
    execution: str,
    hook_function: str = "",
) -> PlanOutput:
    """`account` and `region` are the deployer's own: it deploys images of its own registry only; `scope`
    is what its IAM policies cover (a target outside it is refused here, before any call it would fail);
    `items_bucket` is where the items are written, under `execution`'s name;
    `hook_function` is pushdeploy's lifecycle hook, which a native strategy's service must name."""
    request = parse_request(payload)
    if isinstance(request, Ignored):
        logger.info("ignored", extra={"reason": request.reason})
        return PlanOutput(action="ignore", reason=request.reason)
    if isinstance(request, DeployRequest) and (request.account or account, request.region or region) != (
        account,
        region,
    ):
        raise InvalidRequest(
            f"event: the push is in account {request.account} region {request.region}; "
            f"this deployer serves account {account} region {region}"
        )
    config = ssm.load_targets(targets_parameter)
    if isinstance(request, RollbackRequest):
        item = _plan_rollback(request, config, lock_table, scope)
        where = _written([item], items_bucket, execution)
        return PlanOutput(
            action="rollback", reason=f"roll {item.target.key} back to {item.rollback_to}", items=where, targets=1
        )
    planned = _plan_deploy(request, config, lock_table, scope, hook_function)
    if isinstance(planned, PlanOutput):
        return planned
    image, items = planned
    where = _written(items, items_bucket, execution)
    return PlanOutput(
        action="deploy", reason=f"deploy {image.label} to {len(items)} service(s)", items=where, targets=len(items)
    )


def _plan_deploy(
    request: DeployRequest, config: TargetsConfig, lock_table: str, scope: Scope, hook_function: str
) -> PlanOutput | tuple[Image, list[PlanItem]]:
    """The image and the items to deploy it to, or the answer when nothing is to deploy (ignored, a dry run)."""
    targets = _deploy_targets(request, config)
    if not targets and request.source == "manual":
        raise InvalidRequest(f"no target follows {request.repository}:{request.tag} (see the targets configuration)")
    if not targets:
        reason = f"no target watches {request.repository}:{request.tag}"
        logger.info("ignored", extra={"reason": reason})
        return PlanOutput(action="ignore", reason=reason)
    _refuse_outside(scope, targets)
    _refuse_missing_alarms(targets)
    repository = targets[0].repository
    image, tags = ecr.find_image(repository, tag=None if request.digest else request.tag, digest=request.digest)
    image = image.model_copy(update={"tag": request.tag})
    if request.source == "ecr-event" and request.tag not in tags:
        reason = f"{repository}:{request.tag} no longer names {image.digest}: a newer push of the tag will deploy"
        return PlanOutput(action="ignore", reason=reason)
    # One DescribeServices per ten targets, and no task definition read: Register reads each one
    # (and names a missing container) when its turn comes, so a push that feeds 50 services does not
    # spend ECS's DescribeTaskDefinition burst at once (aws-facts.md).
    services = _services(targets)
    _refuse_native_unprepared(targets, services, hook_function)
    requested_at = request.requested_at or datetime.now(UTC)
    items = [
        PlanItem(
            kind="deploy",
            target=target,
            task_definition=services[target.key]["taskDefinition"],
            image=image,
            requested_at=requested_at,
            start_delay_seconds=start_delay(index),
        )
        for index, target in enumerate(targets)
    ]
    if request.dry_run:
        return _dry_run(image, items, lock_table, scope)
    return image, items


def _dry_run(image: Image, items: list[PlanItem], lock_table: str, scope: Scope) -> PlanOutput:
    """What the deployment would do to each target; no item goes on, so nothing is locked, registered or
    updated."""
    previews = []
    for item in items:
        lock = dynamodb.read(lock_table, item.target.key)
        previews.append(preview(item, image, lock, known_rollback_destination(item.task_definition, lock.good), scope))
    warned = sum(1 for p in previews if p.warnings)
    reason = f"dry run: {image.label} would deploy to {len(previews)} service(s), {warned} with a warning"
    return PlanOutput(action="dry_run", reason=f"{reason}; nothing was changed", previews=previews)


def known_rollback_destination(current_arn: str, good: tuple[str, ...]) -> str | None:
    """What a rollback without `to` would return to, or None when no earlier version was verified healthy."""
    try:
        return rollback_destination(None, current_arn, good)
    except InvalidRequest:
        return None


def start_delay(index: int) -> int:
    """Seconds the `index`-th target waits before Register. Targets beyond the Map's first round start as
    earlier ones end, which spreads them already."""
    return max(0, index - REGISTER_AT_ONCE + 1) if index < MAP_CONCURRENCY else 0


def _services(targets: list[Target]) -> dict[str, dict[str, Any]]:
    """Every target's service, by `cluster/service`, read ten to a DescribeServices call."""
    found: dict[str, dict[str, Any]] = {}
    for cluster in dict.fromkeys(t.cluster for t in targets):
        names = [t.service for t in targets if t.cluster == cluster]
        found.update({f"{cluster}/{name}": s for name, s in ecs.describe_services(cluster, names).items()})
    return found


def _deploy_targets(request: DeployRequest, config: TargetsConfig) -> list[Target]:
    if request.service:
        found = _targets_of_service(config, request.service, request.cluster)
        if request.repository and any(t.repository != request.repository for t in found):
            raise InvalidRequest(
                f"service {request.service!r} follows {found[0].repository!r}, not {request.repository!r}"
            )
        return found
    assert request.repository is not None  # DeployRequest guarantees a service or a repository
    if request.source == "manual" and request.tag is None:
        return [t for t in config.targets if t.repository == request.repository]
    return [t for t in config.targets if t.watches(request.repository, request.tag or "")]


def _targets_of_service(config: TargetsConfig, service: str, cluster: str | None) -> list[Target]:
    found = [t for t in config.targets if t.service == service and cluster in (None, t.cluster)]
    if not found:
        raise InvalidRequest(f"unknown service {service!r}: no target in the targets configuration names it")
    return found


def _refuse_outside(scope: Scope, targets: list[Target]) -> None:
    """Refuse targets the stack's policies do not cover: their calls would fail with AccessDenied."""
    outside = [f"{t.key} ({'; '.join(found)})" for t in targets if (found := scope.outside(t))]
    if outside:
        raise InvalidRequest(f"outside the stack's IAM scope: {', '.join(outside)}")


def _refuse_native_unprepared(targets: list[Target], services: dict[str, dict[str, Any]], hook_function: str) -> None:
    """Refuse a native strategy (blue/green, linear, canary) on a service that cannot run it as pushdeploy
    means it (`native_problems`), naming each problem."""
    problems = [
        f"{t.key}: {problem}" for t in targets for problem in native_problems(t, services[t.key], hook_function)
    ]
    if problems:
        raise InvalidRequest(f"cannot deploy with the target's strategy: {'; '.join(problems)}")


def native_problems(target: Target, service: dict[str, Any], hook_function: str | None) -> list[str]:
    """What keeps `service` from running the target's native strategy: ECS needs an alternate target group and
    listener rules (`loadBalancers[].advancedConfiguration`,
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-blue-green.html), and without
    pushdeploy's hook at its stages nobody judges the new version's metrics before ECS moves all the traffic.
    `hook_function` None: the hook is not checked (who asks does not know the stack's hook)."""
    kind = target.deployment_strategy.kind
    if not target.deployment_strategy.native:
        return []
    if not any(lb.get("advancedConfiguration") for lb in service.get("loadBalancers", [])):
        return [
            f"strategy {kind} needs a load balancer with advancedConfiguration "
            "(an alternate target group and listener rules); the service has none"
        ]
    if hook_function is None:
        return []
    if not hook_function:
        return [
            f"strategy {kind} needs pushdeploy's lifecycle hook, and this stack has none "
            "(deploy it with DeploymentStrategy=BLUE_GREEN)"
        ]
    hooks = service.get("deploymentConfiguration", {}).get("lifecycleHooks", [])
    named = {stage for h in hooks if h.get("hookTargetArn") == hook_function for stage in h.get("lifecycleStages", [])}
    missing = [stage for stage in HOOK_STAGES if stage not in named]
    if missing:
        return [
            f"strategy {kind} needs pushdeploy's hook {hook_function} in the service's lifecycleHooks "
            f"at {', '.join(missing)}"
        ]
    return []


def _refuse_missing_alarms(targets: list[Target]) -> None:
    """Refuse targets whose policy watches an alarm that does not exist: it could never fail their rollout."""
    missing = set(cloudwatch.missing_alarms([name for t in targets for name in t.policy.alarms]))
    unseen = [
        f"{t.key} ({', '.join(a for a in t.policy.alarms if a in missing)})"
        for t in targets
        if missing.intersection(t.policy.alarms)
    ]
    if unseen:
        raise InvalidRequest(f"policy.alarms names CloudWatch alarms that do not exist: {', '.join(unseen)}")


def _plan_rollback(request: RollbackRequest, config: TargetsConfig, lock_table: str, scope: Scope) -> PlanItem:
    target = _targets_of_service(config, request.service, request.cluster)[0]
    _refuse_outside(scope, [target])
    service = ecs.describe_service(target.cluster, target.service)
    current_arn = service["taskDefinition"]
    good = dynamodb.read(lock_table, target.key).good if request.to is None else ()
    to = rollback_destination(request.to, current_arn, good)
    destination = ecs.describe_task_definition(to)
    family = family_of(current_arn)
    if destination.get("family") != family:
        raise InvalidRequest(f"'to' names family {destination.get('family')!r}; {request.service!r} runs {family!r}")
    if taskdef.container_image(destination, target.container) is None:
        taskdef.with_image(destination, target.container, "")  # raises, naming the containers
    if destination["taskDefinitionArn"] == current_arn:
        raise InvalidRequest(f"service {request.service!r} already runs {current_arn}")
    return PlanItem(
        kind="rollback",
        target=target,
        task_definition=current_arn,
        rollback_to=destination["taskDefinitionArn"],
        requested_at=datetime.now(UTC),
    )


def rollback_destination(to: str | None, current_arn: str, good: tuple[str, ...]) -> str:
    """`to` as a task definition (a revision of the service's family, or as given); without `to`, the newest
    task definition verified healthy on the service that it does not run now (pushdeploy.steps.unlock)."""
    family = family_of(current_arn)
    if to is not None:
        return f"{family}:{to}" if to.isdigit() else to
    earlier = [arn for arn in good if arn != current_arn]
    if not earlier:
        raise InvalidRequest(
            f"no version of {family} other than the one running now was verified healthy by pushdeploy; "
            "name the revision to roll back to with 'to'"
        )
    return earlier[0]
