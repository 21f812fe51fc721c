"""The report's `pushes[].targets[].evidence`: what the Check that decided each target saw, read from the
execution's history (the one reader, pushdeploy_cli.story)."""

from __future__ import annotations

from tests.scenarios.conftest import example, run


def test_a_crash_is_decided_on_the_stopped_task_its_exit_code_and_its_reason():
    report = example("crash-on-start")

    (push,) = report.pushes
    (target,) = push.targets
    evidence = target.evidence
    assert evidence is not None
    assert (evidence.verdict, evidence.at_seconds) == ("FAILED", target.verdict_at_seconds)
    assert evidence.reason == push.reason == "Essential container in task exited (exit code 1)"
    assert evidence.stopped_tasks, "the stopped task that decided"
    for task in evidence.stopped_tasks:
        assert task.task_id and task.stopped_reason == "Essential container in task exited"
        assert [(c.name, c.exit_code) for c in task.containers] == [("aiuteur-backend", 1)]
        assert task.task_definition.endswith("aiuteur-backend:2")
    assert evidence.desired == 2 and evidence.rollout_state == "IN_PROGRESS"
    assert evidence.alarms == []


def test_an_unhealthy_image_is_decided_on_its_target_health_before_ecs_stops_its_task():
    # Given a grace period that keeps ECS from stopping the task while the load balancer already calls it unhealthy
    push = {"at_seconds": 0, "tag": "v2", "behavior": {"kind": "unhealthy"}}
    report = run("unhealthy-evidence", [push], service={"grace_period_seconds": 600})

    (target,) = report.pushes[0].targets
    evidence = target.evidence
    assert evidence is not None and evidence.verdict == "FAILED"
    (unhealthy,) = evidence.targets
    assert (unhealthy.state, unhealthy.reason) == ("unhealthy", "Target.ResponseCodeMismatch")
    assert evidence.reason == unhealthy.summary and evidence.stopped_tasks == []


def test_an_unhealthy_image_whose_task_ecs_stopped_is_decided_on_the_stopped_task():
    report = run("unhealthy-stopped", [{"at_seconds": 0, "tag": "v2", "behavior": {"kind": "unhealthy"}}])

    (target,) = report.pushes[0].targets
    evidence = target.evidence
    assert evidence is not None and evidence.verdict == "FAILED"
    (stopped,) = evidence.stopped_tasks
    assert stopped.stopped_reason.startswith("Task failed ELB health checks in (target-group ")
    assert stopped.stop_code == "ServiceSchedulerInitiated"


def test_a_healthy_deploy_is_decided_on_its_completed_deployment_and_healthy_targets():
    report = run("healthy-evidence", [{"at_seconds": 0, "tag": "v2"}], deployer={"watch_seconds": 0})

    (target,) = report.pushes[0].targets
    evidence = target.evidence
    assert evidence is not None and evidence.verdict == "HEALTHY"
    assert (evidence.rollout_state, evidence.desired, evidence.running) == ("COMPLETED", 1, 1)
    assert [t.state for t in evidence.targets] == ["healthy"]
    assert evidence.stopped_tasks == []
