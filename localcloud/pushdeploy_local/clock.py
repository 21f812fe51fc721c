"""A discrete-event virtual clock for the local cloud.

Step Functions Wait states, Retry backoffs and task-token waits (waitForTaskToken up to its
TimeoutSeconds) sleep on this clock instead of the wall clock. Map iterations run in parallel threads, so
the clock cannot just add each sleep's seconds: it advances to the earliest pending wake-up, and only
when every interpreter thread is blocked (quiescent). Each advance moves the time that moto and the
handlers read (time-machine) and steps the world (the ECS/ALB model and the events it emits).
"""

from __future__ import annotations

import heapq
import itertools
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from types import CodeType, FrameType
from typing import Any

import time_machine

# Python functions a thread sits in while it is blocked on a lock, an event or another thread.
_BLOCKING = {
    threading.Condition.wait.__code__,
    threading.Thread.join.__code__,
    threading.Thread._wait_for_tstate_lock.__code__,  # type: ignore[attr-defined]
    threading.Semaphore.acquire.__code__,
}
# A thread waiting in Thread.start is not blocked: the thread it starts is about to run.
_STARTING = threading.Thread.start.__code__
# Only threads of moto's Step Functions interpreter take part; a server thread or pytest's do not.
_INTERPRETER_MARK = "moto/stepfunctions/"


class VirtualClock:
    def __init__(self, epoch: datetime) -> None:
        self.epoch = epoch
        self._now = 0.0
        self._cond = threading.Condition()
        self._sleepers: list[tuple[float, int, threading.Event]] = []
        self._seq = itertools.count()
        self._released = 0  # woken sleepers that have not yet run again
        self._traveller = time_machine.travel(epoch, tick=False)
        self._coordinates: Any = None  # time_machine's Coordinates while the clock runs

    def __enter__(self) -> VirtualClock:
        self._coordinates = self._traveller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._traveller.stop()
        self._coordinates = None

    @property
    def now(self) -> float:
        """Seconds since the epoch of this run."""
        return self._now

    def at(self, seconds: float) -> datetime:
        return self.epoch + timedelta(seconds=seconds)

    def sleep(self, seconds: float) -> None:
        """Block the calling interpreter thread for `seconds` of virtual time."""
        if seconds <= 0:
            return
        wake = threading.Event()
        with self._cond:
            heapq.heappush(self._sleepers, (self._now + seconds, next(self._seq), wake))
        wake.wait()
        with self._cond:
            self._released -= 1

    def wait_for(self, event: threading.Event, seconds: float | None) -> bool:
        """Block the calling interpreter thread until `event` is set or `seconds` of virtual time have passed.

        True when someone else set `event` first; False when the deadline came first (the clock then sets
        `event` itself, so whoever else waits on it wakes too). `seconds` None: no deadline. While it waits
        the thread counts as blocked for `wait_quiescent`; once `event` is set, as about to run (`_woken`).
        """
        if seconds is None:
            event.wait()
            return True
        with self._cond:
            if event.is_set():
                return True
            if seconds <= 0:
                return False
            entry = (self._now + seconds, next(self._seq), event)
            heapq.heappush(self._sleepers, entry)
        event.wait()
        with self._cond:
            if entry in self._sleepers:
                # Set by someone else before the deadline: no advance released this thread.
                self._sleepers.remove(entry)
                heapq.heapify(self._sleepers)
                return True
            self._released -= 1
            return False

    def next_wakeup(self) -> float | None:
        with self._cond:
            return self._sleepers[0][0] if self._sleepers else None

    def advance_to(self, instant: float, on_instant: Callable[[float], None]) -> None:
        """Move time to `instant`, let `on_instant` step the world there, then wake the sleepers due."""
        instant = max(instant, self._now)
        self._now = instant
        if self._coordinates is not None:
            self._coordinates.move_to(self.at(instant))
        on_instant(instant)
        with self._cond:
            while self._sleepers and self._sleepers[0][0] <= instant:
                _, _, wake = heapq.heappop(self._sleepers)
                self._released += 1
                wake.set()

    def wait_quiescent(self, timeout: float = 60.0) -> None:
        """Return once every interpreter thread is blocked (twice in a row, a moment apart)."""
        deadline = time.monotonic() + timeout
        calm = 0
        while calm < 3:
            if time.monotonic() > deadline:
                raise TimeoutError("the local cloud's interpreter threads did not settle")
            time.sleep(0.0005 if calm == 0 else 0.002)
            calm = calm + 1 if self._quiescent() else 0

    def _quiescent(self) -> bool:
        with self._cond:
            if self._released:
                return False
        me = threading.get_ident()
        for ident, frame in sys._current_frames().items():
            codes = _stack_codes(frame)
            if ident == me or not any(_INTERPRETER_MARK in code.co_filename for code in codes):
                continue
            if codes[0] not in _BLOCKING or _STARTING in codes or _woken(frame):
                return False
        return True


def _woken(frame: FrameType) -> bool:
    """A thread still inside a blocking call whose lock was already released: it is about to run.

    Condition.wait blocks on its `waiter` lock and Thread.join on the thread's `lock`; notify() or the
    thread's end releases that lock before the sleeper is scheduled again.
    """
    lock = frame.f_locals.get("waiter") or frame.f_locals.get("lock")
    return lock is not None and hasattr(lock, "locked") and not lock.locked()


def _stack_codes(frame: FrameType | None) -> list[CodeType]:
    codes = []
    while frame is not None:
        codes.append(frame.f_code)
        frame = frame.f_back
    return codes
