"""Issue 7's goals, each judged from the measurements: met or missed, and by how much."""

from __future__ import annotations

from typing import Any

from bench.cases import DESIRED_COUNTS, HORIZON_SECONDS
from pushdeploy.verdict import POLL_SECONDS

MAX_TRANSITIONS = 40
MAX_CALLS_PER_PROBE = 3
MAX_IMPORT_RATIO = 1.5
RESTORE_SPEEDUP = 3


def _s(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:g} s"


def _find(rows: list[dict[str, Any]], system: str, scenario: str, count: int) -> dict[str, Any]:
    return next(r for r in rows if (r["system"], r["scenario"], r["desired_count"]) == (system, scenario, count))


def judge(rows: list[dict[str, Any]], measurements: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        _verdict_within_a_poll(rows),
        _restore_sooner_than_circuit_breaker(rows),
        _healthy_deploy(rows),
        _api_calls(rows, measurements.get("fanout")),
        _imports(measurements.get("imports")),
    ]


def _verdict_within_a_poll(rows: list[dict[str, Any]]) -> dict[str, Any]:
    cases, gaps, misses = 0, [], []
    for row in rows:
        if row["system"] != "pushdeploy" or row["evidence_s"] is None:
            continue
        gap = row["verdict_after_evidence_s"]
        ok = row["outcome"] == "failure" and gap is not None and 0 <= gap <= POLL_SECONDS
        cases += 1
        if ok:
            gaps.append(gap)
        else:
            misses.append(
                f"{row['scenario']} x{row['desired_count']}: verdict `{row['outcome']}` at {_s(row['verdict_s'])}, "
                f"first evidence at {row['evidence_s']:g} s ({row['evidence']})"
            )
    worst = max(gaps, default=None)
    return {
        "goal": f"A verdict within one poll interval ({POLL_SECONDS} s) of the first failure evidence",
        "met": not misses,
        "detail": (
            f"{len(gaps)} of {cases} failing runs decided within {POLL_SECONDS} s of the first "
            f"evidence (largest gap among them {worst:g} s)"
            if worst is not None
            else "no failing run"
        ),
        "misses": misses,
    }


def _restore_sooner_than_circuit_breaker(rows: list[dict[str, Any]]) -> dict[str, Any]:
    parts, misses = [], []
    for count in DESIRED_COUNTS:
        ours = _find(rows, "pushdeploy", "crash_on_start", count)["restore_s"]
        theirs = _find(rows, "circuit_breaker", "crash_on_start", count)["restore_s"]
        if ours is None:
            misses.append(f"x{count}: pushdeploy did not restore within {HORIZON_SECONDS:g} s")
            continue
        if theirs is None:
            parts.append(f"x{count}: {ours:g} s vs never (> {HORIZON_SECONDS / ours:.1f}x)")
            continue
        speedup = theirs / ours
        parts.append(f"x{count}: {ours:g} s vs {theirs:g} s ({speedup:.1f}x)")
        if speedup < RESTORE_SPEEDUP:
            misses.append(f"x{count}: only {speedup:.1f}x")
    return {
        "goal": f"Crash on start, desired 1 to 10: previous version healthy again >= {RESTORE_SPEEDUP}x sooner than "
        "with the circuit breaker alone",
        "met": not misses,
        "detail": "; ".join(parts),
        "misses": misses,
    }


def _healthy_deploy(rows: list[dict[str, Any]]) -> dict[str, Any]:
    row = _find(rows, "pushdeploy", "healthy", 1)
    misses = []
    if row["transitions"] is None or row["transitions"] > MAX_TRANSITIONS:
        misses.append(f"{row['transitions']} state transitions")
    completed, verdict = row["completed_s"], row["verdict_s"]
    late = None if completed is None or verdict is None else verdict - completed
    if row["outcome"] != "success" or late is None or not 0 <= late <= POLL_SECONDS:
        misses.append(f"verdict `{row['outcome']}` at {verdict} s, model complete at {completed} s")
    return {
        "goal": f"A healthy deploy of the Phase 4 service: at most {MAX_TRANSITIONS} state transitions, verdict at "
        "most one poll after the model reports the deployment complete and every target healthy",
        "met": not misses,
        "detail": f"{row['transitions']} transitions; deployment complete and healthy at {completed:g} s, "
        f"verdict at {verdict:g} s ({late:g} s later, poll {POLL_SECONDS} s)"
        if late is not None
        else "no verdict",
        "misses": misses,
    }


def _api_calls(rows: list[dict[str, Any]], fanout: dict[str, Any] | None) -> dict[str, Any]:
    per_probe = [r["api_calls_per_probe"] for r in rows if r["system"] == "pushdeploy" and r["api_calls_per_probe"]]
    misses = []
    worst = max(per_probe, default=None)
    if worst is None or worst > MAX_CALLS_PER_PROBE:
        misses.append(f"{worst} calls per probe")
    detail = f"{min(per_probe, default=0):g} to {worst:g} calls per probe"
    if fanout is None:
        misses.append("the 50-service push was not measured")
    else:
        limits = fanout["limits"]
        tightest = min(limits["buckets"], key=lambda b: b["fewest_tokens_left"] / b["burst"])
        detail += (
            f"; 50-service push: {'no call throttled' if limits['below_every_limit'] else 'THROTTLED'}, tightest "
            f"bucket {tightest['bucket']} (peak {tightest['peak_per_second']}/s, {tightest['fewest_tokens_left']:g} "
            f"of {tightest['burst']} tokens left at worst)"
        )
        if not limits["below_every_limit"]:
            misses.append("the 50-service push is throttled")
    return {
        "goal": f"At most {MAX_CALLS_PER_PROBE} API calls per probe; the 50-service push below every limit",
        "met": not misses,
        "detail": detail,
        "misses": misses,
    }


def _imports(imports: dict[str, Any] | None) -> dict[str, Any]:
    """Judged on the import alone, as the issue states it; the deferred model build is shown beside it."""
    goal = f"Each handler's cold import at most {MAX_IMPORT_RATIO}x `import boto3` alone"
    if not imports:
        return {"goal": goal, "met": None, "detail": "not measured", "misses": []}
    handlers = imports["handlers"]
    ratios = {name: h["ratio_to_boto3"] for name, h in handlers.items()}
    built = [h["ratio_with_models_built"] for h in handlers.values()]
    misses = [f"{name}: {ratio:g}x" for name, ratio in ratios.items() if ratio > MAX_IMPORT_RATIO]
    return {
        "goal": goal,
        "met": not misses,
        "detail": f"{min(ratios.values()):g}x to {max(ratios.values()):g}x (boto3 alone "
        f"{imports['boto3_median_ms']:g} ms, with the layer); {min(built):g}x to {max(built):g}x with every "
        "model the handler imports built (an upper bound of what the first invocation adds)",
        "misses": misses,
    }
