"""The ECS/ALB model's rules on the virtual clock, without moto: the model runs on a small in-memory World.

What moto shows of the same runs (DescribeServices, DescribeTasks, DescribeTargetHealth) is checked in
test_moto_view.py.
"""

from __future__ import annotations

import subprocess
import sys

from pushdeploy_local.ecs.behaviour import circuit_breaker_threshold
from pushdeploy_local.ecs.facts import (
    ACTIVATING,
    CIRCUIT_BREAKER_REASON,
    COMPLETED,
    DEACTIVATING,
    DEPROVISIONING,
    DRAINING,
    FAILED,
    HEALTHY,
    IN_PROGRESS,
    INITIAL_CHECKING,
    NOT_REGISTERED,
    PENDING,
    PROVISIONING,
    REGISTERING,
    RESPONSE_CODE_MISMATCH,
    RUNNING,
    STOPPED,
    STOPPING,
)
from pushdeploy_local.scenario import Crash, Healthy, PullError, ServiceSpec, Unhealthy
from tests.unit.localcloud.ecs.fakes import (
    ACCOUNT,
    CLUSTER,
    REGION,
    SERVICE,
    TARGET_GROUP,
    V2,
    adopted,
    deploy,
    steady_on,
    task_state_changes,
)


def test_the_rules_import_no_moto() -> None:
    code = (
        "import sys, pushdeploy_local.ecs.behaviour; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('moto', 'botocore', 'boto3')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_a_healthy_rollout_changes_at_each_instant_of_the_task_and_target_lifecycle() -> None:
    model, world = adopted()
    [old] = world.tasks.values()
    assert model.settled() and model.next_change_at() is None
    deployment = deploy(model, world)

    timeline = []
    while (instant := model.next_change_at()) is not None:
        model.advance_to(instant)
        new = world.tasks["task/2"]
        health = (model.target_health(TARGET_GROUP, new.ip or ""), model.target_health(TARGET_GROUP, old.ip or ""))
        timeline.append((instant, new.status, old.status, *health))

    # PENDING, ACTIVATING + registered, RUNNING, first check, healthy (the old task drains), drained
    # (completed), then an hour later the old task is forgotten
    assert timeline == [
        (5.0, PENDING, RUNNING, None, HEALTHY),
        (28.0, ACTIVATING, RUNNING, REGISTERING, HEALTHY),
        (30.0, RUNNING, RUNNING, REGISTERING, HEALTHY),
        (40.0, RUNNING, RUNNING, INITIAL_CHECKING, HEALTHY),
        (70.0, RUNNING, DEACTIVATING, HEALTHY, DRAINING),
        (100.0, RUNNING, STOPPED, HEALTHY, NOT_REGISTERED),
        (3700.0, RUNNING, STOPPED, HEALTHY, NOT_REGISTERED),  # the old task leaves the API
    ]
    assert world.forgotten == [old.arn]
    assert (old.stop_code, old.exit_code) == ("ServiceSchedulerInitiated", 0)
    assert old.stopped_reason == f"Scaling activity initiated by (deployment {old.deployment_id})"
    assert world.registered == {world.tasks["task/2"].ip}
    assert world.deployments == [deployment] and deployment.rollout_state == COMPLETED
    assert world.messages[:2] == [
        f"(service {SERVICE}) has reached a steady state.",
        f"(service {SERVICE}) deployment {deployment.id} deployment completed.",
    ]
    assert model.service_state(CLUSTER, SERVICE) == steady_on("aiuteur-backend:2")


def test_every_status_change_emits_one_event_and_the_adopted_tasks_none() -> None:
    model, world = adopted()
    assert model.drain_events() == []  # the adopted task was running before the scenario
    deploy(model, world)

    model.advance_to(100)
    events = task_state_changes(model.drain_events())

    changes = [(e["resources"], e["detail"]["lastStatus"], e["detail"]["desiredStatus"]) for e in events]
    # The Fargate task lifecycle; desiredStatus turns STOPPED before lastStatus leaves RUNNING.
    assert changes == [
        (["task/2"], PROVISIONING, RUNNING),
        (["task/2"], PENDING, RUNNING),
        (["task/2"], ACTIVATING, RUNNING),
        (["task/2"], RUNNING, RUNNING),
        (["task/1"], RUNNING, STOPPED),
        (["task/1"], DEACTIVATING, STOPPED),
        (["task/1"], STOPPING, STOPPED),
        (["task/1"], DEPROVISIONING, STOPPED),
        (["task/1"], STOPPED, STOPPED),
    ]
    # The detail is the task as the World describes it once its version counts the change.
    assert [e["detail"]["version"] for e in events] == [1, 2, 3, 4, 3, 4, 5, 6, 7]
    times = ["2026-01-01T00:00:00Z", "2026-01-01T00:00:05Z", "2026-01-01T00:00:28Z", "2026-01-01T00:00:30Z"]
    times += ["2026-01-01T00:01:10Z"] * 2 + ["2026-01-01T00:01:40Z"] * 3
    assert [e["time"] for e in events] == [e["detail"]["updatedAt"] for e in events] == times
    assert {(e["detail-type"], e["source"], e["account"], e["region"]) for e in events} == {
        ("ECS Task State Change", "aws.ecs", ACCOUNT, REGION)
    }
    assert len({e["id"] for e in events}) == 9
    assert model.drain_events() == []


def test_a_crash_loop_is_replaced_again_and_again_and_never_counted_by_the_breaker() -> None:
    model, world = adopted(v2=Crash(kind="crash", crash_after_seconds=5, exit_code=1))
    deployment = deploy(model, world)

    model.advance_to(35)
    crashed = world.tasks["task/2"]
    assert (crashed.status, crashed.stop_code, crashed.exit_code) == (STOPPED, "EssentialContainerExited", 1)
    assert model.target_health(TARGET_GROUP, crashed.ip or "") == DRAINING
    assert model.next_change_at() == 50.0  # the scheduler's next pass, 15 s later

    # A task every 50 s (RUNNING at +30, exits at +35, replaced at +50): 12 crashes by 600 s.
    model.advance_to(600)
    stopped = [t for t in world.tasks.values() if t.deployment_id == deployment.id and t.status == STOPPED]
    assert len(stopped) == 12
    assert (deployment.rollout_state, deployment.failed_tasks) == (IN_PROGRESS, 0)
    assert world.tasks["task/1"].status == RUNNING  # the old task still serves
    assert not model.settled()


def test_an_unhealthy_task_is_stopped_once_the_grace_period_is_over_and_counted() -> None:
    model, world = adopted(ServiceSpec(grace_period_seconds=200), v2=Unhealthy(kind="unhealthy"))
    deployment = deploy(model, world)

    # RUNNING at 30, registered, unhealthy after 3 checks 30 s apart: 30 + 10 + 2 x 30
    model.advance_to(100)
    task = world.tasks["task/2"]
    assert model.target_health(TARGET_GROUP, task.ip or "") == RESPONSE_CODE_MISMATCH
    assert model.next_change_at() == 230.0  # RUNNING at 30 + grace 200

    model.advance_to(230)
    assert (task.status, task.desired_status) == (DEACTIVATING, STOPPED)
    assert task.stopped_reason == f"Task failed ELB health checks in (target-group {TARGET_GROUP})"
    assert deployment.failed_tasks == 1


def test_pull_errors_trip_the_breaker_at_three_and_ecs_rolls_back_to_the_last_completed_deployment() -> None:
    model, world = adopted(v2=PullError(kind="pull_error", start_seconds=20))
    original = world.deployments[0]
    failing = deploy(model, world)

    model.advance_to(20)
    task = world.tasks["task/2"]
    assert (task.status, task.stop_code, task.started_at, task.exit_code) == (STOPPED, "TaskFailedToStart", None, None)

    # Failures at 20, 55, 90 (replacement 15 s after each): the threshold is 3 for desired 1.
    model.advance_to(89)
    assert (failing.rollout_state, failing.failed_tasks) == (IN_PROGRESS, 2)
    model.advance_to(90)
    rollback, failed, _ = world.deployments
    assert (failed, failed.rollout_state, failed.failed_tasks) == (failing, FAILED, 3)
    assert failed.rollout_state_reason == CIRCUIT_BREAKER_REASON
    assert rollback.task_definition == original.task_definition
    reason = f"ECS deployment circuit breaker: rolling back to deploymentId {original.id}."
    assert rollback.rollout_state_reason == reason

    model.advance_to(190)  # the rollback's task is healthy at 160, the old one drained by 190
    assert world.deployments == [rollback] and rollback.rollout_state == COMPLETED
    assert model.service_state(CLUSTER, SERVICE) == steady_on("aiuteur-backend:1")


def test_the_breaker_threshold_is_half_the_desired_count_between_3_and_200() -> None:
    assert [circuit_breaker_threshold(n) for n in (1, 6, 7, 8, 400, 401, 1000)] == [3, 3, 4, 4, 200, 200, 200]


def test_update_service_with_a_new_desired_count_scales_the_deployment() -> None:
    model, world = adopted(ServiceSpec(desired_count=1, load_balanced=False))
    [deployment] = world.deployments

    world.desired = 3
    model.on_update_service(CLUSTER, SERVICE)
    assert world.deployments == [deployment]  # no new deployment: the task definition is the same
    model.advance_to(30)
    assert model.service_state(CLUSTER, SERVICE).running_count == 3

    world.desired = 1
    model.on_update_service(CLUSTER, SERVICE)
    assert sorted(task.status for task in world.tasks.values()) == [RUNNING, STOPPED, STOPPED]
    assert model.service_state(CLUSTER, SERVICE) == steady_on("aiuteur-backend:1")


def test_a_behaviour_given_for_one_service_overrides_the_images_for_that_service_only() -> None:
    # Given v2 healthy everywhere, crashing on this service, and unhealthy on another one
    model, world = adopted(v2=Healthy())
    model.set_behavior(V2, Crash(kind="crash"), service=SERVICE)
    model.set_behavior(V2, Unhealthy(kind="unhealthy"), service="aiuteur-jobs-service")

    deploy(model, world)

    assert world.tasks["task/2"].behavior == Crash(kind="crash")


def test_without_a_behaviour_for_its_service_a_task_takes_the_images() -> None:
    model, world = adopted(v2=PullError(kind="pull_error"))
    model.set_behavior(V2, Crash(kind="crash"), service="aiuteur-jobs-service")

    deploy(model, world)

    assert world.tasks["task/2"].behavior == PullError(kind="pull_error")
