"""The goals, the document and the plot, from made-up rows (the benchmark itself runs in `make bench`)."""

from __future__ import annotations

from typing import Any

from bench import goals, plot, render
from bench.cases import DESIRED_COUNTS, SYSTEMS, all_cases
from bench.measurements import Artifacts, Measurements
from bench.render import caveats
from bench.rows import ROWS, PushdeployRow, Row

POLICY = {"deadline_seconds": 1800, "bake_seconds": 0, "watch_seconds": 300, "failure_budget": 1}
STEPS = {"TriggerFunction": 1, "PlanFunction": 1, "LockFunction": 1, "RegisterFunction": 1, "UpdateFunction": 1}
DONE = {"UnlockFunction": 1, "NotifyFunction": 1}


def rows(**changes: Any) -> list[Row]:
    """Every system on every case, pushdeploy's as measured with its watch: a bad image fails at 45 s, the
    late crash is failed by the watch when its first task stops at 150 s, a healthy deploy is watched to 405 s."""
    made = []
    for case in all_cases():
        for system in SYSTEMS:
            evidence = None if case.scenario == "healthy" else 35.0
            made.append(
                {
                    "scenario": case.scenario,
                    "desired_count": case.desired_count,
                    "system": system,
                    "verdict_s": 45.0 if case.bad else 105.0,
                    "detect_s": 10.0 if case.bad else None,
                    "restore_s": None if system == "circuit_breaker" or not case.bad else 145.0,
                    "transitions": 33 if system == "pushdeploy" else None,
                    "lambda_invocations": 14 if system == "pushdeploy" else None,
                    "usd_per_1000": 0.83 if system == "pushdeploy" else None,
                    "api_calls": 60,
                    "api_calls_per_probe": 3.0 if system == "pushdeploy" else 1.0,
                    "outcome": "failure" if case.bad else "success",
                    "verdict_correct": True,
                    "verdict_after_evidence_s": None if evidence is None else 10.0,
                    "evidence_s": evidence,
                    "evidence": "task stopped: Essential container in task exited",
                    "rollback_s": 45.0 if case.bad else None,
                    "rolled_back_by": "tool" if case.bad else None,
                    "completed_s": None if case.bad else 100.0,
                    "ecs_failed_s": None,
                    "client_busy_s": 150.0,
                    "lambda_gb_seconds": 0.1 if system == "pushdeploy" else None,
                    "api_calls_by_operation": {"ecs:DescribeServices": 60},
                    "poll_seconds": {"pushdeploy": 15, "waiter": 15, "poll_1s": 1}.get(system),
                    **({"probes": 4} if system in ("waiter", "poll_1s") else {}),
                    **(watched(case.scenario) if system == "pushdeploy" else {}),
                    **changes,
                }
            )
    return ROWS.validate_python(made)


def changed(made: list[Row], scenario: str, **changes: Any) -> list[Row]:
    """The rows, with pushdeploy's runs of `scenario` changed."""
    return [
        PushdeployRow.model_validate({**r.model_dump(), **changes})
        if (r.system, r.scenario) == ("pushdeploy", scenario)
        else r
        for r in made
    ]


def watched(scenario: str) -> dict[str, Any]:
    """pushdeploy's own figures, with the watch on (the default policy)."""
    if scenario == "healthy":
        by_function = {**STEPS, "CheckFunction": 8, "WatchFunction": 1, "WakeFunction": 1, **DONE}
        return {
            **_pushdeploy(by_function, transitions=36, usd=0.904, wake_at=[100.0], ends=405.0),
            "watch_from_s": 105.0,
        }
    if scenario == "late_crash":
        by_function = {**STEPS, "CheckFunction": 13, "WatchFunction": 1, "WakeFunction": 2, "RollbackFunction": 1}
        return {
            **_pushdeploy({**by_function, **DONE}, transitions=53, usd=1.332, wake_at=[100.0, 150.0], ends=225.0),
            "watch_from_s": 105.0,
            "verdict_s": 150.0,
            "evidence_s": 150.0,
            "verdict_after_evidence_s": 0.0,
            "restore_s": 220.0,
        }
    by_function = {**STEPS, "CheckFunction": 4, "RollbackFunction": 1, "WakeFunction": 1, **DONE}
    return _pushdeploy(by_function, transitions=33, usd=0.83, wake_at=[35.0], ends=150.0)


