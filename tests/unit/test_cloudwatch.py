"""The CloudWatch adapter: which alarms fire, and which named alarms do not exist (moto, with the local cloud's
DescribeAlarms filters)."""

from __future__ import annotations

from pushdeploy.adapters.cloudwatch import alarms_in_alarm, missing_alarms


def test_only_the_named_alarms_in_alarm_fire_each_with_when_it_entered_alarm(cloudwatch):
    firing = alarms_in_alarm(["api-5xx", "api-latency"], cloudwatch=cloudwatch)
    assert list(firing) == ["api-5xx"]
    [described] = cloudwatch.describe_alarms(AlarmNames=["api-5xx"])["MetricAlarms"]
    assert firing["api-5xx"] == described["StateTransitionedTimestamp"]
    assert alarms_in_alarm(["api-latency"], cloudwatch=cloudwatch) == {}


def test_missing_alarms_are_the_names_no_alarm_has_in_the_order_given(cloudwatch):
    names = ["jobs-5xx", "api-5xx", "api-latency", "jobs-5xx", "worker-queue"]
    assert missing_alarms(names, cloudwatch=cloudwatch) == ["jobs-5xx", "worker-queue"]


def test_missing_alarms_asks_a_hundred_names_at_a_time(cloudwatch):
    # DescribeAlarms takes at most 100 AlarmNames; the existing alarm is in the second batch.
    names = [f"absent-{i:03d}" for i in range(120)] + ["api-latency"]
    calls = []
    cloudwatch.meta.events.register(
        "before-parameter-build.cloudwatch.DescribeAlarms", lambda params, **_: calls.append(dict(params))
    )

    missing = missing_alarms(names, cloudwatch=cloudwatch)

    assert missing == names[:120]
    assert [len(c["AlarmNames"]) for c in calls] == [100, 21]


def test_no_names_ask_nothing():
    assert missing_alarms([]) == []
