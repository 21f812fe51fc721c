"""The virtual clock's waits with a deadline: set by someone else first, or by the deadline."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from pushdeploy_local.clock import VirtualClock

EPOCH = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def waiting(clock: VirtualClock, event: threading.Event, seconds: float | None) -> tuple[threading.Thread, list[bool]]:
    """A thread in `clock.wait_for(event, seconds)`, once its deadline is registered; its answer lands in the list."""
    answers: list[bool] = []
    thread = threading.Thread(target=lambda: answers.append(clock.wait_for(event, seconds)))
    thread.start()
    deadline = time.monotonic() + 5
    while seconds is not None and clock.next_wakeup() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    return thread, answers


def test_an_event_set_before_the_deadline_ends_the_wait_and_leaves_no_wakeup() -> None:
    clock = VirtualClock(EPOCH)
    event = threading.Event()
    thread, answers = waiting(clock, event, 300)
    assert clock.next_wakeup() == 300

    event.set()
    thread.join(5)

    assert answers == [True]
    assert clock.next_wakeup() is None
    assert clock._released == 0  # no advance released it: nothing to account


def test_the_deadline_in_virtual_time_ends_the_wait_and_sets_the_event() -> None:
    clock = VirtualClock(EPOCH)
    event = threading.Event()
    thread, answers = waiting(clock, event, 300)

    clock.advance_to(299, lambda instant: None)
    thread.join(0.05)
    assert thread.is_alive() and not event.is_set()

    clock.advance_to(300, lambda instant: None)
    thread.join(5)

    assert answers == [False] and event.is_set()
    assert clock._released == 0  # released by the advance, and back to running


def test_an_event_set_while_the_world_steps_at_the_deadline_counts_as_set_first() -> None:
    clock = VirtualClock(EPOCH)
    event = threading.Event()
    thread, answers = waiting(clock, event, 300)

    # The world's step at 300 s sets the event (a delivered event's SendTaskSuccess) before the sleepers wake
    clock.advance_to(300, lambda instant: event.set())
    thread.join(5)

    assert len(answers) == 1 and clock.next_wakeup() is None
    assert clock._released == 0


def test_an_event_already_set_and_a_wait_without_deadline_return_at_once() -> None:
    clock = VirtualClock(EPOCH)
    event = threading.Event()
    event.set()

    assert clock.wait_for(event, 300) is True
    assert clock.wait_for(event, None) is True
    assert clock.next_wakeup() is None