def watch_off() -> list[dict[str, Any]]:
    """pushdeploy with `watch_seconds: 0`: the late crash called healthy and left crash-looping; a healthy deploy."""
    off = {**POLICY, "watch_seconds": 0}
    late_calls = {**STEPS, "CheckFunction": 7, "WakeFunction": 8, **DONE}
    loop = [100.0, 150.0, 315.0, 480.0, 645.0, 810.0, 975.0, 1140.0]
    made = [
        {
            **_common("late_crash", count),
            **_pushdeploy(late_calls, transitions=33, usd=0.83, wake_at=loop, ends=105.0),
            "policy": off,
            "evidence_s": 150.0,
            "verdict_after_evidence_s": -45.0,
            "restore_s": None,
            "verdict_correct": False,
        }
        for count in DESIRED_COUNTS
    ]
    healthy_calls = {**STEPS, "CheckFunction": 7, "WakeFunction": 1, **DONE}
    made.append(
        {
            **_common("healthy", 1),
            **_pushdeploy(healthy_calls, transitions=33, usd=0.829, wake_at=[100.0], ends=105.0, gb=0.12),
            "policy": off,
        }
    )
    return made


def _common(scenario: str, count: int) -> dict[str, Any]:
    return {
        "scenario": scenario,
        "desired_count": count,
        "system": "pushdeploy",
        "verdict_s": 105.0,
        "detect_s": None,
        "outcome": "success",
        "verdict_correct": True,
        "evidence_s": None,
        "evidence": "",
        "verdict_after_evidence_s": None,
        "restore_s": None,
        "rollback_s": None,
        "rolled_back_by": None,
        "completed_s": 100.0,
        "ecs_failed_s": None,
        "api_calls": 50,
        "api_calls_per_probe": 3.0,
        "api_calls_by_operation": {"ecs:DescribeServices": 50},
        "poll_seconds": 15,
        "watch_from_s": None,
    }


def _pushdeploy(
    by_function: dict[str, int], *, transitions: int, usd: float, wake_at: list[float], ends: float, gb: float = 0.1
) -> dict[str, Any]:
    return {
        "lambda_gb_seconds": gb,
        "transitions": transitions,
        "lambda_invocations": sum(by_function.values()),
        "lambda_invocations_by_function": by_function,
        "usd_per_1000": usd,
        "wake_at_s": wake_at,
        "client_busy_s": ends,
        "lock_released_s": ends,
        "policy": POLICY,
        "reason": "the rollout is healthy",
        "check_invocations": by_function["CheckFunction"],
        "calls_per_probe_by_operation": {"ecs:DescribeServices": 1.0, "ecs:ListTasks": 1.0},
        "watch_from_s": None,
    }


def imports(check_ms: float = 140.0, build_ms: float = 20.0, libraries_ms: float = 120.0) -> dict[str, Any]:
    """The import measurement of one handler, Check, against `import boto3` alone at 100 ms."""
    return {
        "repeats": 7,
        "python": "3.12.1",
        "interpreter": "/usr/bin/python3.12",
        "layer_requirements": ["pydantic==2.13.4", "boto3==1.44.8"],
        "boto3_median_ms": 100.0,
        "load_average_1min": [0.5, 0.6],
        "baselines": {
            "boto3": {
                "median_ms": 100.0,
                "ratio_to_boto3": 1.0,
                "import_ms_by_package": {"stdlib": 60.0, "urllib3": 18.0, "botocore": 22.0},
                "modules_by_package": {"stdlib": 200, "urllib3": 30, "botocore": 40},
            },
            "libraries": {
                "median_ms": libraries_ms,
                "ratio_to_boto3": libraries_ms / 100,
                "import_ms_by_package": {"stdlib": 62.0, "botocore": 22.0, "pydantic": 18.0, "urllib3": 18.0},
                "modules_by_package": {"stdlib": 210, "botocore": 40, "pydantic": 30, "urllib3": 30},
                "imports": ["import boto3", "from pydantic import BaseModel"],
            },
        },
        "handlers": {
            "CheckFunction": {
                "median_ms": check_ms,
                "ratio_to_boto3": check_ms / 100,
                "deferred_build_ms": build_ms,
                "models_built": 19,
                "ratio_with_models_built": (check_ms + build_ms) / 100,
                "import_ms_by_package": {"stdlib": 63.0, "urllib3": 36.0, "pushdeploy": 20.0, "pydantic": 19.0},
                "modules_by_package": {"stdlib": 212, "urllib3": 30, "pushdeploy": 11, "pydantic": 31},
            }
        },
    }


