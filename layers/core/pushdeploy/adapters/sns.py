"""Amazon SNS: alerts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pushdeploy.adapters.aws import client, translate_throttling

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

SUBJECT_LIMIT = 100  # SNS: subjects are at most 100 characters


@translate_throttling
def publish(topic: str, subject: str, message: str, document: str, *, sns: SNSClient | None = None) -> str:
    """Publish a plain-text alert with the same content as JSON in the `pushdeploy` message attribute."""
    sns = sns or client("sns")
    answer = sns.publish(
        TopicArn=topic,
        Subject=subject[:SUBJECT_LIMIT],
        Message=message,
        MessageAttributes={"pushdeploy": {"DataType": "String", "StringValue": document}},
    )
    return str(answer["MessageId"])
