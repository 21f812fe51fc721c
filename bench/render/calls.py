"""The "AWS API calls" section: calls per deployment and per probe, and the push that feeds 50 services
replayed against ECS's and ELBv2's throttling buckets."""

from __future__ import annotations

from bench.cases import SYSTEMS
from bench.measurements import Fanout
from bench.render.cells import SHORT, by_case, n, table
from bench.rows import Row, find
from pushdeploy.steps.plan import MAP_CONCURRENCY, REGISTER_AT_ONCE

# The case whose calls are shown by operation.
SAMPLE = "crash_on_start", 3


def section(rows: list[Row], fanout: Fanout | None) -> list[str]:
    out = ["", "## AWS API calls", "", "Total calls per deployment (calls per probe):", ""]
    out += by_case(rows, _calls_cell)
    scenario, count = SAMPLE
    by_system = {s: find(rows, scenario, count, s).api_calls_by_operation for s in SYSTEMS}
    operations = sorted({op for calls in by_system.values() for op in calls})
    body = [[op, *(n(by_system[s].get(op)) for s in SYSTEMS)] for op in operations]
    out += ["", f"By operation, {scenario} with desired {count}:", ""]
    out += table(["operation", *(SHORT[s] for s in SYSTEMS)], body)
    return out + _fanout(fanout)


def _calls_cell(row: Row) -> str:
    return f"{row.api_calls} ({n(row.api_calls_per_probe)})" if row.api_calls_per_probe else str(row.api_calls)


def _fanout(f: Fanout | None) -> list[str]:
    if not f:
        return ["", "The 50-service push was not measured.", ""]
    outcomes = ", ".join(f"{count} {outcome}" for outcome, count in f.outcomes.items())
    out = [
        "",
        f"### One push that feeds {f.services} services",
        "",
        f"A healthy push to {f.services} services (desired 1 each): outcomes {outcomes}, verdicts from "
        f"{n(f.first_verdict_s)} s to {n(f.last_verdict_s)} s{_waves(f)}, execution finished at "
        f"{n(f.finished_s)} s (the Map runs up to {MAP_CONCURRENCY} services at a time; Plan starts the first "
        f"{REGISTER_AT_ONCE} together and each next one a second after the one before), {f.transitions} transitions "
        f"(${f.usd:.4f}), {f.api_calls} API calls. Each call's virtual time is replayed against the "
        "throttling token buckets of aws-facts.md (each row of its table as one bucket shared by its APIs; "
        "the bucket starts full). On the virtual clock the iterations that start together (the first "
        f"{REGISTER_AT_ONCE}, and those that take places freed at the same instant) call at the same instant, "
        "so this is the worst case of their alignment.",
        "",
    ]
    body = [
        [
            b.bucket,
            str(b.calls),
            str(b.peak_per_second),
            f"{b.burst} / {b.sustained_per_second:g}",
            n(b.fewest_tokens_left),
            str(b.throttled),
        ]
        for b in f.limits.buckets
    ]
    out += table(
        ["bucket (aws-facts.md)", "calls", "peak / 1 s", "burst / sustained per s", "fewest tokens left", "throttled"],
        body,
    )
    unlisted = ", ".join(f"{k} {v}" for k, v in f.limits.no_limit_listed.items())
    out += ["", f"Calls with no limit in aws-facts.md: {unlisted}.", ""]
    return out


def _waves(f: Fanout) -> str:
    """The fan-out's verdicts grouped by the second they came at, when they come in groups."""
    waves = f.verdicts_by_second
    if len(waves) < 2 or len(waves) * 2 > f.services:
        return ""
    text = f" ({', '.join(f'{count} at {at} s' for at, count in waves.items())}"
    if f.watch_seconds:
        text += (
            f": a service keeps its place in the Map through its {f.watch_seconds} s watch after the verdict, "
            "so the next one starts only when that watch ends"
        )
    return text + ")"