MEASUREMENTS: dict[str, Any] = {
    "jobs": 2,
    "wall_seconds": 300,
    "watch_off": watch_off(),
    "imports": imports(),
    "fanout": {
        "services": 50,
        "watch_seconds": 0,
        "outcomes": {"deployed": 50},
        "first_verdict_s": 105.0,
        "last_verdict_s": 530.0,
        "verdicts_by_second": {"105": 10, "530": 40},
        "finished_s": 530.0,
        "transitions": 1350,
        "lambda_invocations": 700,
        "usd": 0.034,
        "api_calls": 2000,
        "api_calls_by_operation": {"ecs:RegisterTaskDefinition": 50},
        "limits": {
            "buckets": [
                {
                    "bucket": "ECS RegisterTaskDefinition",
                    "calls": 50,
                    "peak_per_second": 10,
                    "burst": 20,
                    "sustained_per_second": 1,
                    "fewest_tokens_left": 10.0,
                    "throttled": 0,
                    "busiest_second_at": 105.0,
                    "busiest_second_by_caller": {"RegisterFunction ecs:RegisterTaskDefinition": 10},
                }
            ],
            "below_every_limit": True,
            "peak_per_second_all": 30,
            "no_limit_listed": {},
        },
    },
}


def measured(**changes: Any) -> Measurements:
    """The measurements above, with these parts changed; the goals not judged yet."""
    return Measurements.model_validate({**MEASUREMENTS, **changes})


def with_goals(made: list[Row], **changes: Any) -> Measurements:
    """The measurements above, with these parts changed, and the goals judged on `made`."""
    measurements = measured(**changes)
    measurements.goals = goals.judge(made, measurements)
    return measurements


def test_every_goal_is_met_by_rows_that_meet_them():
    judged = goals.judge(rows(), measured())

    assert [g.met for g in judged] == [True] * 5, [g for g in judged if not g.met]


def test_a_success_reported_before_the_evidence_misses_the_first_goal():
    late = changed(
        rows(), "late_crash", outcome="success", verdict_s=105.0, evidence_s=150.0, verdict_after_evidence_s=-45.0
    )

    first = goals.judge(late, measured())[0]

    assert first.met is False
    assert len(first.misses) == len(DESIRED_COUNTS)


def on_timing(made: list[Row], timing: str, **changes: Any) -> list[Row]:
    """A copy of the rows as measured on `timing`, with pushdeploy's runs changed."""
    return [
        type(r).model_validate({**r.model_dump(), "timing": timing, **(changes if r.system == "pushdeploy" else {})})
        for r in made
    ]


def test_a_goal_met_on_realistic_timing_but_missed_on_fast_timing_is_missed_and_says_where():
    # Given fast-timing runs where pushdeploy decides the late crash only after a minute
    main = rows()
    fast = on_timing(changed(main, "late_crash", verdict_s=210.0, verdict_after_evidence_s=60.0), "fast")

    first = goals.judge(main + fast, measured())[0]

    assert first.met is False
    assert "On fast timing: MISSED" in first.detail
    assert first.misses and all(m.startswith("fast timing: late_crash") for m in first.misses)
    assert goals.judge(main + on_timing(main, "fast"), measured())[0].met is True


def test_the_restore_goal_is_judged_against_the_strictest_breaker_too():
    main = rows()
    strict = [
        type(r).model_validate({**r.model_dump(), "breaker": "strictest", "restore_s": 100.0})
        for r in main
        if r.system in ("pushdeploy", "circuit_breaker")
    ]

    restore = goals.judge(main + strict, measured())[1]

    # pushdeploy (145 s) against a breaker that restores at 100 s when it trips at the first failure
    assert restore.met is False
    assert "x1 with the strictest breaker (COUNT 1, no reset): 100 s vs 100 s (1.0x)" in restore.detail
    assert "x1 with the strictest breaker (COUNT 1, no reset): only 1.0x" in restore.misses
    # and pushdeploy's strictest-breaker rows are left out of the goals judged on its default breaker
    assert goals.judge(main + strict, measured())[0].detail == goals.judge(main, measured())[0].detail


