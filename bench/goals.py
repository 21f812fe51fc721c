"""The bench's goals, each judged from the measurements: met or missed, and by how much."""

from __future__ import annotations

from bench.canary import (
    CANARY_PERCENT,
    HEALTHY_RUNS,
    REQUESTS_PER_SECOND,
    AnyCanaryRow,
    CanaryRow,
    HealthyRunsRow,
    minimum_sample_seconds,
)
from bench.cases import DESIRED_COUNTS, HORIZON_SECONDS, TIMINGS
from bench.measurements import Fanout, Goal, Imports, Measurements
from bench.rows import (
    MAIN_TIMING,
    Breaker,
    Conclusion,
    PushdeployRow,
    Row,
    Timing,
    find,
    find_off,
    find_pushdeploy,
    of_timing,
    pushdeploy_rows,
)
from pushdeploy.adapters.cloudwatch import METRIC_PERIOD_SECONDS
from pushdeploy.judge import JudgePolicy
from pushdeploy.verdict import POLL_SECONDS

MAX_TRANSITIONS = 40
MAX_CALLS_PER_PROBE = 3
MAX_IMPORT_RATIO = 1.5
RESTORE_SPEEDUP = 3
# The canary's goals: fewer bad requests than the rolling path's at the error rates it names; the rate it must
# still catch; how many metric periods after the minimum sample its verdict may come.
FEWER_BAD_REQUESTS = 10
FEWER_AT = (0.2, 0.05)
STILL_CAUGHT = 0.02
VERDICT_PERIODS = 2
CANARY_VERDICT = "A canary verdict within"
# A watched failure's run with the watch off: (outcome, verdict_s, restore_s).
_Unwatched = tuple[Conclusion | None, float | None, float | None]


def _s(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:g} s"


def judge(rows: list[Row], measurements: Measurements) -> list[Goal]:
    """Each goal on realistic timing (the main tables), the timing-dependent ones judged again on fast timing
    beside it: a goal is met only when it is met on both, so that no verdict rests on one modelling choice."""
    watch_off = measurements.watch_off

    def on(timing: Timing) -> list[Goal]:
        return [
            _verdict_within_a_poll(of_timing(rows, timing), watch_off, timing),
            _restore_sooner_than_circuit_breaker(rows, timing),
            _healthy_deploy(rows, watch_off, timing),
        ]

    main = on(MAIN_TIMING)
    for timing in TIMINGS:
        if timing != MAIN_TIMING and of_timing(rows, timing):
            main = [_beside(goal, other, timing) for goal, other in zip(main, on(timing), strict=True)]
    return [*main, _api_calls(rows, measurements.fanout), _imports(measurements.imports)]


def _beside(main: Goal, other: Goal, timing: Timing) -> Goal:
    """`main` with the same goal judged on another timing: met when met on both."""
    said = "met" if other.met else "MISSED"
    return Goal(
        goal=main.goal,
        met=bool(main.met) and bool(other.met),
        detail=f"{main.detail}. On {timing} timing: {said}, {other.detail}",
        misses=[*main.misses, *(f"{timing} timing: {miss}" for miss in other.misses)],
    )


def decided_within_a_poll(row: Row) -> bool:
    """A failing run (one with failure evidence) that pushdeploy failed within a poll of that evidence."""
    gap = row.verdict_after_evidence_s
    return row.outcome == Conclusion.FAILURE and gap is not None and 0 <= gap <= POLL_SECONDS


def _verdict_within_a_poll(rows: list[Row], watch_off: list[PushdeployRow], timing: Timing = MAIN_TIMING) -> Goal:
    cases, gaps, misses = 0, [], []
    for row in pushdeploy_rows(rows):
        if row.evidence_s is None:
            continue
        gap = row.verdict_after_evidence_s
        cases += 1
        if gap is not None and decided_within_a_poll(row):
            gaps.append(gap)
        else:
            misses.append(
                f"{row.scenario} x{row.desired_count}: verdict `{row.outcome}` at {_s(row.verdict_s)}, "
                f"first evidence at {row.evidence_s:g} s ({row.evidence})"
            )
    worst = max(gaps, default=None)
    detail = (
        f"{len(gaps)} of {cases} failing runs decided within {POLL_SECONDS} s of the first "
        f"evidence (largest gap among them {worst:g} s)"
        if worst is not None
        else "no failing run"
    )
    return Goal(
        goal=f"A verdict within one poll interval ({POLL_SECONDS} s) of the first failure evidence",
        met=not misses,
        detail=detail + _caught_by_watch(rows, watch_off, timing),
        misses=misses,
    )


