"""Amazon CloudWatch: which of a rollout's alarms are firing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pushdeploy.adapters.aws import client, translate_throttling

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient


@translate_throttling
def alarms_in_alarm(names: list[str], *, cloudwatch: CloudWatchClient | None = None) -> list[str]:
    if not names:
        return []
    cloudwatch = cloudwatch or client("cloudwatch")
    answer = cloudwatch.describe_alarms(AlarmNames=names, StateValue="ALARM")
    return [a["AlarmName"] for a in answer.get("MetricAlarms", []) + answer.get("CompositeAlarms", [])]
