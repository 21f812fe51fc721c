"""Amazon DynamoDB: the per-service lock, one item per service.

The item holds the `holder` (the execution deploying the service now), the `newest` push seen for
the service (its execution and its order key), the task definitions last verified healthy on it
(`good`, newest first: what a rollback without a destination returns to) and, while the holder
waits on a task token for its deployment's events, that token, the deployment, the alarms that end
the wait and what it waits for (`watch_kind`: the rollout's verdict, or the watch of a healthy deploy), and
while a deployment waits for approval, its task token and the execution that waits (the push's child
execution of the target). Every change is one conditional write, but
the lifecycle hook's `judgement` of a native deployment, which the hook writes whoever holds the lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from pushdeploy.adapters.aws import client, error_code, translate_throttling

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


# What a recorded task token waits for: a rollout's verdict, or the watch after a healthy one (an item
# written before the kind was recorded holds a watch).
WatchKind = Literal["rollout", "watch"]


@dataclass(frozen=True)
class LockItem:
    holder: str | None
    newest: str | None
    expires_at: int | None
    watch_token: str | None = None
    watch_deployment: str | None = None
    watch_kind: WatchKind = "watch"
    good: tuple[str, ...] = ()  # task definitions verified healthy on the service, newest first
    # pushdeploy's lifecycle hook's last judgement of a native deployment (models.MetricEvidence, as JSON)
    judgement: str | None = None


def _update(
    dynamodb: DynamoDBClient | None,
    table: str,
    service: str,
    update: str,
    condition: str,
    values: dict[str, str | int | list[str]],
) -> bool:
    """One conditional UpdateItem of the service's item; False when its condition did not hold."""
    dynamodb = dynamodb or client("dynamodb")
    try:
        dynamodb.update_item(
            TableName=table,
            Key={"service": {"S": service}},
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeValues={key: _attribute(value) for key, value in values.items()},
        )
    except ClientError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _attribute(value: str | int | list[str]) -> dict[str, Any]:
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, list):
        return {"L": [{"S": v} for v in value]}
    return {"S": value}


@translate_throttling
def read(table: str, service: str, *, dynamodb: DynamoDBClient | None = None) -> LockItem:
    dynamodb = dynamodb or client("dynamodb")
    item = dynamodb.get_item(TableName=table, Key={"service": {"S": service}}, ConsistentRead=True).get("Item", {})
    expires = item.get("expires_at", {}).get("N")
    return LockItem(
        holder=item.get("holder", {}).get("S"),
        newest=item.get("newest", {}).get("S"),
        expires_at=int(expires) if expires else None,
        watch_token=item.get("watch_token", {}).get("S"),
        watch_deployment=item.get("watch_deployment", {}).get("S"),
        watch_kind="rollout" if item.get("watch_kind", {}).get("S") == "rollout" else "watch",
        good=tuple(v["S"] for v in item.get("good", {}).get("L", [])),
        judgement=item.get("judgement", {}).get("S"),
    )


@translate_throttling
def record_judgement(table: str, service: str, judgement: str, *, dynamodb: DynamoDBClient | None = None) -> None:
    """Write the hook's judgement (JSON) into the service's item, whoever holds the lock: the Check of the
    execution that follows the deployment, and its story, read it there. One item per service keeps the last."""
    dynamodb = dynamodb or client("dynamodb")
    dynamodb.update_item(
        TableName=table,
        Key={"service": {"S": service}},
        UpdateExpression="SET judgement = :judgement",
        ExpressionAttributeValues={":judgement": {"S": judgement}},
    )


@translate_throttling
def note_push(table: str, service: str, execution: str, order: str, *, dynamodb: DynamoDBClient | None = None) -> bool:
    """Record `execution` as the newest push for the service; False when a newer one is recorded already."""
    return _update(
        dynamodb,
        table,
        service,
        "SET newest = :me, newest_order = :order",
        "attribute_not_exists(newest_order) OR newest_order <= :order",
        {":me": execution, ":order": order},
    )


@translate_throttling
def take(
    table: str,
    service: str,
    execution: str,
    now: int,
    expires_at: int,
    running: str | None,
    *,
    dynamodb: DynamoDBClient | None = None,
) -> bool:
    """Become the holder: only the newest push may, and only when the lock is free, ours, or expired.

    The first holder ever that deploys also seeds `good` with what the service is `running` before
    pushdeploy changes it (None: seed nothing, as for a rollback, which moves away from what runs).
    """
    update = "SET holder = :me, acquired_at = :now, expires_at = :expires"
    values: dict[str, str | int | list[str]] = {":me": execution, ":now": now, ":expires": expires_at}
    if running is not None:
        update += ", good = if_not_exists(good, :seed)"
        values[":seed"] = [running]
    return _update(
        dynamodb,
        table,
        service,
        update,
        "newest = :me AND (attribute_not_exists(holder) OR holder = :me OR expires_at < :now)",
        values,
    )


