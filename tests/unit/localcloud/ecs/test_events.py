"""EventBridge's delivery of the model's task state-change events: at once by default, else late, lost,
twice or out of order as a scenario's `world.events` says, each delivery instant a timer of the model."""

from __future__ import annotations

from typing import Any

from pushdeploy_local.ecs import EcsModel
from pushdeploy_local.ecs.events import Outbox
from pushdeploy_local.scenario import EventDelivery, ServiceSpec
from tests.unit.localcloud.ecs.fakes import (
    ACCOUNT,
    CLUSTER,
    CONTAINER,
    REGION,
    SERVICE,
    TARGET_GROUP,
    FakeWorld,
    deploy,
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


def test_a_delivery_instant_is_a_timer_of_the_model() -> None:
    model, world = model_with(EventDelivery(delay_seconds=(5, 5)))
    deploy(model, world)  # task/2 PROVISIONING at 0, its event due at 5 (as is its PENDING)

    assert model.drain_events() == []
    assert model.next_change_at() == 5.0
    model.advance_to(5.0)
    assert [e["detail"]["lastStatus"] for e in model.drain_events()] == ["PROVISIONING"]

    model.advance_to(104.0)  # v2 healthy, v1 STOPPED at 100: its event is due at 105
    assert "STOPPED" not in [e["detail"]["lastStatus"] for e in model.drain_events()]
    assert model.next_change_at() == 105.0  # the model itself has nothing left to do
    model.advance_to(105.0)
    assert [e["detail"]["lastStatus"] for e in model.drain_events()] == ["STOPPING", "DEPROVISIONING", "STOPPED"]
    assert model.next_change_at() == 3700.0  # the old task leaves the API an hour after it stopped


def test_with_the_default_delivery_the_model_draws_no_delay_and_its_ids_do_not_move() -> None:
    ids = []
    for delivery in (EventDelivery(), EventDelivery(loss_rate=0.5, duplicate_rate=0.5)):
        model, world = model_with(delivery)
        deploy(model, world)
        model.advance_to(200.0)
        ids.append([d.id for d in world.deployments])
    assert ids[0] == ids[1]
