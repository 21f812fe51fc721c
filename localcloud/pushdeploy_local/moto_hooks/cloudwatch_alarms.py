"""Hook: DescribeAlarms filters by state and alarm type, and says when each alarm entered its state, as
CloudWatch does.

CloudWatch answers DescribeAlarms with the alarms that match every filter given: `StateValue` returns
only the alarms currently in that state, with `AlarmNames` or a prefix too; and without `AlarmTypes` it
returns metric alarms only, even when composite alarms exist
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
moto 5.2.5's `describe_alarms` applies one filter (AlarmNames before StateValue), so a deployer asking
for "these alarms, in ALARM" got them in any state, and it returns composite alarms unasked. This hook
calls moto's and applies the state and type filters to its answer.

It also gives each alarm its StateTransitionedTimestamp, when its StateValue last changed (moto 5.2.5 keeps
only StateUpdatedTimestamp, which every SetAlarmState moves, same state or not): `Alarm.update_state` is
wrapped to note the instant the value changes, and an alarm never changed reports its creation
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricAlarm.html). moto's serializer
writes the attribute `state_transitioned_timestamp` as that member.

On a moto upgrade, check that `describe_alarms(self)` still returns an `ActionResult` over a dict with
`MetricAlarms` and `CompositeAlarms` lists of alarms with a `state_value`, and that `Alarm.update_state(self,
reason, reason_data, state_value)` still sets `state_value` and `state_updated_timestamp`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, cast
from unittest import mock

from moto.cloudwatch.models import Alarm
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult

ALARM_TYPES = {"MetricAlarm": "MetricAlarms", "CompositeAlarm": "CompositeAlarms"}


@contextlib.contextmanager
def install() -> Iterator[None]:
    """While active, DescribeAlarms honours `StateValue` alongside the other filters, and `AlarmTypes`."""
    original = CloudWatchResponse.describe_alarms

    update_state = Alarm.update_state

    def describe_alarms(response: CloudWatchResponse) -> ActionResult:
        found = cast(dict[str, Any], original(response).result)
        state = response._get_param("StateValue")
        asked = response._get_param("AlarmTypes") or ["MetricAlarm"]
        for alarm in found["MetricAlarms"]:
            if not hasattr(alarm, "state_transitioned_timestamp"):  # never changed since its creation
                alarm.state_transitioned_timestamp = alarm.configuration_updated_timestamp  # type: ignore[attr-defined]
        return ActionResult(
            {
                key: [a for a in found[key] if state in (None, a.state_value)] if kind in asked else []
                for kind, key in ALARM_TYPES.items()
            }
        )

    def noting_transitions(alarm: Alarm, reason: str, reason_data: str, state_value: str) -> None:
        before = alarm.state_value
        update_state(alarm, reason, reason_data, state_value)
        if state_value != before:
            alarm.state_transitioned_timestamp = alarm.state_updated_timestamp  # type: ignore[attr-defined]

    with (
        mock.patch.object(CloudWatchResponse, "describe_alarms", describe_alarms),
        mock.patch.object(Alarm, "update_state", noting_transitions),
    ):
        yield
