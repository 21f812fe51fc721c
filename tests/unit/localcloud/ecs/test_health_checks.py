"""Container health checks as ECS documents them (API_HealthCheck.html, healthcheck.html): the container's
and the task's healthStatus, startPeriod, retries, and the scheduler stopping an UNHEALTHY task."""

from __future__ import annotations

import pytest

from pushdeploy_local.ecs.facts import (
    CONTAINER_HEALTH_CHECK_STOP,
    CONTAINER_HEALTHY,
    CONTAINER_UNHEALTHY,
    CONTAINER_UNKNOWN,
    DEACTIVATING,
    IN_PROGRESS,
    RUNNING,
    STOPPED,
)
from pushdeploy_local.ecs.state import Container, HealthCheck, Task
from pushdeploy_local.scenario import Behavior, Healthy, ServiceSpec, Unhealthy
from tests.unit.localcloud.ecs.fakes import CONTAINER, SERVICE, TARGET_GROUP, adopted, deploy

# template.yaml's TaskDefinition: wget of the health path every 30 s, timeout 5, retries 3, startPeriod 60.
TEMPLATE_CHECK = HealthCheck(interval=30, timeout=5, retries=3, start_period=60)
CHECKED = (Container(CONTAINER, essential=True, health_check=TEMPLATE_CHECK),)


def task(behavior: Behavior, containers: tuple[Container, ...], *, started_at: float = 0.0) -> Task:
    return Task(
        arn="task/1",
        short_id="1",
        deployment_id="d",
        task_definition="td",
        behavior=behavior,
        container=CONTAINER,
        image="repository@sha256:1",
        ip=None,
        created_at=0,
        pending_at=0,
        activating_at=0,
        ready_at=0,
        containers=containers,
        started_at=started_at,
        checks_since=started_at,
    )


@pytest.mark.parametrize(
    ("start_period", "retries", "unhealthy_after"),
    [
        (0, 3, 90),  # checks at 30, 60, 90: the third consecutive failure
        (60, 3, 120),  # the check at 30 is within startPeriod and does not count: 60, 90, 120
        (45, 1, 60),  # 30 is within it, the first that counts is at 60
        (300, 2, 330),
    ],
)
def test_failures_within_the_start_period_do_not_count_and_retries_failures_make_it_unhealthy(
    start_period: float, retries: int, unhealthy_after: float
) -> None:
    check = HealthCheck(interval=30, timeout=5, retries=retries, start_period=start_period)
    assert check.unhealthy_after() == unhealthy_after
    # A pass within startPeriod counts: HEALTHY at the first check, one interval after the start.
    assert check.healthy_after() == 30


def test_a_container_is_unknown_until_its_check_decides() -> None:
    passing = task(Healthy(), CHECKED, started_at=100)
    failing = task(Unhealthy(kind="unhealthy"), CHECKED, started_at=100)
    [container] = CHECKED
    assert [passing.container_health(container, t) for t in (100, 129.9, 130)] == [
        CONTAINER_UNKNOWN,
        CONTAINER_UNKNOWN,
        CONTAINER_HEALTHY,
    ]
    assert [failing.container_health(container, t) for t in (130, 219.9, 220)] == [
        CONTAINER_UNKNOWN,
        CONTAINER_UNKNOWN,
        CONTAINER_UNHEALTHY,
    ]


def test_a_container_without_a_check_is_unknown_and_so_is_its_task() -> None:
    unchecked = task(Healthy(), (Container(CONTAINER, essential=True, health_check=None),), started_at=0)
    assert unchecked.health_status(1000) == CONTAINER_UNKNOWN
    assert not unchecked.checked


