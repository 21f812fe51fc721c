"""What every section of docs/benchmarks.md writes with: figures, tables, the by-case tables' cells."""

from __future__ import annotations

from collections.abc import Callable

from bench.cases import BEHAVIOURS, DESIRED_COUNTS, HORIZON_SECONDS, SYSTEMS
from bench.measurements import Source
from bench.rows import Conclusion, Row, find, pushdeploy_rows

PLOT = "benchmarks-restore.svg"
SHORT = {"pushdeploy": "pushdeploy", "circuit_breaker": "circuit breaker", "waiter": "waiter", "poll_1s": "poll 1 s"}
SPEC = "Phase 4 service: health check every 30 s, healthy 2, unhealthy 3, grace 60 s, deregistration 30 s"
SAID = {Conclusion.SUCCESS: "ok", Conclusion.FAILURE: "failed", Conclusion.TIMEOUT: "timed out"}


def n(value: float | str | None, unit: str = "") -> str:
    """A figure as the document shows it: None as a dash, floats to the thousandth, no trailing zeros."""
    if value is None:
        return "—"
    if isinstance(value, float):
        value = round(value, 3)
    return f"{value:g}{unit}" if isinstance(value, int | float) else str(value)


def table(header: list[str], body: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(cells) + " |" for cells in body]


def by_case(rows: list[Row], cell: Callable[[Row], str], scenarios: list[str] | None = None) -> list[str]:
    """One line per case, one column per system."""
    body = []
    for scenario in scenarios or list(BEHAVIOURS):
        for count in DESIRED_COUNTS:
            body.append([scenario, str(count), *(cell(find(rows, scenario, count, s)) for s in SYSTEMS)])
    return table(["scenario", "desired", *(SHORT[s] for s in SYSTEMS)], body)


def bad_scenarios() -> list[str]:
    return [s for s in BEHAVIOURS if s != "healthy"]


def restore_cell(row: Row) -> str:
    if row.restore_s is None:
        return f"never (>{HORIZON_SECONDS:g})" if row.evidence_s is not None else "—"
    by = " (ECS)" if row.rolled_back_by == "ecs" else ""
    return f"{n(row.restore_s)}{by}"


def watch_seconds(rows: list[Row]) -> str:
    """The `watch_seconds` pushdeploy's runs had."""
    found = sorted({r.policy.watch_seconds for r in pushdeploy_rows(rows)})
    return " or ".join(str(w) for w in found) or "?"


def remeasured(own: Source | None, source: Source | None) -> str:
    """A part measured again on its own (not by a whole `make bench`) says on what."""
    if not own or own == source:
        return ""
    changed = f", with {len(own.uncommitted)} files changed but not committed" if own.uncommitted else ""
    return f" Measured again on its own, on commit {own.commit}{changed}."
