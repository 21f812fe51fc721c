"""Amazon CloudWatch: which of a rollout's alarms are firing, and which of a target's alarms do not exist."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pushdeploy.adapters.aws import client, translate_throttling

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient


@translate_throttling
def alarms_in_alarm(names: list[str], *, cloudwatch: CloudWatchClient | None = None) -> dict[str, datetime | None]:
    """Those of `names` in ALARM, each with when it entered ALARM (StateTransitionedTimestamp: when its state
    last changed, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricAlarm.html;
    None if CloudWatch did not say)."""
    if not names:
        return {}
    cloudwatch = cloudwatch or client("cloudwatch")
    answer = cloudwatch.describe_alarms(AlarmNames=names, StateValue="ALARM")
    alarms = [*answer.get("MetricAlarms", []), *answer.get("CompositeAlarms", [])]
    return {a["AlarmName"]: a.get("StateTransitionedTimestamp") for a in alarms}


# DescribeAlarms takes at most 100 AlarmNames (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
NAMES_PER_CALL = 100


@translate_throttling
def missing_alarms(names: list[str], *, cloudwatch: CloudWatchClient | None = None) -> list[str]:
    """The names among `names` of no metric alarm: DescribeAlarms answers a name no alarm has with nothing,
    so a policy watching one would never see it fire. Without AlarmTypes it describes metric alarms only,
    as `alarms_in_alarm` does, so a composite alarm's name is missing here too."""
    if not names:
        return []
    cloudwatch = cloudwatch or client("cloudwatch")
    wanted = list(dict.fromkeys(names))
    found: set[str] = set()
    for start in range(0, len(wanted), NAMES_PER_CALL):
        pages = cloudwatch.get_paginator("describe_alarms").paginate(AlarmNames=wanted[start : start + NAMES_PER_CALL])
        found.update(a["AlarmName"] for page in pages for a in page.get("MetricAlarms", []))
    return [name for name in wanted if name not in found]
