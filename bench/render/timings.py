"""The sections "Restore", "Verdict" and "Detect" (realistic timing): when each system restored, decided and
rolled back; then the same on fast timing beside them, and the circuit breaker's strictest setting."""

from __future__ import annotations

from collections.abc import Callable

from bench.cases import BEHAVIOURS, DESIRED_COUNTS, STRICTEST_SYSTEMS, SYSTEMS
from bench.render.cells import PLOT, SAID, SHORT, bad_scenarios, by_case, n, restore_cell, table
from bench.rows import Row, System, find, of_timing
from pushdeploy.verdict import FALLBACK_PROBE_SECONDS


def restore(rows: list[Row]) -> list[str]:
    return [
        "## Restore: previous version alone and healthy again (s after push)",
        "",
        f"![restore time by scenario and system]({PLOT})",
        "",
        *by_case(rows, restore_cell, bad_scenarios()),
    ]


def verdict(rows: list[Row]) -> list[str]:
    return ["", "## Verdict (s after push, and what the system said)", "", *by_case(rows, _verdict_cell)]


def detect(rows: list[Row]) -> list[str]:
    bad = bad_scenarios()
    out = [
        "",
        "## Detect: first failure evidence to the rollback's UpdateService "
        f"(s; pushdeploy's rollout waits on ECS's events, with a probe at the latest every {FALLBACK_PROBE_SECONDS} s)",
        "",
    ]
    out += by_case(rows, _detect_cell, bad)
    evidence = [[s, *(n(find(rows, s, count, "pushdeploy").evidence_s) for count in DESIRED_COUNTS)] for s in bad]
    out += ["", "First failure evidence (s after push), the same for every system:", ""]
    out += table(["scenario", *(f"desired {count}" for count in DESIRED_COUNTS)], evidence)
    return out


def _verdict_cell(row: Row) -> str:
    if row.verdict_s is None:
        return "never"
    said = SAID[row.outcome] if row.outcome is not None else None
    text = f"{n(row.verdict_s)} {said}"
    return f"**{text} (wrong)**" if row.verdict_correct is False else text


def _detect_cell(row: Row) -> str:
    if row.detect_s is None:
        return "no rollback" if row.evidence_s is not None else "—"
    return f"{n(row.detect_s)}{' (ECS)' if row.rolled_back_by == 'ecs' else ''}"


def beside(rows: list[Row]) -> list[str]:
    """Each system's verdict and restore on realistic timing with the fast timing's beside it."""
    if not of_timing(rows, "fast"):
        return []
    out = [
        "",
        "## Realistic timing beside fast timing",
        "",
        "The tables above are on `realistic` timing (the ECS model's `world.timing`: Fargate's provisioning, image "
        "pull, ACTIVATING, STOPPING, DEPROVISIONING and the scheduler's replacement delay drawn from the ranges of "
        "`localcloud/pushdeploy_local/ecs/facts.py`, seed 0). The same runs on `fast` timing (a task RUNNING 30 s "
        "after launch, the stop states instantaneous, replacements after 15 s): each cell is the verdict "
        "(realistic / fast) and, for a bad image, the restore (realistic / fast), s after the push.",
        "",
    ]
    return out + _side_by_side(
        SYSTEMS,
        lambda scenario, count, system: (
            find(rows, scenario, count, system, "realistic"),
            find(rows, scenario, count, system, "fast"),
        ),
    )


def strictest(rows: list[Row]) -> list[str]:
    """pushdeploy and the circuit breaker alone with the template's breaker and with the strictest one."""
    if not [r for r in rows if r.breaker == "strictest"]:
        return []
    out = [
        "",
        "## The circuit breaker's strictest setting",
        "",
        "ECS lets a service's breaker trip at its first failed task and never reset (`thresholdConfiguration` "
        'COUNT 1, `resetOnHealthyTask` false; aws-facts.md, "Circuit breaker"). The systems that rely on it, '
        "run again with that setting (realistic timing): verdict and, for a bad image, restore (s after the push), "
        "with the template's breaker / with the strictest.",
        "",
    ]
    return out + _side_by_side(
        STRICTEST_SYSTEMS,
        lambda scenario, count, system: (
            find(rows, scenario, count, system, "realistic", "default"),
            find(rows, scenario, count, system, "realistic", "strictest"),
        ),
    )


def _side_by_side(systems: tuple[System, ...], pair: Callable[[str, int, System], tuple[Row, Row]]) -> list[str]:
    """One line per case, one column per system: the verdict and (bad images) the restore of two runs."""
    body = []
    for scenario in BEHAVIOURS:
        for count in DESIRED_COUNTS:
            cells = []
            for system in systems:
                left, right = pair(scenario, count, system)
                cell = f"{_verdict_cell(left)} / {_verdict_cell(right)}"
                if scenario != "healthy":
                    cell += f"; restore {restore_cell(left)} / {restore_cell(right)}"
                cells.append(cell)
            body.append([scenario, str(count), *cells])
    return table(["scenario", "desired", *(SHORT[s] for s in systems)], body)
