"""The sections "Restore", "Verdict" and "Detect": when each system restored, decided and rolled back."""

from __future__ import annotations

from bench.cases import DESIRED_COUNTS
from bench.render.cells import PLOT, SAID, bad_scenarios, by_case, n, restore_cell, table
from bench.rows import Row, find
from pushdeploy.verdict import POLL_SECONDS


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
        f"(s; pushdeploy polls every {POLL_SECONDS} s)",
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