@pytest.mark.parametrize(
    ("containers", "at", "status"),
    [
        # every essential container HEALTHY: HEALTHY
        ((*CHECKED, Container("sidecar", essential=True, health_check=TEMPLATE_CHECK)), 30, CONTAINER_HEALTHY),
        # an essential container without a check stays UNKNOWN, and so does the task
        ((*CHECKED, Container("sidecar", essential=True, health_check=None)), 30, CONTAINER_UNKNOWN),
        # a non-essential container's status does not count
        ((*CHECKED, Container("sidecar", essential=False, health_check=None)), 30, CONTAINER_HEALTHY),
        # UNHEALTHY before UNKNOWN: the essential container the behaviour fails, the sidecar unchecked
        (
            (
                Container(CONTAINER, essential=True, health_check=HealthCheck(30, 5, 1, 0)),
                Container("sidecar", essential=True, health_check=None),
            ),
            30,
            CONTAINER_UNHEALTHY,
        ),
    ],
)
def test_the_task_health_is_its_essential_containers_in_the_order_unhealthy_unknown_healthy(
    containers: tuple[Container, ...], at: float, status: str
) -> None:
    failing = any(c.health_check is not None and c.health_check.retries == 1 for c in containers)
    behavior: Behavior = Healthy(container_check="fails") if failing else Healthy()
    assert task(behavior, containers).health_status(at) == status


def test_a_checked_task_is_healthy_for_the_scheduler_only_once_its_check_passed() -> None:
    # Given a worker service (no load balancer) whose task definition has the template's health check
    model, world = adopted(ServiceSpec(load_balanced=False), containers=CHECKED)
    [old] = world.tasks.values()
    assert (old.health, old.healths) == (CONTAINER_HEALTHY, {CONTAINER: CONTAINER_HEALTHY})  # adopted: long checked
    deploy(model, world)

    # When the new task is RUNNING (at 30), its check has not run yet: the old task keeps serving
    model.advance_to(59)
    new = world.tasks["task/2"]
    assert (new.status, new.health, old.status) == (RUNNING, CONTAINER_UNKNOWN, RUNNING)

    # Then at its first check (30 s after it started) it is HEALTHY and replaces the old task
    assert model.next_change_at() == 60
    model.advance_to(60)
    assert new.health == CONTAINER_HEALTHY and new.healths == {CONTAINER: CONTAINER_HEALTHY}
    assert old.status == STOPPED


def test_an_unhealthy_container_stops_its_task_after_the_grace_period_and_counts_for_the_breaker() -> None:
    # Given an image the ALB finds healthy but whose container check fails (the guide's curl on alpine)
    model, world = adopted(containers=CHECKED, v2=Healthy(container_check="fails"))
    deployment = deploy(model, world)

    # RUNNING at 30, its target healthy at 70, but the task never HEALTHY: the old task keeps serving
    model.advance_to(149)
    new, old = world.tasks["task/2"], world.tasks["task/1"]
    assert (new.status, new.health, old.status) == (RUNNING, CONTAINER_UNKNOWN, RUNNING)
    assert deployment.rollout_state == IN_PROGRESS

    # When its check has failed 3 times after the 60 s startPeriod (60, 90, 120 s after it started)
    model.advance_to(150)

    # Then ECS stops it (it drains first), counts it, and replaces it on its next pass
    assert (new.health, new.healths) == (CONTAINER_UNHEALTHY, {CONTAINER: CONTAINER_UNHEALTHY})
    assert (new.status, new.desired_status, new.stopped_reason) == (DEACTIVATING, STOPPED, CONTAINER_HEALTH_CHECK_STOP)
    assert deployment.failed_tasks == 1
    assert f"(service {SERVICE}) (task 2) failed container health checks." in world.messages
    assert model.target_health(TARGET_GROUP, new.ip or "")[0] == "draining"
    assert deployment.launch_not_before == 165  # reached RUNNING, so not throttled
    model.advance_to(180)
    assert new.status == STOPPED and new.health == CONTAINER_UNHEALTHY  # frozen as it stopped


def test_an_unhealthy_container_waits_out_the_grace_period() -> None:
    model, world = adopted(ServiceSpec(load_balanced=False, grace_period_seconds=300), containers=CHECKED)
    model.set_behavior("sha256:" + "2" * 64, Unhealthy(kind="unhealthy"))
    deploy(model, world)
    model.advance_to(329)
    new = world.tasks["task/2"]
    assert (new.health, new.status) == (CONTAINER_UNHEALTHY, RUNNING)  # UNHEALTHY since 150, within grace
    model.advance_to(330)  # RUNNING at 30 + grace 300
    assert (new.status, new.stopped_reason) == (STOPPED, CONTAINER_HEALTH_CHECK_STOP)
