"""The goals, the document and the plot, from made-up rows (the benchmark itself runs in `make bench`)."""

from __future__ import annotations

from typing import Any

from bench import goals, plot, render
from bench.cases import DESIRED_COUNTS, SYSTEMS, all_cases


def rows(**changes: Any) -> list[dict[str, Any]]:
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
                    **changes,
                }
            )
    return made


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
    "what_if": [],
    "imports": imports(),
    "fanout": {
        "services": 50,
        "outcomes": {"deployed": 50},
        "first_verdict_s": 105.0,
        "last_verdict_s": 530.0,
        "finished_s": 530.0,
        "transitions": 1350,
        "usd": 0.034,
        "api_calls": 2000,
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
                }
            ],
            "below_every_limit": True,
            "no_limit_listed": {},
        },
    },
}


def test_every_goal_is_met_by_rows_that_meet_them():
    judged = goals.judge(rows(), MEASUREMENTS)

    assert [g["met"] for g in judged] == [True] * 5, [g for g in judged if not g["met"]]


def test_a_success_reported_before_the_evidence_misses_the_first_goal():
    late = rows()
    for row in late:
        if row["scenario"] == "late_crash" and row["system"] == "pushdeploy":
            row.update(outcome="success", verdict_s=105.0, evidence_s=150.0, verdict_after_evidence_s=-45.0)

    first = goals.judge(late, MEASUREMENTS)[0]

    assert first["met"] is False
    assert len(first["misses"]) == len(DESIRED_COUNTS)


def test_the_document_has_a_table_per_figure_and_the_plot_a_bar_per_run():
    made = rows()
    measurements = {**MEASUREMENTS, "goals": goals.judge(made, MEASUREMENTS)}

    text = render.render(made, measurements)
    svg = plot.restore_svg(made)

    assert "| scenario | desired | pushdeploy | circuit breaker | waiter | poll 1 s |" in text
    assert "never (>1200)" in text
    assert render.PLOT in text
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    # 4 failing scenarios x 3 desired counts x 4 systems, plus the legend's swatches
    assert svg.count("<rect x=") == 4 * 3 * 4 + 5


def test_the_import_goal_is_judged_on_the_import_alone_and_reports_the_models_built_beside_it():
    measurements = {**MEASUREMENTS, "imports": imports(check_ms=145.0, build_ms=20.0)}

    judged = goals.judge(rows(), measurements)[-1]

    assert judged["met"] is True
    assert "1.45x to 1.45x" in judged["detail"]
    assert "1.65x to 1.65x with every model" in judged["detail"]


def test_a_handler_over_the_ratio_misses_the_import_goal():
    measurements = {**MEASUREMENTS, "imports": imports(check_ms=180.0)}

    judged = goals.judge(rows(), measurements)[-1]

    assert judged["met"] is False
    assert judged["misses"] == ["CheckFunction: 1.8x"]


def test_the_cold_imports_table_shows_the_baselines_and_the_deferred_build():
    measurements = {**MEASUREMENTS, "goals": goals.judge(rows(), MEASUREMENTS)}

    text = render.render(rows(), measurements)

    assert "| `import boto3` alone | 100 | 1x | — | — | stdlib 60, urllib3 18, botocore 22 |" in text
    assert "| the libraries alone | 120 | 1.2x |" in text
    assert "| CheckFunction | 140 | 1.4x | 20 (19 models) | 1.6x | stdlib 63, urllib3 36, pushdeploy 20" in text
    assert "`pydantic==2.13.4`, `boto3==1.44.8`" in text


def late_crash_missed() -> list[dict[str, Any]]:
    """Rows where the late crash is called healthy: one goal missed, so the recommendations are written."""
    late = rows()
    for row in late:
        if row["scenario"] == "late_crash" and row["system"] == "pushdeploy":
            row.update(outcome="success", verdict_s=105.0, evidence_s=150.0, verdict_after_evidence_s=-45.0)
    return late


def test_a_missed_import_goal_is_told_by_how_much_and_what_the_handler_adds_beyond_the_libraries():
    # Given Check at 1.8x with boto3 at 100 ms: 30 ms over the goal's 150, the libraries alone taking 120
    made = late_crash_missed()
    measured = {**MEASUREMENTS, "imports": imports(check_ms=180.0)}

    text = render.render(made, {**measured, "goals": goals.judge(made, measured)})

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
    measured = {**MEASUREMENTS, "imports": imports(check_ms=180.0, libraries_ms=160.0)}

    text = render.render(made, {**measured, "goals": goals.judge(made, measured)})

    assert "already over the goal: no change to pushdeploy's own code can meet it" in text


def test_a_met_import_goal_says_what_was_changed_instead_of_recommending_it():
    made = late_crash_missed()
    measured = {**MEASUREMENTS, "imports": imports(check_ms=140.0)}

    text = render.render(made, {**measured, "goals": goals.judge(made, measured)})

    assert "- **Cold imports: goal met (1.4x to 1.4x `import boto3`, 1.6x to 1.6x with every model built" in text
    assert "Lighter imports" not in text


def test_an_import_measurement_taken_again_on_its_own_says_on_which_commit():
    measured = {
        **MEASUREMENTS,
        "source": {"commit": "5015b3e", "uncommitted": []},
        "imports": {**imports(), "source": {"commit": "a57cf40", "uncommitted": ["bench/footprint.py"]}},
    }

    text = render.render(rows(), {**measured, "goals": goals.judge(rows(), measured)})

    assert "Measured again on its own, on commit a57cf40, with 1 files changed but not committed." in text
