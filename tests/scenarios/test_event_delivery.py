"""Whole-product runs where EventBridge delivers ECS events best effort (`world.events`): late, lost,
twice, out of order. The verdict may come later, never differently, and nothing is done twice."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest

from pushdeploy.verdict import FALLBACK_PROBE_SECONDS
from pushdeploy_local.report import Report
from tests.scenarios.conftest import run, writes

BEHAVIORS = {
    "healthy": {"kind": "healthy"},
    "unhealthy": {"kind": "unhealthy"},
    "late-crash": {"kind": "late_crash", "crash_after_seconds": 120},
}
DELIVERIES = {
    "lost": {"loss_rate": 1.0},
    "twice": {"duplicate_rate": 1.0},
    "late": {"delay_seconds": [20, 60]},
    "reordered": {"delay_seconds": [0, 120]},
    "all-at-once": {"delay_seconds": [0, 90], "loss_rate": 0.3, "duplicate_rate": 0.3},
}


def run_with(behavior: str, events: dict[str, Any]) -> Report:
    return run(
        f"events-{behavior}",
        [{"at_seconds": 0, "tag": "v2", "behavior": BEHAVIORS[behavior]}],
        service={"desired_count": 2},
        world={"seed": 1, "events": events},
    )


def same_run(reason: str) -> str:
    """The reason without what differs between two local clouds: moto draws a target group's ARN suffix."""
    return re.sub(r"targetgroup/[\w-]+/\w+", "targetgroup/<name>/<id>", reason)


@cache
def at_once(behavior: str) -> Report:
    return run_with(behavior, {})


@pytest.mark.parametrize("delivery", DELIVERIES)
@pytest.mark.parametrize("behavior", BEHAVIORS)
def test_however_events_are_delivered_the_outcome_is_the_one_of_a_prompt_delivery(behavior, delivery):
    report, prompt = run_with(behavior, DELIVERIES[delivery]), at_once(behavior)

    (push,), (expected,) = report.pushes, prompt.pushes
    assert (push.outcome, same_run(push.reason)) == (expected.outcome, same_run(expected.reason))
    assert push.verdict_at_seconds is not None and expected.verdict_at_seconds is not None
    assert push.verdict_at_seconds >= expected.verdict_at_seconds
    # Nothing done twice: the same writes (one rollback at most), the same alerts
    assert writes(report) == writes(prompt)
    assert [alert.subject for alert in report.alerts] == [alert.subject for alert in prompt.alerts]
    assert (report.final.tag, report.final.healthy) == (prompt.final.tag, prompt.final.healthy)


def test_a_crash_while_watched_is_decided_at_the_crash_or_when_the_watch_ends_if_its_events_are_lost():
    prompt, lost = at_once("late-crash"), run_with("late-crash", DELIVERIES["lost"])

    assert prompt.pushes[0].verdict_at_seconds == 150  # the crash woke the watch
    # The closing Check, when the watch ends: it began at the healthy verdict, which the rollout's fallback probes
    # gave 60 s apart (no event reached Wake: the deployment completed at 100 s, the second probe saw it)
    assert lost.pushes[0].verdict_at_seconds == 2 * FALLBACK_PROBE_SECONDS + 300
    assert lost.pushes[0].outcome == "rolled_back"
