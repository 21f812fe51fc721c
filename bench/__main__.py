"""`python -m bench` (make bench): run every benchmark, write bench/results.json, bench/measurements.json,
docs/benchmarks.md and its plot. Not part of `make test`.

    python -m bench                  everything (about 5-10 min on 2 cores)
    python -m bench --jobs 1         one process
    python -m bench --skip-build     no `sam build` (artifact sizes left out)
    python -m bench --render         only rewrite the docs from the JSON files already there
    python -m bench --only canary    only the canary runs (bench/canary.json and their goals), then the docs
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from bench import canary, fanout, footprint, goals, plot, render, systems
from bench.canary import CANARY_SYSTEMS, ERROR_RATES, AnyCanaryRow
from bench.cases import BEHAVIOURS, FANOUT_SERVICES, SYSTEMS, TIMINGS, WATCH_CASES, WATCH_OFF, all_runs
from bench.fanout import FANOUT_COUNTS, FANOUT_SYSTEMS, FanoutRow
from bench.measurements import Fanout, Measurements, Source
from bench.render import fanout as fanout_section
from bench.rows import PushdeployRow, Row, dump_rows, load_rows

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
MEASUREMENTS = ROOT / "bench" / "measurements.json"
FANOUT = ROOT / "bench" / "fanout.json"
CANARY = ROOT / "bench" / "canary.json"
# The parts `--only` can run alone, each writing its own JSON file and goals.
PARTS = ("canary",)
DOC = ROOT / "docs" / "benchmarks.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="processes for the runs")
    parser.add_argument("--skip-build", action="store_true", help="leave out the sam build artifact sizes")
    parser.add_argument("--skip-imports", action="store_true", help="leave out the cold import times")
    parser.add_argument("--render", action="store_true", help="only rewrite docs/benchmarks.md and the plot")
    parser.add_argument("--only", choices=PARTS, help="run only this part, then rewrite the docs")
    args = parser.parse_args(argv)
    if args.render:
        write_docs_from_files()
        return 0
    if args.only == "canary":
        canary_rows = run_canary(args.jobs)
        CANARY.write_text(canary.dump(canary_rows))
        measured = Measurements.model_validate_json(MEASUREMENTS.read_text())
        measured.canary_source = source_tree()
        ours = goals.canary(canary_rows)
        # The other goals stay as the last whole run judged them; the canary's are judged again.
        replaced = {g.goal for g in ours}
        measured.goals = [*(g for g in measured.goals if g.goal not in replaced), *ours]
        MEASUREMENTS.write_text(measured.dump())
        write_docs_from_files()
        for goal in ours:
            say(f"{'met' if goal.met else 'MISSED'}: {goal.goal}: {goal.detail}")
        return 0

    started = time.monotonic()
    tree = source_tree()
    rows, watch_off, fan, fan_rows = run_all(args.jobs)
    canary_rows = run_canary(args.jobs)
    RESULTS.write_text(dump_rows(rows))
    FANOUT.write_text(fanout.dump(fan_rows))
    CANARY.write_text(canary.dump(canary_rows))
    imports = artifacts = None
    if not args.skip_imports:
        say("cold import times")
        load_before = os.getloadavg()[0]
        imports = footprint.import_times()
        # import times are wall-clock: a busy machine inflates them (both sides of the ratio, not alike)
        imports.load_average_1min = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    if not args.skip_build:
        say("sam build artifact sizes")
        artifacts = footprint.artifact_sizes()
    measurements = Measurements(
        source=tree,
        jobs=args.jobs,
        fanout=fan,
        watch_off=watch_off,
        imports=imports,
        artifacts=artifacts,
        wall_seconds=round(time.monotonic() - started),
    )
    measurements.goals = [*goals.judge(rows, measurements), fanout.judge(fan_rows), *goals.canary(canary_rows)]
    MEASUREMENTS.write_text(measurements.dump())
    write_docs(rows, measurements, fan_rows, canary_rows)
    for goal in measurements.goals:
        say(f"{'met' if goal.met else 'MISSED'}: {goal.goal}: {goal.detail}")
    say(f"done in {measurements.wall_seconds} s: {RESULTS.relative_to(ROOT)}, {DOC.relative_to(ROOT)}")
    return 0


def run_all(jobs: int) -> tuple[list[Row], list[PushdeployRow], Fanout, list[FanoutRow]]:
    """Every (system, case) run, pushdeploy's runs with the watch off and the fan-outs, `jobs` at a time in
    fresh processes (moto and the virtual clock are process-wide, so runs never share one)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=context) as pool:
        # The largest fan-outs first: they take longest.
        fans: dict[tuple[str, int], Future[tuple[FanoutRow, Fanout]]] = {
            (system, count): pool.submit(fanout.measure, system, count)
            for count in sorted(FANOUT_COUNTS, reverse=True)
            for system in FANOUT_SYSTEMS
        }
        single = pool.submit(fanout.measure, "pushdeploy", 1)
        runs = {(s, c): pool.submit(systems.run, s, c) for s, c in all_runs()}
        unwatched = [pool.submit(systems.run_pushdeploy, c, WATCH_OFF) for c in WATCH_CASES]
        for done, ((system, case), future) in enumerate(runs.items(), start=1):
            future.result()
            say(f"[{done}/{len(runs)}] {case.scenario} x{case.desired_count} {system} {case.timing} {case.breaker}")
        order = {name: i for i, name in enumerate(BEHAVIOURS)}
        rows = sorted(
            (f.result() for f in runs.values()),
            key=lambda r: (
                TIMINGS.index(r.timing),
                r.breaker != "default",
                order[r.scenario],
                r.desired_count,
                SYSTEMS.index(r.system),
            ),
        )
        say("pushdeploy with the watch off, and the fan-outs")
        fan_rows = fanout.rows([f.result()[0] for f in fans.values()], single.result()[0])
        detail = fans[("pushdeploy", FANOUT_SERVICES)].result()[1]
        return rows, [f.result() for f in unwatched], detail, fan_rows


