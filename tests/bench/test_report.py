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


MEASUREMENTS: dict[str, Any] = {
    "jobs": 2,
    "wall_seconds": 300,
    "what_if": [],
    "imports": {
        "repeats": 7,
        "boto3_median_ms": 100.0,
        "python": "3.12.1",
        "handlers": {"CheckFunction": {"median_ms": 140.0, "ratio_to_boto3": 1.4, "heaviest_direct_imports_ms": {}}},
    },
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
