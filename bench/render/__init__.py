"""docs/benchmarks.md, written from bench/results.json and bench/measurements.json: one module per section."""

from __future__ import annotations

from bench.canary import AnyCanaryRow
from bench.fanout import FanoutRow
from bench.measurements import Measurements
from bench.render import (
    artifacts,
    calls,
    canary,
    caveats,
    cost,
    fanout,
    imports,
    method,
    overview,
    recommendations,
    timings,
    watch,
)
from bench.render.cells import PLOT, remeasured
from bench.rows import Row

__all__ = ["PLOT", "render"]


def render(
    rows: list[Row],
    m: Measurements,
    fan_rows: list[FanoutRow] | None = None,
    canary_rows: list[AnyCanaryRow] | None = None,
) -> str:
    out = [
        *overview.section(m),
        *method.section(rows),
        *timings.restore(rows),
        *timings.verdict(rows),
        *timings.detect(rows),
        *timings.beside(rows),
        *timings.strictest(rows),
        *cost.section(rows, m.watch_off),
        *watch.section(rows, m.watch_off),
        *calls.section(rows, m.fanout),
        *fanout.section(fan_rows or []),
        *canary.section(canary_rows or [], remeasured(m.canary_source, m.source)),
        *imports.section(m.imports, m.source),
        *artifacts.section(m.artifacts, m.source),
        *recommendations.section(rows, m),
        *caveats.section(m),
    ]
    return "\n".join(out)
