"""The rolling watch judges a load-balanced service's requests after the deployment against before it."""

from __future__ import annotations

from typing import Any

import pytest
from rich.console import Console

from pushdeploy.outcome import Outcome
from pushdeploy_cli import render
from pushdeploy_cli.story import read_story
from pushdeploy_local import runner
from pushdeploy_local.report import Report
from pushdeploy_local.scenario import load_scenario
from tests.conftest import REPO
from tests.scenarios.conftest import example


@pytest.fixture(scope="module")
def errors_judged() -> tuple[Report, dict[str, list[dict[str, Any]]]]:
    return runner.run_recorded(load_scenario(REPO / "scenarios" / "rolling-errors-judged.json"))


def test_a_version_answering_errors_passes_its_health_checks_and_is_rolled_back_by_the_watchs_judge(errors_judged):
    report, _ = errors_judged

    [push] = report.pushes
    assert push.outcome == Outcome.ROLLED_BACK
    assert push.reason.startswith("its requests are worse than before the deployment: 5XX rate")
    assert push.reason.endswith("(after it was judged healthy, while watched)")
    [target] = push.targets
    assert target.evidence is not None and target.evidence.metrics is not None
    metrics = target.evidence.metrics
    assert metrics.decision == "degraded"
    # Both windows' numbers: the service before (about 0.1 % 5XX) and the new version after (about 20 %).
    assert metrics.old.requests == 10 * 60 * 50 and metrics.old.error_rate < 0.005
    assert metrics.new.requests >= 200 and 0.15 < metrics.new.error_rate < 0.25
    # Its health checks passed: the watch, not a failed task or target, rolled it back.
    assert not target.evidence.stopped_tasks
    assert all(t.state == "healthy" for t in target.evidence.targets)
    # The 5XX its tasks answered until they stopped serving, and the alert that carries the evidence.
    assert push.bad_requests > 0 and report.bad_requests == push.bad_requests
    [alert] = report.alerts
    assert "metrics: degraded" in alert.message
    assert "before the deployment: 30000 requests" in alert.message


def test_explain_shows_both_windows_of_the_judgement(errors_judged):
    _, histories = errors_judged
    [(execution, history)] = histories.items()
    explain = Console(record=True, width=1000)

    render.print_story(read_story(execution, history), explain)

    explained = explain.export_text()
    assert "metrics: degraded" in explained
    assert "before the deployment: 30000 requests" in explained
    assert "after it: " in explained


def test_a_healthy_version_with_the_usual_noise_is_not_rolled_back() -> None:
    report = example("rolling-healthy-noise")

    [push] = report.pushes
    assert push.outcome == Outcome.DEPLOYED
    [target] = push.targets
    assert target.evidence is not None and target.evidence.metrics is not None
    assert target.evidence.metrics.decision == "clean"
    assert target.evidence.metrics.new.requests >= 3000  # judged on minutes of requests, not on none
    assert not report.alerts
    # Its 0.1 % of 5XX until it was proven: a few, never none at 50 requests a second over minutes.
    assert 0 < push.bad_requests < 50
