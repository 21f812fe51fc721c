"""Hook: DescribeAlarms filters by state and alarm type as CloudWatch does.

CloudWatch answers DescribeAlarms with the alarms that match every filter given: `StateValue` returns
only the alarms currently in that state, with `AlarmNames` or a prefix too; and without `AlarmTypes` it
returns metric alarms only, even when composite alarms exist
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
moto 5.2.5's `describe_alarms` applies one filter (AlarmNames before StateValue), so a deployer asking
for "these alarms, in ALARM" got them in any state, and it returns composite alarms unasked. This hook
calls moto's and applies the state and type filters to its answer.

On a moto upgrade, check that `describe_alarms(self)` still returns an `ActionResult` over a dict with
`MetricAlarms` and `CompositeAlarms` lists of alarms with a `state_value`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, cast
from unittest import mock

from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult

ALARM_TYPES = {"MetricAlarm": "MetricAlarms", "CompositeAlarm": "CompositeAlarms"}


@contextlib.contextmanager
def install() -> Iterator[None]:
    """While active, DescribeAlarms honours `StateValue` alongside the other filters, and `AlarmTypes`."""
    original = CloudWatchResponse.describe_alarms

    def describe_alarms(response: CloudWatchResponse) -> ActionResult:
        found = cast(dict[str, Any], original(response).result)
        state = response._get_param("StateValue")
        asked = response._get_param("AlarmTypes") or ["MetricAlarm"]
        return ActionResult(
            {
                key: [a for a in found[key] if state in (None, a.state_value)] if kind in asked else []
                for kind, key in ALARM_TYPES.items()
            }
        )

    with mock.patch.object(CloudWatchResponse, "describe_alarms", describe_alarms):
        yield