def _caught_by_watch(rows: list[Row], watch_off: list[PushdeployRow], timing: Timing = MAIN_TIMING) -> str:
    """The failures decided after a healthy verdict, while watched (Watch had been invoked before the verdict)."""
    caught: dict[tuple[str, float, float, float | None, _Unwatched | None], list[int]] = {}
    for row in pushdeploy_rows(rows):
        watched_from = row.watch_from_s
        if row.outcome != Conclusion.FAILURE or watched_from is None:
            continue
        if row.verdict_s is None or row.verdict_s <= watched_from:
            continue
        off = find_off(watch_off, row.scenario, row.desired_count, timing)
        unwatched = None if off is None else (off.outcome, off.verdict_s, off.restore_s)
        key = (row.scenario, watched_from, row.verdict_s, row.verdict_after_evidence_s, unwatched)
        caught.setdefault(key, []).append(row.desired_count)
    parts = []
    for (scenario, watched_from, verdict, gap, unwatched), counts in caught.items():
        text = (
            f"{scenario} {', '.join(f'x{n}' for n in counts)}: judged healthy at {watched_from:g} s, failed while "
            f"watched at {verdict:g} s ({_s(gap)} after the first evidence)"
        )
        if unwatched is not None:
            outcome, off_verdict, restore = unwatched
            text += (
                f"; with the watch off, `{outcome}` at {_s(off_verdict)} and the previous version "
                f"{'back at ' + _s(restore) if restore is not None else f'not back within {HORIZON_SECONDS:g} s'}"
            )
        parts.append(text)
    return f". Decided by the watch after a healthy verdict: {'; '.join(parts)}" if parts else ""


def _restore_sooner_than_circuit_breaker(rows: list[Row], timing: Timing = MAIN_TIMING) -> Goal:
    """pushdeploy against the circuit breaker alone, each with the template's breaker and, where measured,
    each with the strictest one."""
    parts, misses = [], []
    breakers: tuple[Breaker, ...] = ("default", "strictest")
    for breaker in breakers:
        label = "" if breaker == "default" else " with the strictest breaker (COUNT 1, no reset)"
        for count in DESIRED_COUNTS:
            try:
                ours = find(rows, "crash_on_start", count, "pushdeploy", timing, breaker).restore_s
                theirs = find(rows, "crash_on_start", count, "circuit_breaker", timing, breaker).restore_s
            except StopIteration:  # not measured with this breaker on this timing
                continue
            name = f"x{count}{label}"
            if ours is None:
                misses.append(f"{name}: pushdeploy did not restore within {HORIZON_SECONDS:g} s")
                continue
            if theirs is None:
                parts.append(f"{name}: {ours:g} s vs never (> {HORIZON_SECONDS / ours:.1f}x)")
                continue
            speedup = theirs / ours
            parts.append(f"{name}: {ours:g} s vs {theirs:g} s ({speedup:.1f}x)")
            if speedup < RESTORE_SPEEDUP:
                misses.append(f"{name}: only {speedup:.1f}x")
    return Goal(
        goal=f"Crash on start, desired 1 to 10: previous version healthy again >= {RESTORE_SPEEDUP}x sooner than "
        "with the circuit breaker alone",
        met=not misses,
        detail="; ".join(parts),
        misses=misses,
    )


