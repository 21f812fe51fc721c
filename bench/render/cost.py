"""The "Cost per deployment" section: pushdeploy's transitions, Lambda invocations and dollars per case."""

from __future__ import annotations

from bench.cases import BEHAVIOURS, DESIRED_COUNTS
from bench.render.cells import n, table
from bench.rows import PushdeployRow, Row, find_off, find_pushdeploy, pushdeploy_rows
from pushdeploy_local.report import USD_PER_TRANSITION


def section(rows: list[Row], watch_off: list[PushdeployRow]) -> list[str]:
    out = ["", "## Cost per deployment (pushdeploy)", ""]
    body = []
    for scenario in BEHAVIOURS:
        for count in DESIRED_COUNTS:
            r = find_pushdeploy(rows, scenario, count)
            body.append(
                [
                    scenario,
                    str(count),
                    r.outcome or "—",
                    n(r.transitions),
                    n(r.lambda_invocations),
                    n(len(r.wake_at_s)),
                    n(r.lambda_gb_seconds),
                    f"${n(r.usd_per_1000)}",
                ]
            )
    out += table(
        ["scenario", "desired", "outcome", "transitions", "Lambda invocations", "of them Wake", "GB-s", "$ / 1,000"],
        body,
    )
    return [*out, "", _transitions_dominate(rows, watch_off)]


def _lambda_usd_per_1000(row: Row) -> float:
    assert row.usd_per_1000 is not None and row.transitions is not None
    return row.usd_per_1000 - row.transitions * USD_PER_TRANSITION * 1000


def _transitions_dominate(rows: list[Row], watch_off: list[PushdeployRow]) -> str:
    ours = [r for r in pushdeploy_rows(rows) if r.transitions is not None]
    lambda_usd = max(_lambda_usd_per_1000(r) for r in ours)
    per_1000 = f"${USD_PER_TRANSITION * 1000:g} per 1,000"
    text = f"Transitions dominate: each probe is three (AwaitRollout, Check, Choice) at {per_1000}"
    healthy, off = find_pushdeploy(rows, "healthy", 1), find_off(watch_off, "healthy", 1)
    if off is not None:
        assert healthy.transitions is not None and off.transitions is not None
        text += (
            f", and the watch after a healthy verdict adds {healthy.transitions - off.transitions} "
            f"({healthy.transitions} against {off.transitions} with it off) however long it lasts, since it "
            "waits in one state"
        )
    # usd_per_1000 is rounded to 0.001 $, so this share is good to about that
    return text + f"; Lambda adds about ${lambda_usd:.3f} per 1,000 deployments at most."