def test_the_document_sets_fast_timing_beside_and_the_strictest_breaker_when_measured():
    main = rows()
    strict = [type(r).model_validate({**r.model_dump(), "breaker": "strictest"}) for r in main if r.system != "waiter"]
    made = main + on_timing(main, "fast") + strict

    text = render.render(made, with_goals(made))

    assert "## Realistic timing beside fast timing" in text
    assert "| crash_on_start | 1 | 45 failed / 45 failed; restore 145 / 145 |" in text
    assert "## The circuit breaker's strictest setting" in text
    assert "| scenario | desired | pushdeploy | circuit breaker |" in text
    assert "## Realistic timing beside" not in render.render(main, with_goals(main))


def test_the_document_has_a_table_per_figure_and_the_plot_a_bar_per_run():
    made = rows()
    measurements = with_goals(made)

    text = render.render(made, measurements)
    svg = plot.restore_svg(made)

    assert "| scenario | desired | pushdeploy | circuit breaker | waiter | poll 1 s |" in text
    assert "never (>1200)" in text
    assert render.PLOT in text
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    # 4 failing scenarios x 3 desired counts x 4 systems, plus the legend's swatches
    assert svg.count("<rect x=") == 4 * 3 * 4 + 5


def test_the_import_goal_is_judged_on_the_import_alone_and_reports_the_models_built_beside_it():
    judged = goals.judge(rows(), measured(imports=imports(check_ms=145.0, build_ms=20.0)))[-1]

    assert judged.met is True
    assert "1.45x to 1.45x" in judged.detail
    assert "1.65x to 1.65x with every model" in judged.detail


def test_a_handler_over_the_ratio_misses_the_import_goal():
    judged = goals.judge(rows(), measured(imports=imports(check_ms=180.0)))[-1]

    assert judged.met is False
    assert judged.misses == ["CheckFunction: 1.8x"]


def test_the_cold_imports_table_shows_the_baselines_and_the_deferred_build():
    text = render.render(rows(), with_goals(rows()))

    assert "| `import boto3` alone | 100 | 1x | — | — | stdlib 60, urllib3 18, botocore 22 |" in text
    assert "| the libraries alone | 120 | 1.2x |" in text
    assert "| CheckFunction | 140 | 1.4x | 20 (19 models) | 1.6x | stdlib 63, urllib3 36, pushdeploy 20" in text
    assert "`pydantic==2.13.4`, `boto3==1.44.8`" in text


def late_crash_missed() -> list[Row]:
    """Rows where the late crash is called healthy: one goal missed, so the recommendations are written."""
    return changed(
        rows(), "late_crash", outcome="success", verdict_s=105.0, evidence_s=150.0, verdict_after_evidence_s=-45.0
    )


def test_a_missed_import_goal_is_told_by_how_much_and_what_the_handler_adds_beyond_the_libraries():
    # Given Check at 1.8x with boto3 at 100 ms: 30 ms over the goal's 150, the libraries alone taking 120
    made = late_crash_missed()

    text = render.render(made, with_goals(made, imports=imports(check_ms=180.0)))

    # Then the recommendation says by how much, what is left for pushdeploy, and which packages grew
    assert "- **Lighter imports (1.8x to 1.8x `import boto3`, 2x to 2x with every model built; goal 1.5x).**" in text
    assert "CheckFunction, imports in 180 ms, 30 ms over the goal's 150 ms" in text
    assert "which leaves 30 ms for what pushdeploy's code adds; it adds 60 ms" in text
    assert (
        "ms: pushdeploy +20.0 (not imported by the libraries alone); "
        "urllib3 +18.0 (as many modules, 30, as in the libraries alone, slower)."
    ) in text
    beyond = text.split("Own import time beyond the libraries alone")[1].split("So: find")[0]
    assert "stdlib" not in beyond and "pydantic" not in beyond  # 1 ms more each: under the 2 ms shown


def test_libraries_already_over_the_goal_are_named_as_the_floor():
    made = late_crash_missed()
    text = render.render(made, with_goals(made, imports=imports(check_ms=180.0, libraries_ms=160.0)))

    assert "already over the goal: no change to pushdeploy's own code can meet it" in text