@translate_throttling
def release(
    table: str, service: str, holder: str, good: list[str] | None = None, *, dynamodb: DynamoDBClient | None = None
) -> bool:
    """Free the lock if `holder` has it, recording `good` when given; False when it did not hold it (released
    already, or recovered by another)."""
    values: dict[str, str | int | list[str]] = {":holder": holder}
    update = (
        "REMOVE holder, acquired_at, expires_at, watch_token, watch_deployment, watch_alarms, watch_kind, "
        "approval_token, approval_execution"
    )
    if good is not None:
        update = f"SET good = :good {update}"
        values[":good"] = good
    return _update(dynamodb, table, service, update, "holder = :holder", values)


@translate_throttling
def start_watch(
    table: str,
    service: str,
    holder: str,
    token: str,
    deployment: str,
    alarms: list[str] | None = None,
    kind: WatchKind = "watch",
    *,
    dynamodb: DynamoDBClient | None = None,
) -> bool:
    """Record the task token the holder waits on for `deployment`'s events (and the alarms that end the
    wait, and what it waits for); False when `holder` does not hold the lock."""
    return _update(
        dynamodb,
        table,
        service,
        "SET watch_token = :token, watch_deployment = :deployment, watch_alarms = :alarms, watch_kind = :kind",
        "holder = :holder",
        {":holder": holder, ":token": token, ":deployment": deployment, ":alarms": alarms or [], ":kind": kind},
    )


@translate_throttling
def watches_of_alarm(table: str, alarm: str, *, dynamodb: DynamoDBClient | None = None) -> list[tuple[str, str]]:
    """Each watch that `alarm` ends: (service, its task token). A Scan: the table holds one item per service."""
    found = _scan(
        dynamodb,
        table,
        "contains(watch_alarms, :alarm) AND attribute_exists(watch_token)",
        ("service", "watch_token"),
        {":alarm": alarm},
    )
    return [(item["service"], item["watch_token"]) for item in found]


def _scan(
    dynamodb: DynamoDBClient | None, table: str, condition: str, attributes: tuple[str, ...], values: dict[str, str]
) -> list[dict[str, str]]:
    """The items that meet `condition`, each as its string `attributes` (every page, read consistently)."""
    dynamodb = dynamodb or client("dynamodb")
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=table,
        ConsistentRead=True,
        FilterExpression=condition,
        ProjectionExpression=", ".join(attributes),
        ExpressionAttributeValues={key: {"S": value} for key, value in values.items()},
    )
    return [{name: item[name]["S"] for name in attributes} for page in pages for item in page.get("Items", [])]


@translate_throttling
def end_watch(table: str, service: str, token: str, *, dynamodb: DynamoDBClient | None = None) -> bool:
    """Take the watch's token out of the item; False when someone else did first (it is handed back once)."""
    return _take_token(dynamodb, table, service, token, "watch_token", "watch_deployment", "watch_alarms", "watch_kind")


def _take_token(
    dynamodb: DynamoDBClient | None, table: str, service: str, token: str, attribute: str, *with_it: str
) -> bool:
    """Remove a task token (and what goes with it) from the item if it is still `token`: whoever removes it
    sends it, so it is sent once."""
    removed = ", ".join((attribute, *with_it))
    return _update(dynamodb, table, service, f"REMOVE {removed}", f"{attribute} = :token", {":token": token})


@dataclass(frozen=True)
class WaitingApproval:
    service: str
    holder: str  # the push's execution
    execution: str  # the target's own (child) execution, which waits
    token: str


@translate_throttling
def start_approval(
    table: str, service: str, holder: str, execution: str, token: str, *, dynamodb: DynamoDBClient | None = None
) -> bool:
    """Record that `execution` of the holder waits for approval on `token`; False when `holder` does not hold
    the lock."""
    return _update(
        dynamodb,
        table,
        service,
        "SET approval_token = :token, approval_execution = :execution",
        "holder = :holder",
        {":holder": holder, ":token": token, ":execution": execution},
    )


@translate_throttling
def approvals_waiting(table: str, execution: str, *, dynamodb: DynamoDBClient | None = None) -> list[WaitingApproval]:
    """Each approval `execution` waits for: the push's execution (its holder) or one target's child execution.
    A Scan, as for the watches an alarm ends: the table holds one item per service."""
    found = _scan(
        dynamodb,
        table,
        "attribute_exists(approval_token) AND (holder = :e OR approval_execution = :e)",
        ("service", "holder", "approval_execution", "approval_token"),
        {":e": execution},
    )
    return [
        WaitingApproval(
            service=item["service"],
            holder=item["holder"],
            execution=item["approval_execution"],
            token=item["approval_token"],
        )
        for item in found
    ]


@translate_throttling
def end_approval(table: str, service: str, token: str, *, dynamodb: DynamoDBClient | None = None) -> bool:
    """Take the approval's token out of the item; False when someone else did first (it is answered once)."""
    return _take_token(dynamodb, table, service, token, "approval_token", "approval_execution")
