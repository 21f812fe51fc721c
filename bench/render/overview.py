"""The document's head and its "Goals" section: each goal met or missed, as goals.judge found it."""

from __future__ import annotations

from bench.measurements import Measurements
from bench.render.cells import table

STATUS = {True: "met", False: "**missed**", None: "not measured"}


def section(m: Measurements) -> list[str]:
    source = m.source
    out: list[str] = [
        "# Benchmarks",
        "",
        "pushdeploy and three alternatives, on the same scenarios and the same ECS/ALB model, on the local "
        "cloud's virtual clock. Written by `make bench` (`python -m bench`, about "
        f"{m.wall_seconds / 60:.0f} min on {m.jobs} processes) from `bench/results.json` (one row per "
        "scenario, desired count and system) and `bench/measurements.json` (everything else); edit "
        "`bench/render/`, not this file. "
        f"Measured on commit {source.commit if source else '?'}"
        + (
            f" with {len(source.uncommitted)} files changed but not committed (the bench measures the working tree)."
            if source and source.uncommitted
            else "."
        ),
        "",
        "## Goals",
        "",
    ]
    body = []
    for goal in m.goals:
        misses = f" Missed: {'; '.join(goal.misses)}." if goal.misses else ""
        body.append([goal.goal, STATUS[goal.met], goal.detail + "." + misses])
    out += table(["goal", "status", "measured"], body)
    missed = any(goal.met is False for goal in m.goals)
    out += ["", "Recommended design changes for the missed goals are at the end.", ""] if missed else [""]
    return out
