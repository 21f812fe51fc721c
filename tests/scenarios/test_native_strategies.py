"""ECS's own canary, linear and blue/green deployments, judged by pushdeploy's lifecycle hook, end to end on the
local cloud: the stack built with DeploymentStrategy=BLUE_GREEN, request traffic split by the listener rules'
weights that ECS moves, the ALB's per-target-group metrics, and ECS rolling back by weight when the hook
answers FAILED."""

from __future__ import annotations

from typing import Any

import pytest
from rich.console import Console

from pushdeploy.outcome import Outcome
from pushdeploy_cli import render
from pushdeploy_cli.picture import svg as picture
from pushdeploy_cli.story import read_story
from pushdeploy_local import runner
from pushdeploy_local.report import Report
from pushdeploy_local.scenario import load_scenario
from tests.conftest import REPO

Recorded = tuple[Report, dict[str, list[dict[str, Any]]]]


def _run(name: str) -> Recorded:
    return runner.run_recorded(load_scenario(REPO / "scenarios" / f"{name}.json"))


@pytest.fixture(scope="module")
def canary_errors() -> Recorded:
    return _run("canary-errors")


def test_a_canary_answering_errors_is_failed_by_the_hook_and_ecs_moves_the_traffic_back(canary_errors):
    report, _ = canary_errors

    [push] = report.pushes
    assert push.outcome == Outcome.ROLLED_BACK
    assert push.reason.startswith("degraded: 5XX rate: new ")
    [target] = push.targets
    assert target.evidence is not None and target.evidence.hook is not None
    hook = target.evidence.hook
    assert (hook.hook_status, hook.stage) == ("FAILED", "PRODUCTION_TRAFFIC_SHIFT")
    assert hook.judgement is not None and hook.judgement.decision == "degraded"
    # The canary's 10 % against the stable 90 %, over the same minutes: both windows' numbers.
    new, old = hook.judgement.new, hook.judgement.old
    assert 0.15 < new.error_rate < 0.35 and old.error_rate < 0.005
    assert old.requests > 5 * new.requests
    assert hook.new_target_group != hook.stable_target_group
    # ECS rolled back by weight: pushdeploy started one deployment and never called UpdateService again.
    assert report.api_calls["ecs:UpdateService"] == 1
    assert (report.final.tag, report.final.healthy) == ("v1", True)
    # Only the canary's share (10 % of 50 requests a second) met the bad version (20 % 5XX) until the verdict:
    # at most about that many bad requests (twice it, for the draw), where a rolling update would serve all.
    canary_only = 0.10 * 50 * (push.verdict_at_seconds or 0) * 0.2
    assert 0 < push.bad_requests < 2 * canary_only
    [alert] = report.alerts
    assert "metric judge at PRODUCTION_TRAFFIC_SHIFT: FAILED" in alert.message
    assert "stable (targetgroup/aiuteur-backend-tg/" in alert.message


def test_explain_and_the_picture_show_the_lifecycle_stages_and_the_judges_windows(canary_errors):
    _, histories = canary_errors
    [(execution, history)] = histories.items()
    story = read_story(execution, history)
    explain = Console(record=True, width=1000)

    render.print_story(story, explain)
    drawn = picture(story)

    explained = explain.export_text()
    assert "metric judge at PRODUCTION_TRAFFIC_SHIFT: FAILED" in explained
    assert "new (targetgroup/aiuteur-backend-tg2/" in explained
    assert "lifecycle (ECS)" in drawn
    assert "PRODUCTION_TRAFFIC_SHIFT" in drawn


@pytest.mark.parametrize("name", ["canary-healthy", "blue-green"])
def test_a_healthy_version_goes_through_every_stage_and_serves_from_the_other_target_group(name: str) -> None:
    report, _ = _run(name)

    [push] = report.pushes
    assert push.outcome == Outcome.DEPLOYED, push.reason
    [target] = push.targets
    assert target.evidence is not None
    # The new tasks serve from the group the old ones were not in, healthy there.
    assert target.evidence.targets and all(t.state == "healthy" for t in target.evidence.targets)
    assert {t.target_group.rsplit("/", 2)[-2] for t in target.evidence.targets} == {"aiuteur-backend-tg2"}
    assert (report.final.tag, report.final.healthy) == ("v2", True)
    assert not report.alerts
    assert report.iam.denied == []


def test_a_slow_linear_rollout_is_failed_on_its_share_of_slow_requests() -> None:
    report, _ = _run("linear-slow")

    [push] = report.pushes
    assert push.outcome == Outcome.ROLLED_BACK
    assert push.reason.startswith("degraded: share slower than the stable p99")
    [target] = push.targets
    assert target.evidence is not None and target.evidence.hook is not None
    judgement = target.evidence.hook.judgement
    assert judgement is not None
    assert judgement.new.slow_share > 0.5 and judgement.old.slow_share < 0.03
    assert (report.final.tag, report.final.healthy) == ("v1", True)


def test_a_blue_green_stack_after_a_rolling_one_in_the_same_process_has_its_own_functions() -> None:
    # Handlers read their settings at import: a stack built with DeploymentStrategy=BLUE_GREEN gives the Plan
    # its hook's ARN, which the rolling stack's Plan (imported first, as a warm Lambda of that stack) lacks.
    rolling, _ = _run("crash-on-start")
    canary, _ = _run("canary-errors")

    assert rolling.pushes[0].outcome == Outcome.ROLLED_BACK
    [push] = canary.pushes
    assert push.outcome == Outcome.ROLLED_BACK and push.reason.startswith("degraded: 5XX rate")
