"""The blue/green configuration and hook answers as ECS reads them, without moto (`ecs.bluegreen`)."""

from __future__ import annotations

from typing import Any

import pytest

from pushdeploy_local.ecs import bluegreen
from pushdeploy_local.ecs.bluegreen import HookAnswer, InvalidStrategy

BALANCERS = [
    {
        "targetGroupArn": "tg/blue",
        "advancedConfiguration": {
            "alternateTargetGroupArn": "tg/green",
            "productionListenerRule": "rule/production",
            "roleArn": "role/ecs-infrastructure",
        },
    }
]


def strategy(**configuration: Any) -> bluegreen.Strategy:
    parsed = bluegreen.parse(configuration, BALANCERS)
    assert parsed is not None
    return parsed


def test_rolling_or_no_strategy_is_no_traffic_shifting_deployment() -> None:
    assert bluegreen.parse(None, []) is None
    assert bluegreen.parse({"strategy": "ROLLING", "maximumPercent": 200}, []) is None


def test_linear_steps_end_at_100_and_the_defaults_are_aws_s() -> None:
    assert strategy(strategy="LINEAR", linearConfiguration={"stepPercent": 30.0}).production_steps == (
        30.0,
        60.0,
        90.0,
        100.0,
    )
    linear = strategy(strategy="LINEAR")
    assert (linear.production_steps[0], linear.step_bake_seconds) == (10.0, 6 * 60)
    canary = strategy(strategy="CANARY")
    assert (canary.production_steps, canary.step_bake_seconds, canary.bake_seconds) == ((5.0, 100.0), 600, 0)


def test_the_plan_shifts_production_at_each_step_with_its_hooks_and_bakes_between_steps_only() -> None:
    steps = bluegreen.plan(strategy(strategy="CANARY", canaryConfiguration={"canaryPercent": 20.0}), reconcile=False)
    shifts = [(s.kind, s.weight) for s in steps if s.kind in ("production", "bake")]
    assert shifts == [("production", 20.0), ("bake", 0.0), ("production", 100.0), ("bake", 0.0)]
    bakes = [s.seconds for s in steps if s.kind == "bake"]
    assert bakes == [600.0, 0.0]  # the canary bake, then bakeTimeInMinutes (0)
    assert steps[0].stage == "PRE_SCALE_UP" and steps[-1].stage == "CLEAN_UP"
    assert bluegreen.plan(strategy(strategy="BLUE_GREEN", bakeTimeInMinutes=1), reconcile=True)[0].stage == (
        "RECONCILE_SERVICE"
    )


def test_the_alternate_target_group_must_differ_from_the_production_one() -> None:
    same = [
        {
            **BALANCERS[0],
            "advancedConfiguration": {**BALANCERS[0]["advancedConfiguration"], "alternateTargetGroupArn": "tg/blue"},
        }
    ]
    with pytest.raises(InvalidStrategy, match="alternateTargetGroupArn must differ from targetGroupArn"):
        bluegreen.parse({"strategy": "CANARY"}, same)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (HookAnswer({"hookStatus": "SUCCEEDED"}), ("SUCCEEDED", 30.0, None, None)),
        (
            HookAnswer({"hookStatus": "IN_PROGRESS", "callBackDelay": 60, "hookDetails": {"a": 1}}),
            ("IN_PROGRESS", 60.0, {"a": 1}, None),
        ),
        (HookAnswer({"hookStatus": "FAILED"}), ("FAILED", 30.0, None, "the hook returned FAILED")),
        (HookAnswer(None, error="Boom: no"), ("FAILED", 0.0, None, "the hook's function failed: Boom: no")),
    ],
)
def test_a_hook_answer_reads_as_ecs_reads_it(answer: HookAnswer, expected: tuple[Any, ...]) -> None:
    assert bluegreen.read_answer(answer) == expected


@pytest.mark.parametrize(
    "answer", [{"hookStatus": "DONE"}, "SUCCEEDED", {"hookStatus": "IN_PROGRESS", "callBackDelay": -1}]
)
def test_an_invalid_answer_fails_with_its_reason(answer: Any) -> None:
    status, _, _, reason = bluegreen.read_answer(HookAnswer(answer))
    assert status == "FAILED"
    assert reason is not None and ("no valid hookStatus" in reason or "invalid callBackDelay" in reason)
