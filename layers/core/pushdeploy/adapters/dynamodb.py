"""Amazon DynamoDB: the per-service lock, one item per service.

The item holds the `holder` (the execution deploying the service now), the `newest` push seen for
the service (its execution and its order key) and, while the holder watches a healthy deploy, the
watch's task token and deployment. Every change is one conditional write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from pushdeploy.adapters.aws import client, error_code, translate_throttling

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class LockItem:
    holder: str | None
    newest: str | None
    expires_at: int | None
    watch_token: str | None = None
    watch_deployment: str | None = None


def _conditional(call: object) -> bool:
    """Run a conditional write; False when its condition did not hold."""
    try:
        call()  # type: ignore[operator]
        return True
    except ClientError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise


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
    )


@translate_throttling
def note_push(table: str, service: str, execution: str, order: str, *, dynamodb: DynamoDBClient | None = None) -> bool:
    """Record `execution` as the newest push for the service; False when a newer one is recorded already."""
    dynamodb = dynamodb or client("dynamodb")
    return _conditional(
        lambda: dynamodb.update_item(
            TableName=table,
            Key={"service": {"S": service}},
            UpdateExpression="SET newest = :me, newest_order = :order",
            ConditionExpression="attribute_not_exists(newest_order) OR newest_order <= :order",
            ExpressionAttributeValues={":me": {"S": execution}, ":order": {"S": order}},
        )
    )


@translate_throttling
def take(
    table: str, service: str, execution: str, now: int, expires_at: int, *, dynamodb: DynamoDBClient | None = None
) -> bool:
    """Become the holder: only the newest push may, and only when the lock is free, ours, or expired."""
    dynamodb = dynamodb or client("dynamodb")
    return _conditional(
        lambda: dynamodb.update_item(
            TableName=table,
            Key={"service": {"S": service}},
            UpdateExpression="SET holder = :me, acquired_at = :now, expires_at = :expires",
            ConditionExpression=(
                "newest = :me AND (attribute_not_exists(holder) OR holder = :me OR expires_at < :now)"
            ),
            ExpressionAttributeValues={
                ":me": {"S": execution},
                ":now": {"N": str(now)},
                ":expires": {"N": str(expires_at)},
            },
        )
    )


@translate_throttling
def release(table: str, service: str, holder: str, *, dynamodb: DynamoDBClient | None = None) -> bool:
    """Free the lock if `holder` has it; False when it did not (released already, or recovered by another)."""
    dynamodb = dynamodb or client("dynamodb")
    return _conditional(
        lambda: dynamodb.update_item(
            TableName=table,
            Key={"service": {"S": service}},
            UpdateExpression="REMOVE holder, acquired_at, expires_at, watch_token, watch_deployment",
            ConditionExpression="holder = :holder",
            ExpressionAttributeValues={":holder": {"S": holder}},
        )
    )


@translate_throttling
def start_watch(
    table: str, service: str, holder: str, token: str, deployment: str, *, dynamodb: DynamoDBClient | None = None
) -> bool:
    """Record the holder's watch of `deployment` (its task token); False when `holder` does not hold the lock."""
    dynamodb = dynamodb or client("dynamodb")
    return _conditional(
        lambda: dynamodb.update_item(
            TableName=table,
            Key={"service": {"S": service}},
            UpdateExpression="SET watch_token = :token, watch_deployment = :deployment",
            ConditionExpression="holder = :holder",
            ExpressionAttributeValues={
                ":holder": {"S": holder},
                ":token": {"S": token},
                ":deployment": {"S": deployment},
            },
        )
    )


@translate_throttling
def end_watch(table: str, service: str, token: str, *, dynamodb: DynamoDBClient | None = None) -> bool:
    """Take the watch's token out of the item; False when someone else did first (it is handed back once)."""
    dynamodb = dynamodb or client("dynamodb")
    return _conditional(
        lambda: dynamodb.update_item(
            TableName=table,
            Key={"service": {"S": service}},
            UpdateExpression="REMOVE watch_token, watch_deployment",
            ConditionExpression="watch_token = :token",
            ExpressionAttributeValues={":token": {"S": token}},
        )
    )
