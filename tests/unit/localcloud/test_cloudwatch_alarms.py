"""DescribeAlarms in the local cloud filters as CloudWatch documents (API_DescribeAlarms.html): by name and
state together, and of the alarm types AlarmTypes asks for (metric alarms when it says nothing)."""

from __future__ import annotations


def names(answer: dict) -> list[str]:
    return sorted(a["AlarmName"] for a in answer["MetricAlarms"] + answer["CompositeAlarms"])


def test_names_and_state_together_return_only_the_named_alarms_in_that_state(cloudwatch):
    answer = cloudwatch.describe_alarms(AlarmNames=["api-5xx", "api-latency"], StateValue="ALARM")
    assert names(answer) == ["api-5xx"]
    assert names(cloudwatch.describe_alarms(AlarmNames=["api-latency"], StateValue="ALARM")) == []


def test_a_name_no_alarm_has_returns_nothing(cloudwatch):
    assert names(cloudwatch.describe_alarms(AlarmNames=["api-missing"])) == []


def test_metric_alarms_only_when_alarm_types_asks_for_them(cloudwatch):
    # (moto 5.2.5 cannot create a composite alarm: PutCompositeAlarm is not implemented)
    assert names(cloudwatch.describe_alarms(StateValue="ALARM", AlarmTypes=["CompositeAlarm"])) == []
    assert names(cloudwatch.describe_alarms(StateValue="ALARM", AlarmTypes=["MetricAlarm"])) == ["api-5xx"]
