"""The canary rows: their shape, their goals from made-up rows, the healthy runs' decision path and the section
(the runs themselves are `python -m bench --only canary`)."""

from __future__ import annotations

from typing import Any

import pytest

from bench import canary, goals
from bench.canary import CANARY_SYSTEMS, ERROR_RATES, HEALTHY_RUNS, LEFT_OUT, CanaryRow, HealthyRunsRow
from bench.measurements import Source
from bench.render import canary as canary_section
from bench.render.cells import remeasured
from pushdeploy.judge import JudgePolicy
from tests.bench.test_records import ROOT

CANARY = ROOT / "bench" / "canary.json"


def errors_row(system: str, error_rate: float, **changes: Any) -> CanaryRow:
    """A run as measured: the canary fails 80 s after its minimum sample (at 290 s), at its 10 % share."""
    fields: dict[str, Any] = {
        "system": system,
        "error_rate": error_rate,
        "bad_requests": {"rolling_cb": 17000, "rolling_pushdeploy": 2800, "pushdeploy_canary": 120}[system],
        "verdict_s": 405.0 if system == "pushdeploy_canary" else 280.0,
        "rolled_back": system != "rolling_cb",
        "window_s": 1800.0,
    }
    if system == "pushdeploy_canary":
        fields |= {"hook_failed_s": 370.0, "failed_at_percent": 10.0, "canary_traffic_s": 250.0}
        fields["minimum_sample_s"] = 290.0
    return CanaryRow(**(fields | changes))


def made_rows(*changed: CanaryRow, healthy: tuple[int, int] = (HEALTHY_RUNS, 0)) -> list[CanaryRow | HealthyRunsRow]:
    """Every system at every error rate, a row of `changed` in place of the same (system, error rate)."""
    replaced = {(r.system, r.error_rate): r for r in changed}
    rows: list[CanaryRow | HealthyRunsRow] = [
        replaced.get((s, e), errors_row(s, e)) for e in ERROR_RATES for s in CANARY_SYSTEMS
    ]
    runs, false_rollbacks = healthy
    return [*rows, HealthyRunsRow(runs=runs, false_rollbacks=false_rollbacks, method="decision_path")]


def test_canary_json_reads_and_writes_back_byte_for_byte_with_every_row_the_issue_names():
    text = CANARY.read_text()

    rows = canary.load(text)

    assert canary.dump(rows) == text
    measured = {(r.system, r.error_rate) for r in rows if isinstance(r, CanaryRow)}
    assert measured == {(s, e) for s in CANARY_SYSTEMS for e in ERROR_RATES}
    healthy = {r.method: r for r in rows if isinstance(r, HealthyRunsRow)}
    assert healthy["decision_path"].runs >= HEALTHY_RUNS
    assert healthy["full_run"].runs >= 1
    # The system the local cloud cannot run faithfully is left out, not faked.
    assert "ecs_canary_alarm" in LEFT_OUT and "ecs_canary_alarm" not in {s for s, _ in measured}


def test_the_minimum_sample_is_the_judges_minimum_requests_at_the_canarys_share_of_the_traffic():
    # 200 requests at 10 % of 50 requests a second.
    assert canary.minimum_sample_seconds(JudgePolicy()) == 40.0
    assert canary.minimum_sample_seconds(JudgePolicy(min_requests=1000)) == 200.0


def test_the_canary_goals_are_met_by_runs_that_meet_them():
    judged = goals.canary(made_rows())

    assert [g.met for g in judged] == [True, True, True]
    assert "0.2: 120 vs 2800 (23.3x)" in judged[0].detail


@pytest.mark.parametrize(
    ("changed", "miss"),
    [
        (errors_row("pushdeploy_canary", 0.05, bad_requests=300), "0.05: only 9.3x"),
        (errors_row("pushdeploy_canary", 0.02, rolled_back=False), "0.02: the canary was not rolled back"),
    ],
)
def test_fewer_bad_requests_is_missed_below_ten_times_or_when_the_smallest_rate_is_not_caught(changed, miss):
    judged = goals.canary(made_rows(changed))[0]

    assert judged.met is False
    assert judged.misses == [miss]


def test_ten_times_fewer_exactly_meets_the_goal_and_just_fewer_misses_it():
    assert goals.canary(made_rows(errors_row("pushdeploy_canary", 0.2, bad_requests=280)))[0].met is True
    missed = goals.canary(made_rows(errors_row("pushdeploy_canary", 0.2, bad_requests=281)))[0]
    assert missed.met is False and missed.misses == ["0.2: only 10.0x"]


def test_a_false_rollback_or_too_few_healthy_runs_misses_the_goal():
    assert goals.canary(made_rows(healthy=(HEALTHY_RUNS, 1)))[1].misses == ["decision_path: 1 of 200 rolled back"]
    assert goals.canary(made_rows(healthy=(199, 0)))[1].misses == ["at most 199 runs, fewer than 200"]


def test_a_verdict_more_than_two_metric_periods_after_the_minimum_sample_misses_the_goal():
    on_time = errors_row("pushdeploy_canary", 0.02, verdict_s=410.0)  # 120 s after 290 s
    late = errors_row("pushdeploy_canary", 0.02, verdict_s=411.0, hook_failed_s=380.0, failed_at_percent=100.0)

    assert goals.canary(made_rows(on_time))[2].met is True
    judged = goals.canary(made_rows(late))
    assert judged[2].met is False and judged[2].misses == ["0.02: 121 s"]
    assert "0.02: rolled back (the hook's FAILED at 380 s, the new version then at 100 %)" in judged[0].detail


def test_nothing_measured_is_neither_met_nor_missed():
    assert [g.met for g in goals.canary([])] == [None, None, None]


def test_the_healthy_decision_path_rolls_back_only_what_its_policy_judges_degraded():
    # Given the default policy, then one that calls any difference significant and large enough
    strict = canary.healthy_decisions(20)
    permissive = canary.healthy_decisions(
        20, JudgePolicy(false_positive_rate=0.4, looks=1, min_error_rate_increase=0, min_slow_share_increase=0)
    )

    # Then the same draws are rolled back by the second and not by the first: the path does decide.
    assert (strict.runs, strict.false_rollbacks) == (20, 0)
    assert permissive.false_rollbacks > 0


def test_the_section_shows_every_row_and_says_what_is_left_out():
    text = "\n".join(canary_section.section(made_rows()))

    assert text.count("| ECS canary, pushdeploy's hook |") == len(ERROR_RATES)
    assert "`ecs_canary_alarm` is left out" in text
    assert "| the hook's decision path on the traffic model's draws | 200 | 0 |" in text
    assert canary_section.section([]) == [
        "",
        "## A version alive but wrong: canary against rolling",
        "",
        "The canary runs were not measured.",
        "",
    ]


def test_rows_measured_on_their_own_say_on_what():
    on_its_own = remeasured(Source(commit="abc1234", uncommitted=[]), Source(commit="95c4407", uncommitted=[]))

    text = "\n".join(canary_section.section(made_rows(), on_its_own))

    assert "Measured again on its own, on commit abc1234." in text
