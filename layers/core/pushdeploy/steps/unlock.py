"""Unlock: free the service for the next push, and remember what was verified healthy on it.

A target whose outcome left it healthy (deployed, rolled back to the previous version and healthy again,
or reverted by hand) records the task definition it runs at the head of the service's `good` list.
A rollback asked for without a destination returns to the newest of them that is not running now, so it
never returns to a version pushdeploy rolled back: that one was never verified healthy.

The list starts with what the service ran before pushdeploy first deployed to it (the Lock step seeds it):
pushdeploy trusts that one as it trusts the version an automatic rollback returns to. After that, only
what pushdeploy verified enters the list (a version left running by a failed rollback never does).

The images of the list are kept from expiring: an ECR lifecycle rule may expire an image that a service
no longer runs, and a rollback to it would then fail to pull. Each image of the list carries a guard tag of
the service (`guard_tag`), which a lifecycle rule of higher priority keeps (README, "Keeping the images a
rollback needs"); an image that leaves the list loses it. Tagging is best effort: a failure leaves the outcome as
it is, and the result and the alert say which images may expire and why.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from pushdeploy import taskdef
from pushdeploy.adapters import dynamodb, ecr, ecs
from pushdeploy.errors import PushdeployError
from pushdeploy.models import GUARD_PREFIX, RETIRED_PREFIX, KeptImages, Target, UnlockOutput
from pushdeploy.outcome import IterationState, decide

logger = Logger(child=True)

GOOD_KEPT = 5  # verified-healthy task definitions remembered per service


def unlock(state: IterationState, table: str) -> UnlockOutput:
    key = state.item.target.key
    result = decide(state, datetime.now(UTC))
    if not (result.ok and result.healthy_now):
        return UnlockOutput(service=key, released=dynamodb.release(table, key, state.execution))
    before = dynamodb.read(table, key).good
    good = remembered(result.runs_now, before)
    if not dynamodb.release(table, key, state.execution, good):
        return UnlockOutput(service=key, released=False, good=result.runs_now)  # not ours: `good` was not written
    kept = keep_images(state.item.target, good, [arn for arn in before if arn not in good])
    return UnlockOutput(service=key, released=True, good=result.runs_now, kept=kept)


def remembered(healthy: str, good: tuple[str, ...]) -> list[str]:
    """`healthy` first, then the ones verified before it, each once, the newest GOOD_KEPT."""
    return [healthy, *(arn for arn in good if arn != healthy)][:GOOD_KEPT]


def guard_tag(service: str, digest: str, prefix: str = GUARD_PREFIX) -> str:
    """`pushdeploy-good-<12 hex digits of the digest>-<8 of the service's cluster/service>`: one tag per image
    and service, so keeping an image adds a tag and never moves one (IMMUTABLE repositories take it), and a
    service that lets an image go leaves another service's guard on it."""
    return f"{prefix}{digest.split(':', 1)[-1][:12]}-{hashlib.sha256(service.encode()).hexdigest()[:8]}"


def keep_images(target: Target, good: list[str], left: list[str]) -> KeptImages:
    """Guard the images of the `good` task definitions, and release those of the ones that `left` the list. A
    task definition that names its image by tag only has no image to guard (the tag may name another by now)."""
    repository, key = target.repository, target.key
    try:
        digests = {
            arn: taskdef.pinned_digest(ecs.describe_task_definition(arn), target.container, repository)
            for arn in dict.fromkeys([*good, *left])
        }
        wanted = {guard_tag(key, digest): digest for arn in good if (digest := digests[arn])}
        leaving = {digest for arn in left if (digest := digests[arn])} - set(wanted.values())
        retired = {guard_tag(key, digest, RETIRED_PREFIX): digest for digest in leaving}
        missing = ecr.add_tags(repository, {**wanted, **retired})
        released = [guard_tag(key, digest) for digest in sorted(leaving)]
        failed = ecr.remove_tags(repository, released)
    except (ClientError, BotoCoreError, PushdeployError) as exc:
        return _not_kept(KeptImages(repository=repository), key, f"{type(exc).__name__}: {exc}")
    kept = KeptImages(
        repository=repository,
        guarded=tuple(tag for tag, digest in wanted.items() if digest not in missing),
        released=tuple(released),
    )
    problems = [
        *(f"{arn} runs {digests[arn]}, which is no longer in ECR" for arn in good if digests[arn] in missing),
        *(f"a guard tag could not be removed: {failure}" for failure in failed),
    ]
    return _not_kept(kept, key, "; ".join(problems)) if problems else kept


def _not_kept(kept: KeptImages, service: str, why: str) -> KeptImages:
    problem = (
        f"not every image of a version verified healthy on {service} carries its guard tag ({why}): a lifecycle "
        "rule may expire it, and a rollback to it would fail; the next healthy deployment of the service tags "
        "them again"
    )
    logger.warning("images not kept from expiring", extra={"service": service, "problem": problem})
    return kept.model_copy(update={"problem": problem})
