"""How long each Fargate lifecycle state lasts: fixed (`fast`) or drawn from ranges (`realistic`).

A scenario's `world.timing` chooses. `fast` keeps the fixed durations the tests were written against;
`realistic` draws provisioning, image pull, ACTIVATING, STOPPING, DEPROVISIONING and the scheduler's
replacement delay uniformly from the ranges of `facts` (each with its basis), from a generator of its own
seeded by `world.seed`, so a run replays exactly and no other draw of the model moves.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from pushdeploy_local.ecs.facts import (
    ACTIVATING_SECONDS,
    PROVISIONING_SECONDS,
    REALISTIC_ACTIVATING_SECONDS,
    REALISTIC_DEPROVISIONING_SECONDS,
    REALISTIC_PROVISIONING_SECONDS,
    REALISTIC_PULL_SECONDS,
    REALISTIC_REPLACEMENT_DELAY_SECONDS,
    REALISTIC_STOPPING_EXITED_SECONDS,
    REPLACEMENT_DELAY_SECONDS,
)
from pushdeploy_local.scenario import Behavior, PullError

TimingMode = Literal["fast", "realistic"]


@dataclass(frozen=True)
class Start:
    """A new task's lifecycle instants, in seconds after it was created."""

    pending: float  # PROVISIONING ends
    activating: float  # PENDING ends (the pull and the container's start)
    ready: float  # RUNNING; for pull_error, the instant the pull fails


class Timing:
    def __init__(self, mode: TimingMode = "fast", *, seed: int = 0) -> None:
        self.mode = mode
        self._draws = random.Random(f"{seed}:timing")

    @property
    def realistic(self) -> bool:
        return self.mode == "realistic"

    def start(self, behavior: Behavior) -> Start:
        """When a task launched with `behavior` leaves PROVISIONING, PENDING and ACTIVATING.

        `fast`, or a behaviour whose `start_seconds` the scenario set: that whole span, PROVISIONING its first
        PROVISIONING_SECONDS (at most half), ACTIVATING its last ACTIVATING_SECONDS (at most half of what
        follows). `realistic`: each state drawn; a failing pull fails at the end of its draw.
        """
        if not self.realistic or "start_seconds" in behavior.model_fields_set:
            ready = behavior.start_seconds
            pending = min(PROVISIONING_SECONDS, ready / 2)
            activating = ready - min(ACTIVATING_SECONDS, (ready - pending) / 2)
            return Start(pending=pending, activating=activating, ready=ready)
        pending = self._draw(REALISTIC_PROVISIONING_SECONDS)
        pulled = pending + self._draw(REALISTIC_PULL_SECONDS)
        if isinstance(behavior, PullError):
            return Start(pending=pending, activating=pulled, ready=pulled)
        return Start(pending=pending, activating=pulled, ready=pulled + self._draw(REALISTIC_ACTIVATING_SECONDS))

    def stopping(self, *, sigterm: bool, stop_timeout: float) -> float:
        """How long the task is STOPPING: `fast` none; `realistic` up to the container's stopTimeout after a
        SIGTERM, a few seconds when its essential container had already exited or never started."""
        if not self.realistic:
            return 0.0
        return self._draw((min(1.0, stop_timeout), stop_timeout) if sigterm else REALISTIC_STOPPING_EXITED_SECONDS)

    def deprovisioning(self) -> float:
        return self._draw(REALISTIC_DEPROVISIONING_SECONDS) if self.realistic else 0.0

    def replacement_delay(self) -> float:
        """The scheduler's next pass after a task of the service stopped (before any throttling)."""
        return self._draw(REALISTIC_REPLACEMENT_DELAY_SECONDS) if self.realistic else REPLACEMENT_DELAY_SECONDS

    def _draw(self, bounds: tuple[float, float]) -> float:
        low, high = bounds
        # Whole tenths of a second: virtual instants stay readable in reports and event times.
        return round(self._draws.uniform(low, high), 1)