def test_a_met_import_goal_says_what_was_changed_instead_of_recommending_it():
    made = late_crash_missed()
    text = render.render(made, with_goals(made, imports=imports(check_ms=140.0)))

    assert "- **Cold imports: goal met (1.4x to 1.4x `import boto3`, 1.6x to 1.6x with every model built" in text
    assert "Lighter imports" not in text


def test_an_import_measurement_taken_again_on_its_own_says_on_which_commit():
    source = {"commit": "5015b3e", "uncommitted": []}
    remeasured = {**imports(), "source": {"commit": "a57cf40", "uncommitted": ["bench/footprint.py"]}}

    text = render.render(rows(), with_goals(rows(), source=source, imports=remeasured))

    assert "Measured again on its own, on commit a57cf40, with 1 files changed but not committed." in text


def test_a_late_crash_failed_while_watched_meets_the_first_goal_and_says_how():
    judged = goals.judge(rows(), measured())[0]

    assert judged.met is True
    assert (
        "Decided by the watch after a healthy verdict: late_crash x1, x3, x10: judged healthy at 105 s, failed while "
        "watched at 150 s (0 s after the first evidence); with the watch off, `success` at 105 s and the previous "
        "version not back within 1200 s"
    ) in judged.detail


def test_a_failure_decided_before_any_watch_is_not_credited_to_the_watch():
    made = changed(rows(), "late_crash", watch_from_s=None)

    assert "Decided by the watch" not in goals.judge(made, measured())[0].detail


def test_the_healthy_goal_counts_the_watch_in_its_transitions_and_says_how_long_the_execution_runs():
    judged = goals.judge(rows(), measured())[2]

    assert judged.met is True
    assert judged.detail == (
        "36 transitions (3 of them the watch after the verdict: 33 with the watch off); deployment complete and "
        "healthy at 100 s, verdict at 105 s (5 s later, poll 15 s); the 300 s watch then keeps the execution "
        "running until 405 s"
    )


def test_a_watch_over_the_transition_budget_misses_the_healthy_goal():
    made = changed(rows(), "healthy", transitions=42)

    judged = goals.judge(made, measured())[2]

    assert judged.met is False
    assert judged.misses == ["42 state transitions"]
    text = render.render(made, with_goals(made))
    assert "- **A healthy deploy of the Phase 4 service: at most 40 state transitions" in text
    assert ": missed** (42 state transitions). 42 transitions (9 of them the watch" in text


def test_the_watch_table_sets_each_case_beside_its_run_with_the_watch_off():
    made = rows()

    text = render.render(made, with_goals(made))

    assert "## What the watch costs and catches" in text
    assert "| late_crash | 1 | 300 | failure | 150 | 220 | 53 | 24 (2) | $1.332 | 225 |" in text
    assert "| late_crash | 1 | 0 | success | 105 | never (>1200) | 33 | 22 (8) | $0.83 | 105 |" in text
    assert "| healthy | 1 | 300 | success | 105 | — | 36 | 17 (1) | $0.904 | 405 |" in text
    assert "| healthy | 1 | 0 | success | 105 | — | 33 | 15 (1) | $0.829 | 105 |" in text
    assert "bake" not in text


def test_the_watch_sentences_are_computed_from_the_runs():
    made = rows()

    text = render.render(made, with_goals(made))

    assert (
        "**What it catches.** The late crash (x1, x3, x10): with the watch, its first task stops at 150 s and the "
        "verdict `failure` comes at 150 s (0 s later), the previous version back at 220 s; with the watch off it "
        "is `success` at 105 s and the previous version is not back within 1200 s."
    ) in text
    assert (
        "**What it adds to a healthy deploy** (x1): 3 transitions (36 against 33), 2 Lambda invocations (Check +1, "
        "Watch +1), $0.075 per 1,000 deployments (the transitions $0.075, the rest Lambda's: 0.1 against 0.12 "
        "GB-s, in-process durations on this machine that vary from run to run); the verdict comes at the same "
        "105 s, but the execution runs "
        "until 405 s instead of 105 s (300 s longer); the service's lock is held until 405 s instead of 105 s"
    ) in text
    # the unwatched late crash keeps crash-looping after its execution: each stopped task invokes Wake
    assert "late_crash x1, x3, x10 with `watch_seconds` 0: 8 Wake invocations, 7 of them after the execution" in text
    assert "the watch after a healthy verdict adds 3 (36 against 33 with it off)" in text