def run_canary(jobs: int) -> list[AnyCanaryRow]:
    """Every canary_errors run (each in a fresh process, as `run_all`'s), the healthy canary's decision path
    for HEALTHY_RUNS seeds and a few whole healthy runs.

    One run per process, never a reused worker: a handler's settings are read once per process (at import: its cold
    start), so a canary run after a rolling one in the same process would see the first stack's functions."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=context, max_tasks_per_child=1) as pool:
        full = pool.submit(canary.healthy_full_runs)
        runs = {(s, e): pool.submit(canary.measure, s, e) for e in ERROR_RATES for s in CANARY_SYSTEMS}
        decisions = pool.submit(canary.healthy_decisions)
        rows: list[AnyCanaryRow] = []
        for done, ((system, rate), future) in enumerate(runs.items(), start=1):
            rows.append(future.result())
            say(f"[{done}/{len(runs)}] canary_errors {system} {rate:g}")
        return [*rows, decisions.result(), full.result()]


def source_tree() -> Source:
    """The commit measured, and the files that differed from it (the bench measures the working tree)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.rstrip()  # not strip(): a porcelain line starts with a space

    ours = ("bench/", "docs/benchmarks", "tests/bench/")
    changed = [line[3:] for line in git("status", "--porcelain").splitlines() if not line[3:].startswith(ours)]
    return Source(commit=git("rev-parse", "--short", "HEAD"), uncommitted=changed)


def write_docs_from_files() -> None:
    """The docs from the JSON files already there."""
    measured = Measurements.model_validate_json(MEASUREMENTS.read_text())
    canary_rows = canary.load(CANARY.read_text()) if CANARY.exists() else []
    write_docs(load_rows(RESULTS.read_text()), measured, fanout.load(FANOUT.read_text()), canary_rows)


def write_docs(
    rows: list[Row], measurements: Measurements, fan_rows: list[FanoutRow], canary_rows: list[AnyCanaryRow]
) -> None:
    (DOC.parent / render.PLOT).write_text(plot.restore_svg(rows))
    (DOC.parent / fanout_section.PLOT).write_text(fanout_section.svg(fan_rows))
    DOC.write_text(render.render(rows, measurements, fan_rows, canary_rows))


def say(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
