"""Pushes that overlap: one deployment per service at a time, and the newest push goes next."""

from __future__ import annotations

from tests.scenarios.conftest import run


def test_pushes_during_a_deployment_wait_and_only_the_newest_goes_next():
    report = run(
        "queue", [{"at_seconds": 0, "tag": "v2"}, {"at_seconds": 10, "tag": "v3"}, {"at_seconds": 20, "tag": "v4"}]
    )

    v2, v3, v4 = report.pushes
    assert v2.outcome == "deployed"
    assert v3.outcome == "superseded" and "newer push" in v3.reason
    assert v4.outcome == "deployed"
    assert v4.verdict_at_seconds > v2.finished_at_seconds  # never interleaved
    assert report.final.tag == "v4" and report.final.healthy
    assert report.alerts == []
    assert report.api_calls["ecs:UpdateService"] == 2


def test_a_bad_push_queued_behind_a_good_one_is_rolled_back_to_the_good_one():
    crash = {"kind": "crash"}
    report = run("queue-bad", [{"at_seconds": 0, "tag": "v2"}, {"at_seconds": 5, "tag": "v3", "behavior": crash}])

    v2, v3 = report.pushes
    assert (v2.outcome, v3.outcome) == ("deployed", "rolled_back")
    assert report.final.tag == "v2" and report.final.healthy
    assert len(report.alerts) == 1 and "v3" in report.alerts[0].subject


def test_a_manual_rollback_during_a_deployment_runs_after_it():
    report = run(
        "rollback-during-deploy",
        [
            {"at_seconds": 0, "tag": "v2"},
            {"at_seconds": 20, "input": {"action": "rollback", "service": "aiuteur-backend-service"}},
        ],
    )

    deploy, rollback = report.pushes
    assert deploy.outcome == "deployed"
    assert rollback.outcome == "reverted"
    assert report.final.tag == "v1" and report.final.task_definition.endswith(":1")


def test_a_push_during_a_manual_rollback_waits_for_it_then_deploys():
    report = run(
        "push-during-rollback",
        [
            {"at_seconds": 0, "tag": "v2"},
            # after v2's watch (healthy at 105 s, watched 300 s): the rollback takes the lock at once
            {"at_seconds": 420, "input": {"action": "rollback", "service": "aiuteur-backend-service"}},
            {"at_seconds": 430, "tag": "v3"},
        ],
    )

    deploy, rollback, push = report.pushes
    assert (deploy.outcome, rollback.outcome, push.outcome) == ("deployed", "reverted", "deployed")
    assert push.verdict_at_seconds > rollback.finished_at_seconds
    assert report.final.tag == "v3" and report.final.healthy


def test_a_newer_push_ends_the_watch_of_the_deploy_before_it():
    # v2 is healthy at 100 s (its deployment completes) and watched until 400 s; v3 arrives in between
    report = run("push-during-watch", [{"at_seconds": 0, "tag": "v2"}, {"at_seconds": 200, "tag": "v3"}])

    v2, v3 = report.pushes
    assert (v2.outcome, v3.outcome) == ("deployed", "deployed")
    assert v2.verdict_at_seconds == 100
    assert 200 <= v2.finished_at_seconds < 400  # the watch ended early, the verdict stands
    assert v3.verdict_at_seconds > v2.finished_at_seconds
    assert v3.verdict_at_seconds < 400 + 100  # v3 did not wait for the whole watch
    assert report.final.tag == "v3" and report.final.healthy
    assert report.alerts == []


def test_a_push_that_waits_past_the_lock_wait_is_not_deployed_and_says_why():
    # Given a slow rollout holding the service (its tasks start after 10 min) and a 3-minute lock wait,
    slow = {"kind": "healthy", "start_seconds": 600}
    report = run(
        "lock-wait",
        [{"at_seconds": 0, "tag": "v2", "behavior": slow}, {"at_seconds": 10, "tag": "v3"}],
        deployer={"lock_wait_seconds": 180, "watch_seconds": 0},
    )

    # then the push behind it gives up 3 minutes after it was made, changes nothing and alerts.
    v2, v3 = report.pushes
    assert v2.outcome == "deployed"
    assert v3.outcome == "failed" and "LockWaitExpired" in v3.reason and "lock_wait_seconds is 180" in v3.reason
    assert 10 + 180 <= v3.finished_at_seconds < 10 + 180 + 30
    assert report.api_calls["ecs:UpdateService"] == 1
    assert [a.subject for a in report.alerts if "v3" in a.subject]
