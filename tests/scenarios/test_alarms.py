"""`alarms` and `deployer.alarms`: CloudWatch alarms the local cloud creates and sets at a virtual time, and
what the deployer does with the ones a target's policy watches."""

from __future__ import annotations

from tests.scenarios.conftest import example, run, writes

ALARM = {"name": "api-5xx", "state": "ALARM", "at_seconds": 0}


def test_an_alarm_that_fires_during_the_watch_wakes_it_at_once():
    report = example("alarm-during-watch")

    (push,) = report.pushes
    (target,) = push.targets
    evidence = target.evidence
    assert evidence is not None
    # CloudWatch's state-change event wakes the watch (AlarmFiredRule -> Wake): the Check runs when the
    # alarm fires at 150 s, not when the watch ends 300 s after the healthy verdict.
    assert evidence.verdict == "FAILED" and evidence.alarms == ["api-5xx"]
    assert evidence.reason == "alarm api-5xx is in ALARM (after it was judged healthy, while watched)"
    assert evidence.at_seconds == target.verdict_at_seconds == 150
    assert evidence.stopped_tasks == [] and {t.state for t in evidence.targets} == {"healthy"}
    # The alarm is still in ALARM when the rollback starts (it returns to OK at 600 s): as ECS's alarm-based
    # rollback does, the rollback ignores an alarm already in ALARM, and is judged by its tasks and targets.
    assert push.outcome == "rolled_back", push.reason
    assert report.final.tag == "v1" and report.final.healthy
    (alert,) = report.alerts
    assert "CRITICAL" not in alert.subject and "alarm in ALARM: api-5xx" in alert.message


def test_a_fix_pushed_while_an_alarm_fires_is_not_rolled_back_for_it():
    # The alarm is in ALARM before the push and stays there: the rollout ignores it, as ECS does.
    report = run("alarm-firing", [{"at_seconds": 0, "tag": "v2"}], deployer={"alarms": ["api-5xx"]}, alarms=[ALARM])

    (push,) = report.pushes
    (target,) = push.targets
    assert push.outcome == "deployed", push.reason
    assert target.evidence is not None and target.evidence.alarms == ["api-5xx"]  # shown, not held against it
    assert target.evidence.verdict == "HEALTHY"


def test_an_alarm_that_left_alarm_and_fires_again_fails_the_rollout():
    alarms = [
        ALARM,
        {"name": "api-5xx", "state": "OK", "at_seconds": 40},
        {"name": "api-5xx", "state": "ALARM", "at_seconds": 75},
    ]
    report = run("alarm-again", [{"at_seconds": 0, "tag": "v2"}], deployer={"alarms": ["api-5xx"]}, alarms=alarms)

    (push,) = report.pushes
    (target,) = push.targets
    assert target.evidence is not None and target.evidence.verdict == "FAILED"
    assert target.evidence.reason.startswith("alarm api-5xx is in ALARM")
    assert push.outcome == "rolled_back", push.reason


def test_alarms_that_are_ok_or_have_no_data_or_that_no_target_watches_fail_nothing():
    alarms = [
        {"name": "api-5xx", "state": "OK", "at_seconds": 0},
        {"name": "api-latency", "state": "INSUFFICIENT_DATA", "at_seconds": 30},
        {"name": "unwatched", "state": "ALARM", "at_seconds": 60},
    ]
    deployer = {"alarms": ["api-5xx", "api-latency"], "watch_seconds": 0}
    report = run("alarms-quiet", [{"at_seconds": 0, "tag": "v2"}], deployer=deployer, alarms=alarms)

    (push,) = report.pushes
    assert push.outcome == "deployed", push.reason
    (target,) = push.targets
    assert target.evidence is not None and target.evidence.alarms == []
    assert report.api_calls["monitoring:DescribeAlarms"] >= 2  # the Plan's, and each Check's


def test_a_target_watching_an_alarm_that_does_not_exist_is_refused_by_the_plan():
    # Given a policy naming an alarm no one created: DescribeAlarms answers such a name with nothing, so
    # the rollout could never see it fire.
    deployer = {"alarms": ["api-5xx", "api-typo"]}
    alarms = [{"name": "api-5xx", "state": "OK"}]
    report = run("alarm-missing", [{"at_seconds": 0, "tag": "v2"}], deployer=deployer, alarms=alarms)

    (push,) = report.pushes
    assert push.outcome == "rejected"
    assert push.reason == (
        "InvalidRequest: policy.alarms names CloudWatch alarms that do not exist: "
        "aiuteur-cluster/aiuteur-backend-service (api-typo)"
    )
    assert writes(report) == {}
    assert report.final.tag == "v1"


def test_when_the_alarms_event_is_lost_the_check_at_the_watchs_end_still_sees_it():
    # EventBridge delivers best effort: with every event lost, the watch ends by its timeout and its
    # closing Check finds the alarm in ALARM.
    alarms = [
        {"name": "api-5xx", "state": "OK", "at_seconds": 0},
        {"name": "api-5xx", "state": "ALARM", "at_seconds": 150},
    ]
    report = run(
        "alarm-event-lost",
        [{"at_seconds": 0, "tag": "v2"}],
        deployer={"alarms": ["api-5xx"], "watch_seconds": 300},
        alarms=alarms,
        world={"events": {"loss_rate": 1.0}},
    )

    (push,) = report.pushes
    (target,) = push.targets
    assert target.evidence is not None and target.evidence.reason.startswith("alarm api-5xx is in ALARM")
    assert target.verdict_at_seconds is not None and target.verdict_at_seconds > 300
    assert push.outcome == "rolled_back", push.reason
