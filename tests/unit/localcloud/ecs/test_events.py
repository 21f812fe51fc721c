"""EventBridge's delivery of the model's task and deployment state-change events: at once by default, else
late, lost, twice or out of order as a scenario's `world.events` says, each delivery instant a timer of the model."""

from __future__ import annotations

from typing import Any

from pushdeploy_local.ecs import EcsModel
from pushdeploy_local.ecs.events import Outbox
from pushdeploy_local.ecs.facts import CIRCUIT_BREAKER_REASON
from pushdeploy_local.scenario import CircuitBreaker, CircuitBreakerThreshold, EventDelivery, PullError, ServiceSpec
from tests.unit.localcloud.ecs.fakes import (
    ACCOUNT,
    CLUSTER,
    CONTAINER,
    REGION,
    SERVICE,
    TARGET_GROUP,
    FakeWorld,
    adopted,
    deploy,
    task_state_changes,
)


def event(n: int) -> dict[str, Any]:
    return {"id": f"event-{n}", "detail": {"version": n}}


def posted(outbox: Outbox, count: int, *, at: float = 0.0) -> Outbox:
    for n in range(count):
        outbox.post(event(n), now=at)
    return outbox


def test_by_default_every_event_is_due_at_once_once_and_in_order() -> None:
    outbox = posted(Outbox(), 5, at=10.0)

    assert outbox.next_delivery_after(10.0) is None
    assert outbox.drain(now=10.0) == [event(n) for n in range(5)]
    assert outbox.drain(now=10.0) == [] and outbox.drain(now=3600.0) == []


def test_a_delayed_event_is_due_at_its_own_instant_and_a_later_one_may_come_first() -> None:
    outbox = posted(Outbox(EventDelivery(delay_seconds=(1, 60)), seed=7), 20)

    instants = []
    while (due := outbox.next_delivery_after(0.0 if not instants else instants[-1])) is not None:
        assert 1 <= due <= 60
        delivered = outbox.drain(now=due)
        assert delivered  # each instant named delivers something then
        instants.append(due)
        order = [e["detail"]["version"] for e in delivered]
        assert order == sorted(order)  # events due at one instant keep their order
    versions = list(range(20))
    assert len(instants) == 20 and outbox.drain(now=3600.0) == []
    # Different delays reorder: the delivery order is not the posting order.
    replayed = posted(Outbox(EventDelivery(delay_seconds=(1, 60)), seed=7), 20).drain(now=60)
    assert sorted(e["detail"]["version"] for e in replayed) == versions
    assert [e["detail"]["version"] for e in replayed] != versions


def test_the_same_seed_replays_the_same_deliveries_and_another_seed_does_not() -> None:
    delivery = EventDelivery(delay_seconds=(0, 30), loss_rate=0.3, duplicate_rate=0.3)

    def deliveries(seed: int) -> list[tuple[float, str]]:
        outbox = posted(Outbox(delivery, seed=seed), 30)
        found = []
        while (due := outbox.next_delivery_after(found[-1][0] if found else -1.0)) is not None:
            found += [(due, e["id"]) for e in outbox.drain(now=due)]
        return found

    assert deliveries(7) == deliveries(7)
    assert deliveries(7) != deliveries(8)


def test_with_total_loss_nothing_is_delivered() -> None:
    outbox = posted(Outbox(EventDelivery(loss_rate=1.0)), 5)

    assert outbox.drain(now=3600.0) == [] and outbox.next_delivery_after(0.0) is None


def test_a_duplicate_is_the_same_event_delivered_again() -> None:
    outbox = posted(Outbox(EventDelivery(duplicate_rate=1.0)), 3)

    delivered = outbox.drain(now=0.0)
    assert [e["id"] for e in delivered] == ["event-0", "event-0", "event-1", "event-1", "event-2", "event-2"]
    assert delivered[0] == delivered[1] and delivered[0] is not delivered[1]


def test_some_events_are_lost_and_some_duplicated_at_the_rates_given() -> None:
    outbox = posted(Outbox(EventDelivery(loss_rate=0.2, duplicate_rate=0.5), seed=3), 2000)

    ids = [e["id"] for e in outbox.drain(now=0.0)]
    kept, twice = len(set(ids)), len(ids) - len(set(ids))
    assert 1500 < kept < 1700  # about 80 % of 2,000 arrive
    assert 0.4 * kept < twice < 0.6 * kept  # about half of those twice


def model_with(delivery: EventDelivery) -> tuple[EcsModel, FakeWorld]:
    spec = ServiceSpec()
    world = FakeWorld(spec)
    model = EcsModel(ACCOUNT, REGION, seed=7, events=delivery, world=world)
    model.add_service(cluster=CLUSTER, service=SERVICE, container=CONTAINER, spec=spec, target_group_arn=TARGET_GROUP)
    return model, world