def test_a_late_crash_the_watch_misses_is_said_so_and_recommended_on_from_the_figures():
    # Given a late crash whose first task stops at 450 s, after the 300 s watch ended at 405 s
    made = changed(
        rows(),
        "late_crash",
        outcome="success",
        verdict_s=105.0,
        evidence_s=450.0,
        verdict_after_evidence_s=-345.0,
        restore_s=None,
        client_busy_s=405.0,
        verdict_correct=False,
    )

    text = render.render(made, with_goals(made))

    assert "**What it misses.** The late crash (x1, x3, x10): with the watch the verdict is `success` at 105 s" in text
    assert "**What it catches.**" not in text
    assert (
        "- **Verdicts more than a poll (15 s) after the first failure evidence, or wrong: 3 runs.** late_crash x1: its "
        "first failure at 450 s came after the execution had ended at 405 s (`watch_seconds` 300)"
    ) in text


def test_the_cost_table_counts_wake_among_the_invocations():
    made = rows()

    text = render.render(made, with_goals(made))

    header = "| scenario | desired | outcome | transitions | Lambda invocations | of them Wake | GB-s | $ / 1,000 |"
    assert header in text
    assert "| late_crash | 10 | failure | 53 | 24 | 2 | 0.1 | $1.332 |" in text
    assert "Wake runs three times per stopped task, whether a deploy waits or not" in text


def test_the_layer_bytecode_note_follows_the_built_artifact():
    artifact = {"files": 10, "bytes": 10, "zipped_bytes": 5, "largest_packages": {}}
    built = Artifacts(build_dir="build", artifacts={"CoreLayer": {**artifact, "bytecode_files": 2400}})
    bare = Artifacts(build_dir="build", artifacts={"CoreLayer": {**artifact, "bytecode_files": 0}})

    assert "carries its bytecode (2400 `.pyc` files" in caveats.layer_bytecode(built)
    assert "carries no bytecode" in caveats.layer_bytecode(bare)
    assert "was not measured" in caveats.layer_bytecode(None)


def test_fan_out_verdicts_that_come_in_waves_are_told_with_the_watch_that_spaces_them():
    waves = {"105": 10, "510": 10, "915": 10, "1320": 10, "1725": 10}
    fanout = {**MEASUREMENTS["fanout"], "watch_seconds": 300, "verdicts_by_second": waves, "last_verdict_s": 1725.0}
    text = render.render(rows(), with_goals(rows(), fanout=fanout))

    assert (
        "verdicts from 105 s to 1725 s (10 at 105 s, 10 at 510 s, 10 at 915 s, 10 at 1320 s, 10 at 1725 s: a service "
        "keeps its place in the Map through its 300 s watch after the verdict"
    ) in text


def test_a_throttled_fan_out_is_told_with_the_map_as_plan_runs_it():
    # Given the 50-service push overdrawing the RegisterTaskDefinition bucket
    bucket = {
        **MEASUREMENTS["fanout"]["limits"]["buckets"][0],
        "peak_per_second": 25,
        "fewest_tokens_left": 0.0,
        "throttled": 5,
    }
    limits = {**MEASUREMENTS["fanout"]["limits"], "buckets": [bucket], "below_every_limit": False}
    fanout = {**MEASUREMENTS["fanout"], "limits": limits}

    text = render.render(rows(), with_goals(rows(), fanout=fanout))

    # Then the recommendation and the fan-out's account say what the state machine and Plan do today
    assert "- **The 50-service push overdraws ECS RegisterTaskDefinition** (50 calls, 25 within one second" in text
    assert "the Map runs up to 1000 targets at once, the first 10 starting together and each next one a second" in text
    assert "(the Map runs up to 1000 services at a time; Plan starts the first 10 together" in text
    assert "10 at a time" not in text and "ten parallel iterations" not in text


def test_a_watched_failure_decided_when_wake_ran_after_the_stop_began_is_explained_by_the_event():
    late = changed(rows(), "late_crash", verdict_s=171.0, verdict_after_evidence_s=21.0, wake_at_s=[100.0, 171.0])
    measurements = with_goals(late)

    text = render.render(late, measurements)

    assert measurements.goals[0].met is False
    assert "late_crash x1: `failure` at 171 s, when Wake ran, 21 s after the task began to stop at 150 s" in text
    assert "`TaskStoppedRule` matches desiredStatus STOPPED from the state the task was in" in text
