"""Random scenarios on the local cloud: behaviours, push times, duplicates and desired counts.

Whatever happens, afterwards: the service runs the newest image that was proven healthy (or the
initial one); every rollback sent exactly one alert and every alert belongs to a rollback or failure;
no lock is held; no execution is running.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st

from pushdeploy_local.cloud import LocalCloud
from pushdeploy_local.runner import play
from pushdeploy_local.scenario import parse_scenario

FAILED = ("rolled_back", "rollback_failed", "failed")
BEHAVIOURS = st.one_of(
    st.just({"kind": "healthy"}),
    st.builds(lambda s: {"kind": "healthy", "start_seconds": s}, st.integers(5, 90)),
    st.builds(
        lambda e, a: {"kind": "crash", "exit_code": e, "crash_after_seconds": a},
        st.integers(1, 255),
        st.integers(0, 30),
    ),
    st.just({"kind": "unhealthy"}),
    st.just({"kind": "pull_error"}),
    st.builds(lambda a: {"kind": "late_crash", "crash_after_seconds": a}, st.integers(20, 200)),
)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, 3))
    times = sorted(draw(st.lists(st.integers(0, 400), min_size=count, max_size=count)))
    pushes = [
        {
            "at_seconds": at,
            "tag": f"v{index + 2}",
            "behavior": draw(BEHAVIOURS),
            "duplicate": draw(st.integers(1, 2)),
        }
        for index, at in enumerate(times)
    ]
    return {
        "name": "random",
        "service": {"desired_count": draw(st.integers(1, 3)), "load_balanced": draw(st.booleans())},
        "pushes": pushes,
    }


# 40 scenarios in `make test` (one run costs about a second of CPU), in four seeded batches so that
# pytest-xdist can spread them; `make test-slow` runs 1,000 more. A scenario that either run finds failing
# goes into PINNED: the first batch replays each as an `@example` before its random ones.
EXAMPLES = int(os.environ.get("PUSHDEPLOY_RANDOM_EXAMPLES", "40"))
BATCHES = 4
PINNED: list[dict[str, Any]] = []


def check_invariants(cloud: LocalCloud, report) -> None:
    deployed = [p for p in report.pushes if p.outcome == "deployed"]
    newest_healthy = max(deployed, key=lambda p: p.finished_at_seconds, default=None)
    expected = newest_healthy.digest if newest_healthy else cloud.infra.initial_digest
    if not any(p.outcome == "rollback_failed" for p in report.pushes):
        assert report.final.image.endswith("@" + expected), (report.final, report.pushes)
        assert report.final.healthy
    failures = [p for p in report.pushes if p.outcome in FAILED]
    assert len(report.alerts) == len(failures), (report.alerts, report.pushes)
    for push in failures:
        assert sum(f"aiuteur-backend:{push.tag}" in a.subject for a in report.alerts) == 1
    assert all(p.executions == 1 for p in report.pushes)
    items = cloud.session.client("dynamodb").scan(TableName=cloud.infra.lock_table)["Items"]
    assert not any("holder" in item for item in items), items
    assert cloud.running_executions() == []


def play_and_check(scenario: dict[str, Any]) -> None:
    with LocalCloud(parse_scenario(scenario)) as cloud:
        check_invariants(cloud, play(cloud))


def _batch(number: int):  # type: ignore[no-untyped-def]
    @seed(number)
    @settings(max_examples=EXAMPLES // BATCHES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(scenarios())
    def test(scenario: dict[str, Any]) -> None:
        play_and_check(scenario)

    for scenario in PINNED if number == 1 else []:
        test = example(scenario)(test)
    return test


test_random_scenarios_keep_the_guarantees_batch_1 = _batch(1)
test_random_scenarios_keep_the_guarantees_batch_2 = _batch(2)
test_random_scenarios_keep_the_guarantees_batch_3 = _batch(3)
test_random_scenarios_keep_the_guarantees_batch_4 = _batch(4)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(scenarios())
def test_many_more_random_scenarios_keep_the_guarantees(scenario):
    play_and_check(scenario)