def statuses(events: list[dict[str, Any]]) -> list[str]:
    """The lastStatus of each task state change among `events` (the deployment's own go the same way)."""
    return [e["detail"]["lastStatus"] for e in task_state_changes(events)]


def test_a_delivery_instant_is_a_timer_of_the_model() -> None:
    model, world = model_with(EventDelivery(delay_seconds=(5, 5)))
    deploy(model, world)  # task/2 PROVISIONING at 0, its event due at 5 (as is its PENDING)

    assert model.drain_events() == []
    assert model.next_change_at() == 5.0
    model.advance_to(5.0)
    assert statuses(model.drain_events()) == ["PROVISIONING"]

    model.advance_to(104.0)  # v2 healthy, v1 STOPPED at 100: its event is due at 105
    assert "STOPPED" not in statuses(model.drain_events())
    assert model.next_change_at() == 105.0  # the model itself has nothing left to do
    model.advance_to(105.0)
    assert statuses(model.drain_events()) == ["STOPPING", "DEPROVISIONING", "STOPPED"]
    assert model.next_change_at() == 3700.0  # the old task leaves the API an hour after it stopped


def test_with_the_default_delivery_the_model_draws_no_delay_and_its_ids_do_not_move() -> None:
    ids = []
    for delivery in (EventDelivery(), EventDelivery(loss_rate=0.5, duplicate_rate=0.5)):
        model, world = model_with(delivery)
        deploy(model, world)
        model.advance_to(200.0)
        ids.append([d.id for d in world.deployments])
    assert ids[0] == ids[1]


def deployment_events(model: EcsModel, until: float) -> list[tuple[float, str, str, str]]:
    """(instant, eventName, deploymentId, reason) of each ECS Deployment State Change delivered by `until`."""
    found = []
    while (instant := model.next_change_at()) is not None and instant <= until:
        model.advance_to(instant)
        found += [
            (instant, e["detail"]["eventName"], e["detail"]["deploymentId"], e["detail"]["reason"])
            for e in model.drain_events()
            if e["detail-type"] == "ECS Deployment State Change"
        ]
    return found


def test_a_deployment_reports_its_start_and_completion_as_ecs_deployment_state_changes() -> None:
    model, world = model_with(EventDelivery())
    deployment = deploy(model, world)
    started = [e for e in model.drain_events() if e["detail-type"] == "ECS Deployment State Change"]

    # The envelope and detail of ecs_service_deployment_events.html: the service's ARN its resource
    assert [e["detail"]["eventName"] for e in started] == ["SERVICE_DEPLOYMENT_IN_PROGRESS"]
    assert started[0]["source"] == "aws.ecs"
    assert started[0]["resources"] == [f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{SERVICE}"]
    assert started[0]["detail"]["eventType"] == "INFO" and started[0]["detail"]["deploymentId"] == deployment.id
    # COMPLETED once, when v2 runs healthy and v1's task has stopped (100 s), and nothing after
    assert deployment_events(model, 3600) == [
        (100.0, "SERVICE_DEPLOYMENT_COMPLETED", deployment.id, f"ECS deployment {deployment.id} completed.")
    ]


def test_the_circuit_breaker_reports_the_failure_and_its_rollback() -> None:
    spec = ServiceSpec(
        desired_count=2, circuit_breaker=CircuitBreaker(threshold=CircuitBreakerThreshold(type="COUNT", value=1))
    )
    model, world = adopted(spec, v2=PullError(kind="pull_error"))
    deployment = deploy(model, world)
    model.drain_events()

    events = deployment_events(model, 400)

    (failed_at, failed, failed_id, reason), (rollback_at, rollback, rollback_id, rollback_reason) = events[:2]
    assert (failed_at, failed, failed_id, reason) == (
        20.0,
        "SERVICE_DEPLOYMENT_FAILED",
        deployment.id,
        CIRCUIT_BREAKER_REASON,
    )
    assert (rollback_at, rollback) == (20.0, "SERVICE_DEPLOYMENT_IN_PROGRESS")
    assert rollback_reason.startswith("ECS deployment circuit breaker: rolling back to deploymentId ")
    # The rollback's own deployment completes, and says so
    assert events[2][1:3] == ("SERVICE_DEPLOYMENT_COMPLETED", rollback_id) and len(events) == 3


def test_a_deployment_state_change_goes_the_way_of_the_task_events_lost_with_them() -> None:
    model, world = model_with(EventDelivery(loss_rate=1.0))
    deploy(model, world)

    assert deployment_events(model, 3600) == [] and model.drain_events() == []
