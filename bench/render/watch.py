"""The "What the watch costs and catches" section: pushdeploy as deployed beside its runs with the watch off."""

from __future__ import annotations

from bench.cases import HORIZON_SECONDS
from bench.render.cells import n, restore_cell, table, watch_seconds
from bench.rows import Conclusion, PushdeployRow, Row, find_pushdeploy
from pushdeploy_local.report import USD_PER_TRANSITION

Pair = tuple[PushdeployRow, PushdeployRow]  # (with the watch, without)
_Run = tuple[Conclusion | None, float | None, float | None, float | None]  # outcome, verdict, evidence, restore
_Unwatched = tuple[Conclusion | None, float | None, float | None]  # outcome, verdict, restore


def section(rows: list[Row], watch_off: list[PushdeployRow]) -> list[str]:
    out = ["", "## What the watch costs and catches", ""]
    if not watch_off:
        return [*out, "pushdeploy with its watch off was not measured.", ""]
    pairs = [(find_pushdeploy(rows, o.scenario, o.desired_count), o) for o in watch_off]
    out += [
        f"pushdeploy as deployed (`watch_seconds` {watch_seconds(rows)}) beside the same runs with "
        "`watch_seconds: 0` (the watch off, the deploy done at its first healthy verdict), on the late crash "
        f"the watch is for and on a healthy deploy. Every run is watched for {HORIZON_SECONDS:g} s; the costs "
        "count every invocation within them (Wake's in brackets).",
        "",
    ]
    body = []
    for pair in pairs:
        for r in pair:
            body.append(
                [
                    r.scenario,
                    str(r.desired_count),
                    str(r.policy.watch_seconds),
                    r.outcome or "—",
                    n(r.verdict_s),
                    restore_cell(r),
                    n(r.transitions),
                    f"{n(r.lambda_invocations)} ({len(r.wake_at_s)})",
                    f"${n(r.usd_per_1000)}",
                    n(r.client_busy_s),
                ]
            )
    out += table(
        [
            "scenario",
            "desired",
            "watch s",
            "outcome",
            "verdict s",
            "restore s",
            "transitions",
            "Lambda invocations (Wake)",
            "$ / 1,000",
            "execution ends s",
        ],
        body,
    )
    return [*out, "", *_watch_catches(pairs), ""]


def _run(row: PushdeployRow) -> _Run:
    return row.outcome, row.verdict_s, row.evidence_s, row.restore_s


def _back(restore: float | None) -> str:
    return f"back at {n(restore)} s" if restore is not None else f"not back within {HORIZON_SECONDS:g} s"


def _watch_catches(pairs: list[Pair]) -> list[str]:
    said: list[str] = []
    late: dict[tuple[str, _Run, _Unwatched], list[int]] = {}
    for on, off in pairs:
        if on.scenario == "healthy":
            continue
        key = (on.scenario, _run(on), (off.outcome, off.verdict_s, off.restore_s))
        late.setdefault(key, []).append(on.desired_count)
    for (
        scenario,
        (outcome, verdict, evidence, restore),
        (off_outcome, off_verdict, off_restore),
    ), counts in late.items():
        which = f"{scenario.replace('_', ' ')} ({', '.join(f'x{count}' for count in counts)})"
        unwatched = (
            f"with the watch off it is `{off_outcome}` at {n(off_verdict)} s and the previous version is "
            + _back(off_restore)
        )
        if outcome == Conclusion.FAILURE and verdict is not None and evidence is not None:
            said.append(
                f"**What it catches.** The {which}: with the watch, its first task stops at {n(evidence)} s and the "
                f"verdict `failure` comes at {n(verdict)} s ({n(verdict - evidence)} s later), the previous "
                f"version {_back(restore)}; {unwatched}."
            )
        else:
            said.append(
                f"**What it misses.** The {which}: with the watch the verdict is `{outcome}` at {n(verdict)} s "
                f"(first evidence at {n(evidence)} s); {unwatched}."
            )
    healthy = next(((on, off) for on, off in pairs if on.scenario == "healthy"), None)
    if healthy is not None:
        said.append(_healthy_cost(*healthy))
    said += _wake_after_the_execution(pairs)
    return [text for line in said for text in (line, "")][:-1]


def _healthy_cost(on: PushdeployRow, off: PushdeployRow) -> str:
    """What the watch adds to a healthy deploy: the run with it against the run without."""
    assert on.transitions is not None and off.transitions is not None
    assert on.lambda_invocations is not None and off.lambda_invocations is not None
    assert on.usd_per_1000 is not None and off.usd_per_1000 is not None
    assert on.client_busy_s is not None and off.client_busy_s is not None
    on_by, off_by = on.lambda_invocations_by_function, off.lambda_invocations_by_function
    added = {name: on_by.get(name, 0) - off_by.get(name, 0) for name in sorted(set(on_by) | set(off_by))}
    by = ", ".join(f"{name.removesuffix('Function')} {count:+d}" for name, count in added.items() if count)
    longer = on.client_busy_s - off.client_busy_s
    lock = ""
    if on.lock_released_s is not None and off.lock_released_s is not None:
        lock = (
            f"; the service's lock is held until {n(on.lock_released_s)} s instead of "
            f"{n(off.lock_released_s)} s (a newer push for the service ends the watch rather than wait "
            "for it)"
        )
    return (
        f"**What it adds to a healthy deploy** (x{on.desired_count}): {on.transitions - off.transitions} "
        f"transitions ({on.transitions} against {off.transitions}), "
        f"{on.lambda_invocations - off.lambda_invocations} Lambda invocations ({by or 'none'}), "
        f"${on.usd_per_1000 - off.usd_per_1000:.3f} per 1,000 deployments (the transitions "
        f"${(on.transitions - off.transitions) * USD_PER_TRANSITION * 1000:.3f}, the rest Lambda's: "
        f"{n(on.lambda_gb_seconds)} against {n(off.lambda_gb_seconds)} GB-s, in-process durations on this "
        "machine that vary from run to run); "
        + (
            f"the verdict comes at the same {n(on.verdict_s)} s"
            if on.verdict_s == off.verdict_s
            else f"the verdict comes at {n(on.verdict_s)} s instead of {n(off.verdict_s)} s"
        )
        + f", but the execution runs until {n(on.client_busy_s)} s instead of {n(off.client_busy_s)} s "
        f"({n(longer)} s longer){lock}."
    )


def _wake_after_the_execution(pairs: list[Pair]) -> list[str]:
    """Wake invocations that came after the execution had ended: the rule's cost of a crash loop left in place."""
    after: dict[tuple[str, int, int, int, float], list[int]] = {}
    for r in (r for pair in pairs for r in pair):
        if r.client_busy_s is None:
            continue
        ended = r.client_busy_s
        late = sum(1 for at in r.wake_at_s if at > ended)
        if late:
            key = (r.scenario, r.policy.watch_seconds, len(r.wake_at_s), late, ended)
            after.setdefault(key, []).append(r.desired_count)
    if not after:
        return []
    runs = "; ".join(
        f"{scenario} {', '.join(f'x{count}' for count in counts)} with `watch_seconds` {watch}: {total} Wake "
        f"invocations, {late} of them after the execution ended at {n(ended)} s"
        for (scenario, watch, total, late, ended), counts in after.items()
    )
    return [
        "**Wake after the deploy.** Wake runs for every stopped task, so a bad image left in place that keeps "
        f"crashing invokes it at each turn of its crash loop, long after the execution: {runs}. Those runs' "
        f"Lambda counts (and their $ / 1,000) therefore grow with the {HORIZON_SECONDS:g} s watched."
    ]
