"""Amazon SNS: alerts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pushdeploy.adapters.aws import client, translate_throttling

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

SUBJECT_LIMIT = 100  # SNS: subjects are at most 100 characters


@translate_throttling
def publish(
    topic: str, subject: str, message: str, document: str, chat: dict[str, Any], *, sns: SNSClient | None = None
) -> str:
    """Publish an alert: plain text to e-mail (and every protocol not named), the chat notification to
    HTTPS (how Amazon Q Developer in chat applications subscribes), the same content as JSON in the
    `pushdeploy` message attribute.

    With MessageStructure json, SNS delivers to each subscription the message of its protocol, or
    `default` (MessageStructure, https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
    """
    sns = sns or client("sns")
    answer = sns.publish(
        TopicArn=topic,
        Subject=subject[:SUBJECT_LIMIT],
        MessageStructure="json",
        Message=json.dumps({"default": message, "email": message, "https": json.dumps(chat)}),
        MessageAttributes={"pushdeploy": {"DataType": "String", "StringValue": document}},
    )
    return str(answer["MessageId"])
