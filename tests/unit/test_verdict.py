"""The verdict rules of design.md, one probe at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pushdeploy.judge import JudgePolicy, Window
from pushdeploy.judge import judge as judge_metrics
from pushdeploy.models import HealthPolicy, Rollout, TargetEvidence, Verdict
from pushdeploy.verdict import (
    FALLBACK_PROBE_SECONDS,
    MAX_WAIT_SECONDS,
    METRIC_LOOK_SECONDS,
    POLL_SECONDS,
    UNBALANCED_BAKE_SECONDS,
    ContainerState,
    Deployment,
    Observation,
    TaskState,
    is_failing_stop,
    judge,
    probe_interval,
)

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
NEW, OLD = "arn:aws:ecs:us-east-1:1:task-definition/app:2", "arn:aws:ecs:us-east-1:1:task-definition/app:1"
GROUP = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/app-tg/1"
POLICY = HealthPolicy()


def rollout(**changes) -> Rollout:
    return Rollout(
        phase="deploy",
        deployment_id="ecs-svc/2",
        task_definition=NEW,
        previous_task_definition=OLD,
        started_at=T0,
        wait_seconds=15,
    ).model_copy(update=changes)


def ours(**changes) -> Deployment:
    fields = {
        "id": "ecs-svc/2",
        "task_definition": NEW,
        "status": "PRIMARY",
        "rollout_state": "IN_PROGRESS",
        "desired": 1,
        "running": 1,
    }
    return Deployment(**(fields | changes))


def old(**changes) -> Deployment:
    fields = {
        "id": "ecs-svc/1",
        "task_definition": OLD,
        "status": "ACTIVE",
        "rollout_state": "COMPLETED",
        "desired": 0,
        "running": 1,
    }
    return Deployment(**(fields | changes))


def running(ip: str = "10.0.0.5", **changes) -> TaskState:
    fields = {
        "task_id": f"t-{ip}",
        "task_definition": NEW,
        "last_status": "RUNNING",
        "desired_status": "RUNNING",
        "ip": ip,
        "containers": [ContainerState(name="app", health_status="HEALTHY")],
    }
    return TaskState(**(fields | changes))


def stopped(reason: str, exit_code: int | None = None, stop_code: str | None = None, **changes) -> TaskState:
    return running(
        last_status="STOPPED",
        desired_status="STOPPED",
        stopped_reason=reason,
        stop_code=stop_code,
        containers=[ContainerState(name="app", exit_code=exit_code)],
        **changes,
    )


def target(state: str, ip: str = "10.0.0.5", reason: str | None = None, description: str | None = None):
    return TargetEvidence(
        target_group=GROUP, target_id=ip, port=3001, state=state, reason=reason, description=description
    )


def observe(seconds: float = 60, deployments=None, tasks=(), targets=(), groups=(GROUP,), alarms=(), events=()):
    return Observation(
        now=T0 + timedelta(seconds=seconds),
        deployments=deployments or [ours(), old()],
        tasks=list(tasks),
        targets=list(targets),
        target_groups=list(groups),
        alarms_in_alarm=list(alarms),
        events=list(events),
    )


def test_completed_deployment_with_every_target_healthy_is_healthy():
    done = observe(deployments=[ours(rollout_state="COMPLETED")], tasks=[running()], targets=[target("healthy")])

    judgement = judge(done, rollout(), POLICY)

    assert judgement.verdict == Verdict.HEALTHY
    assert "1/1 tasks running" in judgement.reason


def test_the_only_deployment_at_desired_count_is_healthy_even_before_completed():
    only = observe(deployments=[ours()], tasks=[running()], targets=[target("healthy")])

    assert judge(only, rollout(), POLICY).verdict == Verdict.HEALTHY


def test_healthy_targets_but_old_tasks_still_draining_is_in_progress():
    draining = observe(tasks=[running()], targets=[target("healthy")])

    judgement = judge(draining, rollout(), POLICY)

    assert judgement.verdict == Verdict.IN_PROGRESS
    assert judgement.reason == "waiting for the old tasks to drain"
    assert 5 <= judgement.wait_seconds <= 60


def test_a_target_not_yet_healthy_keeps_the_rollout_in_progress():
    initial = observe(
        deployments=[ours(rollout_state="COMPLETED")],
        tasks=[running()],
        targets=[target("initial", reason="Elb.InitialHealthChecking")],
    )

    judgement = judge(initial, rollout(), POLICY)

    assert judgement.verdict == Verdict.IN_PROGRESS
    assert "0/1 new targets healthy" in judgement.reason


def test_an_essential_container_exit_fails_at_once_with_its_exit_code():
    crashed = observe(
        tasks=[stopped("Essential container in task exited", exit_code=1, stop_code="EssentialContainerExited")]
    )

    judgement = judge(crashed, rollout(), POLICY)

    assert judgement.verdict == Verdict.FAILED
    assert judgement.reason == "Essential container in task exited (exit code 1)"
    assert judgement.evidence.stopped_tasks[0].containers[0].exit_code == 1


def test_a_pull_error_fails_naming_it():
    reason = "CannotPullContainerError: pull image manifest has been retried 5 time(s): not found"
    judgement = judge(observe(tasks=[stopped(reason, stop_code="TaskFailedToStart")]), rollout(), POLICY)

    assert judgement.verdict == Verdict.FAILED
    assert judgement.reason.startswith("CannotPullContainerError")


def test_an_unhealthy_target_fails_with_the_target_health_reason():
    sick = observe(
        tasks=[running()],
        targets=[
            target(
                "unhealthy",
                reason="Target.ResponseCodeMismatch",
                description="Health checks failed with these codes: [502]",
            )
        ],
    )

    judgement = judge(sick, rollout(), POLICY)

    assert judgement.verdict == Verdict.FAILED
    assert "Target.ResponseCodeMismatch" in judgement.reason
    assert "[502]" in judgement.reason


def test_failures_below_the_budget_do_not_fail_the_rollout():
    one_crash = observe(tasks=[stopped("Essential container in task exited", exit_code=1), running("10.0.0.9")])

    assert judge(one_crash, rollout(), HealthPolicy(failure_budget=2)).verdict == Verdict.IN_PROGRESS


def test_an_old_task_stopped_by_the_scheduler_is_not_a_failure():
    scaled = stopped("Scaling activity initiated by (deployment ecs-svc/2)", stop_code="ServiceSchedulerInitiated")

    assert not is_failing_stop(scaled)
    assert not is_failing_stop(stopped("Essential container in task exited", exit_code=0))


def test_ecs_marking_our_deployment_failed_is_a_failure():
    failed = observe(
        deployments=[
            ours(
                rollout_state="FAILED",
                rollout_state_reason="ECS deployment circuit breaker: tasks failed to start.",
            )
        ]
    )

    judgement = judge(failed, rollout(), POLICY)

    assert judgement.verdict == Verdict.FAILED
    assert "circuit breaker" in judgement.reason


def test_ecs_rolling_our_deployment_back_is_a_failure_not_a_supersede():
    rolled_back = observe(deployments=[Deployment(id="ecs-svc/3", task_definition=OLD, status="PRIMARY")])

    judgement = judge(rolled_back, rollout(), POLICY)

    assert judgement.verdict == Verdict.FAILED
    assert "rolled deployment ecs-svc/2 back" in judgement.reason


def test_someone_else_replacing_our_deployment_supersedes_it():
    newer = "arn:aws:ecs:us-east-1:1:task-definition/app:3"
    replaced = observe(
        deployments=[
            Deployment(id="ecs-svc/3", task_definition=newer, status="PRIMARY"),
            ours(status="ACTIVE"),
        ]
    )

    judgement = judge(replaced, rollout(), POLICY)

    assert judgement.verdict == Verdict.SUPERSEDED
    assert newer in judgement.reason


def test_the_deadline_times_out_a_rollout_that_never_decides():
    slow = observe(seconds=1800, tasks=[])

    judgement = judge(slow, rollout(), POLICY)

    assert judgement.verdict == Verdict.TIMED_OUT
    assert "deadline 1800 s" in judgement.reason


def test_a_failure_seen_at_the_deadline_is_still_a_failure():
    late = observe(seconds=4000, tasks=[stopped("Essential container in task exited", exit_code=2)])

    assert judge(late, rollout(), POLICY).verdict == Verdict.FAILED


def test_bake_time_holds_a_healthy_rollout_until_it_has_passed():
    policy = HealthPolicy(bake_seconds=120)
    healthy = observe(deployments=[ours(rollout_state="COMPLETED")], tasks=[running()], targets=[target("healthy")])

    first = judge(healthy, rollout(), policy)
    later = judge(
        observe(seconds=200, deployments=healthy.deployments, tasks=healthy.tasks, targets=healthy.targets),
        rollout(healthy_since=first.healthy_since),
        policy,
    )

    assert first.verdict == Verdict.IN_PROGRESS and first.reason.startswith("baking")
    assert first.wait_seconds == 60
    assert later.verdict == Verdict.HEALTHY


def test_an_alarm_firing_during_the_rollout_fails_it():
    firing = observe(tasks=[running()], alarms=["aiuteur-5xx"])  # since unknown: it counts

    judgement = judge(firing, rollout(), POLICY)

    assert judgement.verdict == Verdict.FAILED
    assert judgement.reason == "alarm aiuteur-5xx is in ALARM"


def test_an_alarm_that_entered_alarm_after_the_rollout_started_fails_it():
    since = {"aiuteur-5xx": T0 + timedelta(seconds=40)}
    firing = observe(tasks=[running()], alarms=["aiuteur-5xx"]).model_copy(update={"alarms_since": since})

    assert judge(firing, rollout(), POLICY).verdict == Verdict.FAILED


def test_an_alarm_already_in_alarm_when_the_rollout_started_is_ignored():
    # As ECS's alarm-based rollback ignores alarms in ALARM when a deployment starts: a fix pushed during
    # an incident, or the rollback the alarm caused, is not failed by it. It stays in the evidence.
    since = {"aiuteur-5xx": T0 - timedelta(minutes=3)}
    firing = observe(tasks=[running()], alarms=["aiuteur-5xx"]).model_copy(update={"alarms_since": since})

    judgement = judge(firing, rollout(), POLICY)

    assert judgement.verdict == Verdict.IN_PROGRESS
    assert judgement.evidence.alarms == ["aiuteur-5xx"]


def test_an_alarm_that_entered_alarm_at_the_instant_the_rollout_started_was_already_there():
    firing = observe(tasks=[running()], alarms=["aiuteur-5xx"]).model_copy(update={"alarms_since": {"aiuteur-5xx": T0}})

    assert judge(firing, rollout(), POLICY).verdict == Verdict.IN_PROGRESS


def test_an_alarm_ignored_from_the_start_does_not_hide_another():
    since = {"aiuteur-5xx": T0 - timedelta(minutes=3), "aiuteur-latency": T0 + timedelta(seconds=30)}
    firing = observe(tasks=[running()], alarms=["aiuteur-5xx", "aiuteur-latency"]).model_copy(
        update={"alarms_since": since}
    )

    judgement = judge(firing, rollout(), POLICY)

    assert judgement.verdict == Verdict.FAILED and judgement.reason == "alarm aiuteur-latency is in ALARM"


def test_a_worker_without_load_balancer_is_healthy_once_its_tasks_stayed_running_a_while():
    worker = observe(seconds=60, deployments=[ours(rollout_state="COMPLETED")], tasks=[running()], groups=())
    later = worker.model_copy(update={"now": worker.now + timedelta(seconds=UNBALANCED_BAKE_SECONDS)})

    first = judge(worker, rollout(), POLICY)

    assert first.verdict == Verdict.IN_PROGRESS and first.reason.startswith("baking")
    assert judge(later, rollout(healthy_since=first.healthy_since), POLICY).verdict == Verdict.HEALTHY


def test_a_worker_whose_container_health_check_fails_is_not_healthy():
    sick = running(health_status="UNHEALTHY", containers=[ContainerState(name="app", health_status="UNHEALTHY")])
    worker = observe(deployments=[ours(rollout_state="COMPLETED")], tasks=[sick], groups=())

    assert judge(worker, rollout(), POLICY).verdict == Verdict.IN_PROGRESS


@pytest.mark.parametrize("seconds", [0, 100, 1799])
def test_waits_stay_within_bounds_and_the_deadline(seconds):
    judgement = judge(observe(seconds=seconds, tasks=[]), rollout(), POLICY)

    assert judgement.verdict == Verdict.IN_PROGRESS
    assert 5 <= judgement.wait_seconds <= 60


# -- the watch -----------------------------------------------------------------------------------------


def healthy_at(seconds: float, *tasks: TaskState) -> Observation:
    return observe(
        seconds=seconds,
        deployments=[ours(rollout_state="COMPLETED")],
        tasks=list(tasks) or [running()],
        targets=[target("healthy")],
    )


def test_the_first_healthy_verdict_of_a_deploy_starts_its_watch():
    judgement = judge(healthy_at(100), rollout(), HealthPolicy(watch_seconds=300))

    assert judgement.verdict == Verdict.HEALTHY
    assert judgement.watch_until == T0 + timedelta(seconds=400)
    assert judgement.watch_seconds == 300


def test_a_rollback_and_a_policy_without_watch_are_not_watched():
    for watched_rollout, policy in ((rollout(phase="rollback"), POLICY), (rollout(), HealthPolicy(watch_seconds=0))):
        judgement = judge(healthy_at(100), watched_rollout, policy)
        assert judgement.verdict == Verdict.HEALTHY
        assert (judgement.watch_until, judgement.watch_seconds) == (None, 0)


def test_the_watch_keeps_its_end_and_counts_down_to_zero():
    watched = rollout(watch_until=T0 + timedelta(seconds=400), healthy_since=T0 + timedelta(seconds=100))

    midway, ended = judge(healthy_at(250), watched, POLICY), judge(healthy_at(401), watched, POLICY)

    assert (midway.verdict, midway.watch_until, midway.watch_seconds) == (Verdict.HEALTHY, watched.watch_until, 150)
    assert (ended.verdict, ended.watch_until, ended.watch_seconds) == (Verdict.HEALTHY, watched.watch_until, 0)


def test_a_task_that_fails_while_watched_fails_the_deploy_saying_so():
    crashed = stopped("Essential container in task exited", exit_code=1, stop_code="EssentialContainerExited")
    watched = rollout(watch_until=T0 + timedelta(seconds=400), healthy_since=T0 + timedelta(seconds=100))

    judgement = judge(healthy_at(155, crashed), watched, POLICY)

    assert judgement.verdict == Verdict.FAILED
    assert judgement.reason.startswith("Essential container in task exited (exit code 1)")
    assert judgement.reason.endswith("(after it was judged healthy, while watched)")


def test_healthy_once_a_rollout_must_be_healthy_again_by_the_end_of_its_watch():
    watched = rollout(watch_until=T0 + timedelta(seconds=400), healthy_since=T0 + timedelta(seconds=100))
    short = observe(seconds=300, deployments=[ours(rollout_state="COMPLETED", running=0)], tasks=[])

    during = judge(short, watched, POLICY)
    after = judge(short.model_copy(update={"now": T0 + timedelta(seconds=400)}), watched, POLICY)

    assert during.verdict == Verdict.IN_PROGRESS
    assert after.verdict == Verdict.TIMED_OUT
    assert after.reason == "not healthy again by the end of its watch: 0/1 new tasks running"


def test_a_rollout_healthy_at_its_deadline_is_healthy():
    judgement = judge(healthy_at(1800), rollout(), POLICY)

    assert judgement.verdict == Verdict.HEALTHY


@pytest.mark.parametrize(
    ("phase", "state", "wait"),
    [
        # ECS will report the deployment COMPLETED or FAILED: the wait ends on an event, the probe is a fallback
        ("deploy", "IN_PROGRESS", FALLBACK_PROBE_SECONDS),
        # No event will report what is left (target health once COMPLETED; no rollout state): a poll
        ("deploy", "COMPLETED", POLL_SECONDS),
        ("deploy", None, POLL_SECONDS),
        # The rollback keeps its Wait loop: a poll
        ("rollback", "IN_PROGRESS", POLL_SECONDS),
    ],
)
def test_a_rollout_in_progress_waits_longer_only_while_an_event_will_end_its_wait(phase, state, wait):
    deployments = [ours(rollout_state=state), old()] if state != "COMPLETED" else [ours(rollout_state=state)]
    not_yet = observe(deployments=deployments, tasks=[running()], targets=[target("initial")])

    judgement = judge(not_yet, rollout(phase=phase), POLICY)

    assert judgement.verdict == Verdict.IN_PROGRESS
    assert judgement.wait_seconds == wait == probe_interval(phase, state)
    assert POLL_SECONDS < FALLBACK_PROBE_SECONDS <= MAX_WAIT_SECONDS


def _with_metrics(observation: Observation, new: Window, old: Window) -> Observation:
    return observation.model_copy(update={"metrics": judge_metrics(new, old, JudgePolicy())})


BEFORE = Window(requests=30_000, errors=30, p99_seconds=0.2, slow=300)


def test_a_watched_deploy_whose_requests_are_worse_than_before_fails_with_both_windows_in_evidence():
    watched = rollout(watch_until=T0 + timedelta(seconds=400), healthy_since=T0 + timedelta(seconds=100))
    after = Window(requests=3000, errors=600, slow=30)

    judgement = judge(_with_metrics(healthy_at(220), after, BEFORE), watched, POLICY)

    assert judgement.verdict == Verdict.FAILED
    assert judgement.reason.startswith("its requests are worse than before the deployment: 5XX rate: new 20.00%")
    assert judgement.reason.endswith("(after it was judged healthy, while watched)")
    assert judgement.evidence.metrics is not None
    assert (judgement.evidence.metrics.old, judgement.evidence.metrics.new) == (BEFORE, after)


def test_a_watch_judged_by_metrics_looks_again_each_minute_and_one_without_sleeps_to_its_end():
    watched = rollout(watch_until=T0 + timedelta(seconds=400), healthy_since=T0 + timedelta(seconds=100))
    clean = _with_metrics(healthy_at(220), Window(requests=3000, errors=3, slow=30), BEFORE)
    waiting = _with_metrics(healthy_at(390), Window(requests=0, errors=0, slow=0), BEFORE)

    judged, unjudged, last = (
        judge(clean, watched, POLICY),
        judge(healthy_at(220), watched, POLICY),
        judge(waiting, watched, POLICY),
    )

    assert (judged.verdict, judged.watch_seconds) == (Verdict.HEALTHY, METRIC_LOOK_SECONDS)
    assert judged.evidence.metrics is not None and judged.evidence.metrics.decision == "clean"
    assert (unjudged.verdict, unjudged.watch_seconds) == (Verdict.HEALTHY, 180)
    assert (last.verdict, last.watch_seconds) == (Verdict.HEALTHY, 10)  # never beyond the watch's end
