"""One story from a parent's history and its Distributed Map's child executions (adapters.stepfunctions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pushdeploy.adapters.stepfunctions import fold_children

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
RUN = "arn:aws:states:us-east-1:123456789012:mapRun:deploy/1:2"


def event(id_: int, kind: str, seconds: float, previous: int = 0, **details: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "previousEventId": previous,
        "type": kind,
        "timestamp": T0 + timedelta(seconds=seconds),
    } | details


def child(name: str, *states: tuple[str, float]) -> list[dict[str, Any]]:
    """ExecutionStarted, each state's entered event (each after the one before), ExecutionSucceeded."""
    events = [event(1, "ExecutionStarted", states[0][1])]
    for state, seconds in states:
        events.append(event(len(events) + 1, "TaskStateEntered", seconds, len(events), name=f"{name}:{state}"))
    return [*events, event(len(events) + 1, "ExecutionSucceeded", states[-1][1], len(events))]


PARENT = [
    event(1, "ExecutionStarted", 0),
    event(2, "TaskStateEntered", 0, 1),
    event(3, "MapStateEntered", 1, 2),
    event(4, "MapRunStarted", 1, 3, mapRunStartedEventDetails={"mapRunArn": RUN}),
    event(5, "MapRunSucceeded", 9, 4),
    event(6, "ExecutionSucceeded", 9, 5),
]


def test_the_children_follow_map_run_started_in_time_order_without_their_own_start_and_end():
    a = child("a", ("Lock", 1), ("Register", 5))
    b = child("b", ("Lock", 2), ("Register", 3))

    folded = fold_children(PARENT, {RUN: [a, b]})

    assert [e.get("name", e["type"]) for e in folded] == [
        "ExecutionStarted",
        "TaskStateEntered",
        "MapStateEntered",
        "MapRunStarted",
        "a:Lock",
        "b:Lock",
        "b:Register",
        "a:Register",
        "MapRunSucceeded",
        "ExecutionSucceeded",
    ]


def test_events_are_numbered_anew_and_each_still_points_at_the_event_before_it_in_its_own_history():
    a = child("a", ("Lock", 1), ("Register", 5))
    b = child("b", ("Lock", 2), ("Register", 3))

    folded = fold_children(PARENT, {RUN: [a, b]})

    by_name = {e.get("name", e["type"]): e for e in folded}
    assert [e["id"] for e in folded] == list(range(1, len(folded) + 1))
    # a child's first state pointed at its own ExecutionStarted, which is left out: it points at MapRunStarted
    assert (
        by_name["a:Lock"]["previousEventId"] == by_name["b:Lock"]["previousEventId"] == by_name["MapRunStarted"]["id"]
    )
    assert by_name["a:Register"]["previousEventId"] == by_name["a:Lock"]["id"]
    assert by_name["b:Register"]["previousEventId"] == by_name["b:Lock"]["id"]
    assert by_name["MapRunSucceeded"]["previousEventId"] == by_name["MapRunStarted"]["id"]


def test_a_history_without_a_map_run_is_itself():
    plain = [event(1, "ExecutionStarted", 0), event(2, "ExecutionSucceeded", 1, 1)]

    assert fold_children(plain, {}) == plain
