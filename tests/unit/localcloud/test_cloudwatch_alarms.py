"""DescribeAlarms in the local cloud filters as CloudWatch documents (API_DescribeAlarms.html): by name and
state together, and of the alarm types AlarmTypes asks for (metric alarms when it says nothing)."""

from __future__ import annotations

from datetime import timedelta

import time_machine


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


def test_an_alarm_says_when_its_state_last_changed_not_when_it_was_last_set(cloudwatch):
    # Given api-latency, OK since its creation
    def transitioned(name: str):
        [alarm] = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        return alarm["StateTransitionedTimestamp"]

    created = transitioned("api-latency")
    with time_machine.travel(created + timedelta(minutes=5), tick=False):
        cloudwatch.set_alarm_state(AlarmName="api-latency", StateValue="OK", StateReason="still fine")
        assert transitioned("api-latency") == created  # set again to the same state: no transition
    with time_machine.travel(created + timedelta(minutes=10), tick=False):
        cloudwatch.set_alarm_state(AlarmName="api-latency", StateValue="ALARM", StateReason="5XX")
        assert transitioned("api-latency") == created + timedelta(minutes=10)