def _healthy_deploy(rows: list[Row], watch_off: list[PushdeployRow], timing: Timing = MAIN_TIMING) -> Goal:
    row = find_pushdeploy(rows, "healthy", 1, timing)
    misses = []
    if row.transitions is None or row.transitions > MAX_TRANSITIONS:
        misses.append(f"{row.transitions} state transitions")
    completed, verdict = row.completed_s, row.verdict_s
    late = None if completed is None or verdict is None else verdict - completed
    if row.outcome != Conclusion.SUCCESS or late is None or not 0 <= late <= POLL_SECONDS:
        misses.append(f"verdict `{row.outcome}` at {verdict} s, model complete at {completed} s")
    transitions = f"{row.transitions} transitions"
    off = find_off(watch_off, "healthy", 1, timing)
    if off is not None and off.transitions is not None and row.transitions is not None:
        transitions += (
            f" ({row.transitions - off.transitions} of them the watch after the verdict: "
            f"{off.transitions} with the watch off)"
        )
    watch = row.policy.watch_seconds
    ends = ""
    if watch and row.client_busy_s is not None:
        ends = f"; the {watch} s watch then keeps the execution running until {row.client_busy_s:g} s"
    detail = "no verdict"
    if completed is not None and verdict is not None and late is not None:
        detail = (
            f"{transitions}; deployment complete and healthy at {completed:g} s, "
            f"verdict at {verdict:g} s ({late:g} s later, poll {POLL_SECONDS} s){ends}"
        )
    return Goal(
        goal=f"A healthy deploy of the Phase 4 service: at most {MAX_TRANSITIONS} state transitions, verdict at "
        "most one poll after the model reports the deployment complete and every target healthy",
        met=not misses,
        detail=detail,
        misses=misses,
    )


def _api_calls(rows: list[Row], fanout: Fanout | None) -> Goal:
    per_probe = [r.api_calls_per_probe for r in pushdeploy_rows(rows) if r.api_calls_per_probe]
    misses = []
    worst = max(per_probe, default=None)
    if worst is None or worst > MAX_CALLS_PER_PROBE:
        misses.append(f"{worst} calls per probe")
    detail = f"{min(per_probe, default=0):g} to {worst:g} calls per probe"
    if fanout is None:
        misses.append("the 50-service push was not measured")
    else:
        limits = fanout.limits
        tightest = min(limits.buckets, key=lambda b: b.fewest_tokens_left / b.burst)
        detail += (
            f"; 50-service push: {'no call throttled' if limits.below_every_limit else 'THROTTLED'}, tightest "
            f"bucket {tightest.bucket} (peak {tightest.peak_per_second}/s, {tightest.fewest_tokens_left:g} "
            f"of {tightest.burst} tokens left at worst)"
        )
        if not limits.below_every_limit:
            misses.append("the 50-service push is throttled")
    return Goal(
        goal=f"At most {MAX_CALLS_PER_PROBE} API calls per probe; the 50-service push below every limit",
        met=not misses,
        detail=detail,
        misses=misses,
    )


def _imports(imports: Imports | None) -> Goal:
    """Judged on the import alone, as the issue states it; the deferred model build is shown beside it."""
    goal = f"Each handler's cold import at most {MAX_IMPORT_RATIO}x `import boto3` alone"
    if not imports:
        return Goal(goal=goal, met=None, detail="not measured", misses=[])
    handlers = imports.handlers
    ratios = {name: h.ratio_to_boto3 for name, h in handlers.items()}
    built = [h.ratio_with_models_built for h in handlers.values()]
    misses = [f"{name}: {ratio:g}x" for name, ratio in ratios.items() if ratio > MAX_IMPORT_RATIO]
    return Goal(
        goal=goal,
        met=not misses,
        detail=f"{min(ratios.values()):g}x to {max(ratios.values()):g}x (boto3 alone "
        f"{imports.boto3_median_ms:g} ms, with the layer); {min(built):g}x to {max(built):g}x with every "
        "model the handler imports built (an upper bound of what the first invocation adds)",
        misses=misses,
    )


def canary(rows: list[AnyCanaryRow]) -> list[Goal]:
    """The canary goals, from the `canary_errors` and `canary_healthy_runs` rows."""
    errors = [r for r in rows if isinstance(r, CanaryRow)]
    healthy = [r for r in rows if isinstance(r, HealthyRunsRow)]
    return [_fewer_bad_requests(errors), _no_false_rollback(healthy), _verdict_after_minimum_sample(errors)]


def _canary_row(rows: list[CanaryRow], system: str, error_rate: float) -> CanaryRow | None:
    return next((r for r in rows if (r.system, r.error_rate) == (system, error_rate)), None)


