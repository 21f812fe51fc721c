"""Amazon DynamoDB: the per-service lock, one item per service, taken with a conditional write."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from pushdeploy.adapters.aws import client, error_code, translate_throttling

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@translate_throttling
def acquire(
    table: str,
    service: str,
    holder: str,
    detail: str,
    now: int,
    expires_at: int,
    *,
    dynamodb: DynamoDBClient | None = None,
) -> str | None:
    """Take the lock for `holder`; None when taken (or already held by it), else the holder that has it."""
    dynamodb = dynamodb or client("dynamodb")
    try:
        dynamodb.put_item(
            TableName=table,
            Item={
                "service": {"S": service},
                "holder": {"S": holder},
                "detail": {"S": detail},
                "acquired_at": {"N": str(now)},
                "expires_at": {"N": str(expires_at)},
            },
            ConditionExpression="attribute_not_exists(service) OR holder = :me OR expires_at < :now",
            ExpressionAttributeValues={":me": {"S": holder}, ":now": {"N": str(now)}},
        )
        return None
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise
    item = dynamodb.get_item(TableName=table, Key={"service": {"S": service}}, ConsistentRead=True).get("Item", {})
    return item.get("holder", {}).get("S", "another execution")


@translate_throttling
def release(table: str, service: str, holder: str, *, dynamodb: DynamoDBClient | None = None) -> bool:
    """Release the lock if `holder` has it; False when it did not (released already, or taken over)."""
    dynamodb = dynamodb or client("dynamodb")
    try:
        dynamodb.delete_item(
            TableName=table,
            Key={"service": {"S": service}},
            ConditionExpression="holder = :me",
            ExpressionAttributeValues={":me": {"S": holder}},
        )
        return True
    except ClientError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
