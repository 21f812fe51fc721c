"""The rows of bench/results.json: one per (system, scenario, desired count), and pushdeploy's watch-off runs.

results.json is published: each model's fields, in their order, are its keys, so a row is dumped exactly as
it was written before these models (`tests/bench/test_records.py` round-trips the committed files).
Times are virtual seconds since the push (0 s); None is a figure the system has no notion of, or a moment
that did not come within the HORIZON_SECONDS watched.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Tag, TypeAdapter

System = Literal["pushdeploy", "circuit_breaker", "waiter", "poll_1s"]
# The ECS model's `world.timing` a run had: `realistic` (drawn Fargate durations, the main tables) or `fast`
# (the fixed durations, beside them).
Timing = Literal["realistic", "fast"]
# The service's circuit breaker: the template's (`default`: 50 % of the desired count clamped to 3..200,
# resetOnHealthyTask true) or the strictest ECS allows (`strictest`: COUNT 1, resetOnHealthyTask false).
Breaker = Literal["default", "strictest"]
MAIN_TIMING: Timing = "realistic"


class Conclusion(StrEnum):
    """What a system concluded about one deployment, the same notion for every system compared. Not the
    deployer's per-target outcome (`pushdeploy.outcome.Outcome`), which a pushdeploy row maps onto this."""

    SUCCESS = "success"
    FAILURE = "failure"
    TIMEOUT = "timeout"


class Record(BaseModel):
    """A measured record: no key that is not declared, and a changed field is validated again."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Policy(Record):
    """The parts of the targets' policy (`DeployerSettings.policy()`) that shape a one-push run: the lock
    wait does not (no push waits for another here)."""

    deadline_seconds: int
    bake_seconds: int
    watch_seconds: int
    failure_budget: int

    @classmethod
    def of(cls, policy: dict[str, int]) -> Policy:
        return cls(**{name: policy[name] for name in cls.model_fields})


class Row(Record):
    """Every system's figures: issue 7's keys first, then those that explain them."""

    scenario: str
    desired_count: int
    system: System
    verdict_s: float | None
    detect_s: float | None
    restore_s: float | None
    transitions: int | None
    lambda_invocations: int | None
    usd_per_1000: float | None
    api_calls: int
    api_calls_per_probe: float | None
    outcome: Conclusion | None  # None: no verdict within the time watched
    verdict_correct: bool | None
    verdict_after_evidence_s: float | None
    evidence_s: float | None
    evidence: str
    rollback_s: float | None
    rolled_back_by: Literal["ecs", "tool"] | None
    completed_s: float | None
    ecs_failed_s: float | None
    client_busy_s: float | None
    lambda_gb_seconds: float | None
    api_calls_by_operation: dict[str, int]
    poll_seconds: int | None
    timing: Timing = MAIN_TIMING
    breaker: Breaker = "default"


class PollingRow(Row):
    """A baseline that polls (the waiter, the 1 s poller): how many probes it made."""

    probes: int


class PushdeployRow(Row):
    reason: str
    policy: Policy
    check_invocations: int
    calls_per_probe_by_operation: dict[str, float]
    lambda_invocations_by_function: dict[str, int]
    wake_at_s: list[float]
    watch_from_s: float | None  # when the watch of a healthy deploy was first recorded (Watch)
    lock_released_s: float | None  # when Unlock was last invoked


def _kind(row: Any) -> str:
    system = row.get("system") if isinstance(row, dict) else getattr(row, "system", None)
    return {"pushdeploy": "pushdeploy", "waiter": "polling", "poll_1s": "polling"}.get(str(system), "row")


AnyRow = Annotated[
    Annotated[PushdeployRow, Tag("pushdeploy")] | Annotated[PollingRow, Tag("polling")] | Annotated[Row, Tag("row")],
    Discriminator(_kind),
]
ROWS: TypeAdapter[list[Row]] = TypeAdapter(list[AnyRow])


def load_rows(text: str) -> list[Row]:
    """results.json's rows, each as its system's model."""
    return ROWS.validate_json(text)


def dump_rows(rows: list[Row]) -> str:
    """results.json's text."""
    return json.dumps([row.model_dump(mode="json") for row in rows], indent=1) + "\n"


def find(
    rows: list[Row],
    scenario: str,
    count: int,
    system: System,
    timing: Timing = MAIN_TIMING,
    breaker: Breaker = "default",
) -> Row:
    wanted = (scenario, count, system, timing, breaker)
    return next(r for r in rows if (r.scenario, r.desired_count, r.system, r.timing, r.breaker) == wanted)


def find_pushdeploy(rows: list[Row], scenario: str, count: int, timing: Timing = MAIN_TIMING) -> PushdeployRow:
    row = find(rows, scenario, count, "pushdeploy", timing)
    assert isinstance(row, PushdeployRow)
    return row


def pushdeploy_rows(rows: list[Row]) -> list[PushdeployRow]:
    """pushdeploy's rows with the default circuit breaker."""
    return [r for r in rows if isinstance(r, PushdeployRow) and r.breaker == "default"]


def of_timing(rows: list[Row], timing: Timing) -> list[Row]:
    return [r for r in rows if r.timing == timing]


def find_off(
    watch_off: list[PushdeployRow], scenario: str, count: int, timing: Timing = MAIN_TIMING
) -> PushdeployRow | None:
    """pushdeploy's run of this case with its watch off, if measured."""
    return next((r for r in watch_off if (r.scenario, r.desired_count, r.timing) == (scenario, count, timing)), None)