def _fewer_bad_requests(rows: list[CanaryRow]) -> Goal:
    goal = (
        f"pushdeploy_canary serves >= {FEWER_BAD_REQUESTS}x fewer bad requests than rolling_pushdeploy at error "
        f"rates {' and '.join(f'{e:g}' for e in FEWER_AT)}, and still catches {STILL_CAUGHT:g}"
    )
    if not rows:
        return Goal(goal=goal, met=None, detail="not measured", misses=[])
    parts, misses = [], []
    for rate in FEWER_AT:
        ours, theirs = _canary_row(rows, "pushdeploy_canary", rate), _canary_row(rows, "rolling_pushdeploy", rate)
        if ours is None or theirs is None:
            misses.append(f"{rate:g}: not measured")
            continue
        if ours.bad_requests == 0:
            parts.append(f"{rate:g}: 0 vs {theirs.bad_requests}")
            continue
        ratio = theirs.bad_requests / ours.bad_requests
        parts.append(f"{rate:g}: {ours.bad_requests} vs {theirs.bad_requests} ({ratio:.1f}x)")
        if ratio < FEWER_BAD_REQUESTS:
            misses.append(f"{rate:g}: only {ratio:.1f}x")
    caught = _canary_row(rows, "pushdeploy_canary", STILL_CAUGHT)
    if caught is None:
        misses.append(f"{STILL_CAUGHT:g}: not measured")
    else:
        parts.append(
            f"{STILL_CAUGHT:g}: {'rolled back' if caught.rolled_back else 'NOT rolled back'}"
            f"{_when_caught(caught)}, {caught.bad_requests} bad requests"
        )
        if not caught.rolled_back:
            misses.append(f"{STILL_CAUGHT:g}: the canary was not rolled back")
    return Goal(goal=goal, met=not misses, detail="; ".join(parts), misses=misses)


def _when_caught(row: CanaryRow) -> str:
    """At what share of production traffic the hook failed the canary: its canary share, or all of it."""
    if row.hook_failed_s is None or row.failed_at_percent is None:
        return ""
    return f" (the hook's FAILED at {row.hook_failed_s:g} s, the new version then at {row.failed_at_percent:g} %)"


def _no_false_rollback(rows: list[HealthyRunsRow]) -> Goal:
    goal = f"No false rollback in >= {HEALTHY_RUNS} healthy canary runs (about 0.1 % 5XX, p99 near 200 ms)"
    if not rows:
        return Goal(goal=goal, met=None, detail="not measured", misses=[])
    misses = [f"{r.method}: {r.false_rollbacks} of {r.runs} rolled back" for r in rows if r.false_rollbacks]
    if max(r.runs for r in rows) < HEALTHY_RUNS:
        misses.append(f"at most {max(r.runs for r in rows)} runs, fewer than {HEALTHY_RUNS}")
    detail = "; ".join(f"{r.method.replace('_', ' ')}: {r.false_rollbacks} of {r.runs}" for r in rows)
    return Goal(goal=goal, met=not misses, detail=detail, misses=misses)


def _verdict_after_minimum_sample(rows: list[CanaryRow]) -> Goal:
    policy = JudgePolicy()
    most = VERDICT_PERIODS * METRIC_PERIOD_SECONDS
    goal = (
        f"{CANARY_VERDICT} {VERDICT_PERIODS} metric periods ({most} s) of the minimum sample: the moment "
        f"the canary has answered JudgePolicy.min_requests ({policy.min_requests}) requests at "
        f"{CANARY_PERCENT:g} % of {REQUESTS_PER_SECOND:g} requests a second "
        f"({minimum_sample_seconds(policy):g} s after production traffic first reaches it)"
    )
    ours = sorted((r for r in rows if r.system == "pushdeploy_canary"), key=lambda r: -r.error_rate)
    if not ours:
        return Goal(goal=goal, met=None, detail="not measured", misses=[])
    parts, misses = [], []
    for row in ours:
        if row.verdict_s is None or row.minimum_sample_s is None:
            misses.append(f"{row.error_rate:g}: no verdict or no canary traffic within {row.window_s:g} s")
            continue
        late = row.verdict_s - row.minimum_sample_s
        hook = ""
        if row.hook_failed_s is not None:
            hook = f" (the hook's FAILED {row.hook_failed_s - row.minimum_sample_s:g} s after it)"
        parts.append(f"{row.error_rate:g}: verdict {late:g} s after the minimum sample{hook}")
        if late > most:
            misses.append(f"{row.error_rate:g}: {late:g} s")
    return Goal(goal=goal, met=not misses, detail="; ".join(parts), misses=misses)
