"""One push that feeds many services: how long until the last verdict, against what ECS's rates allow.

Two systems run the same healthy push to N services (desired 1 each):

- `pushdeploy`: the state machine as it is, each target in a child execution of a Distributed Map;
- `pushdeploy_inline`: the same state machine turned back into the inline Map it was before (40 targets at
  once, a watched target holding its place), made here from the real ASL and nowhere else (`inline_template`),
  with Plan's start delays as they were for it (`plan.MAP_CONCURRENCY` 40), and the items in the payload, as
  an inline Map needs them (an inline Map takes no ItemReader: `inline_items`).

`bound_s` is what no deployer can beat at ECS's documented rates: a single service's healthy verdict (the
N = 1 push, measured in the same run), plus the seconds ECS's token buckets need to take N
RegisterTaskDefinition and N UpdateService calls (bench.limits; each bucket starts full).
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any, Literal
from unittest import mock

from bench.cases import FANOUT_SERVICES, fanout_scenario
from bench.limits import BUCKETS, against_limits
from bench.measurements import Fanout, Goal
from bench.rows import Record
from bench.systems import pushdeploy_report, quiet
from pushdeploy.models import PlanItem
from pushdeploy.outcome import Outcome
from pushdeploy.steps import plan
from pushdeploy_local.report import Report
from pushdeploy_local.stack.source import REPO_ROOT, source

FanoutSystem = Literal["pushdeploy", "pushdeploy_inline"]
FANOUT_SYSTEMS: tuple[FanoutSystem, ...] = ("pushdeploy", "pushdeploy_inline")
FANOUT_COUNTS = (10, 50, 200)
# The inline Map's most iterations at once, and the MaxConcurrency the ASL had with it.
INLINE_MAP_CONCURRENCY = 40
# Each target's calls that ECS paces: one RegisterTaskDefinition, one UpdateService.
PACED = ("ecs:RegisterTaskDefinition", "ecs:UpdateService")


class FanoutRow(Record):
    """One system's push to `services` services."""

    scenario: Literal["fanout"] = "fanout"
    system: FanoutSystem
    services: int
    last_verdict_s: float | None
    bound_s: float | None
    throttled_calls: int
    max_history_events: int
    transitions: int


def ecs_seconds(services: int) -> float:
    """Seconds ECS's buckets need to take one RegisterTaskDefinition and one UpdateService per service."""
    need = 0.0
    for operation in PACED:
        (bucket,) = [b for b in BUCKETS if b.covers(operation)]
        need = max(need, max(0, services - bucket.burst) / bucket.per_second)
    return need


def bound(single_verdict_s: float | None, services: int) -> float | None:
    return None if single_verdict_s is None else round(single_verdict_s + ecs_seconds(services), 3)


def inline_template() -> dict[str, Any]:
    """template.yaml with its state machine's Deploy Map turned back into an INLINE Map of 40 at once."""
    document = source()
    properties = document["Resources"]["DeployStateMachine"]["Properties"]
    definition = json.loads((REPO_ROOT / properties.pop("DefinitionUri")).read_text())
    deploy = definition["States"]["Deploy"]
    deploy["MaxConcurrency"] = INLINE_MAP_CONCURRENCY
    deploy["ItemProcessor"]["ProcessorConfig"] = {"Mode": "INLINE"}
    # ItemReader is for Distributed Maps only (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html):
    # the inline Map iterates the items the Plan's output carries (`inline_items`).
    del deploy["ItemReader"]
    deploy["ItemsPath"] = "$.items.entries"
    properties["Definition"] = definition
    return document


class _InlineItems(plan.ItemsLocation):
    """Where the items are, and the items themselves, for the inline Map (as the Plan's output held them before)."""

    entries: list[PlanItem]


class _InlinePlanOutput(plan.PlanOutput):
    items: _InlineItems | None = None  # type: ignore[assignment]  # the items' location and the items


@contextlib.contextmanager
def inline_items() -> Iterator[None]:
    """The Plan's output carries its items too (the design the inline Map ran with)."""
    written = plan._written

    def with_entries(items: list[PlanItem], bucket: str, execution: str) -> plan.ItemsLocation:
        return _InlineItems(**written(items, bucket, execution).model_dump(), entries=items)

    with mock.patch.object(plan, "_written", with_entries), mock.patch.object(plan, "PlanOutput", _InlinePlanOutput):
        yield


@contextlib.contextmanager
def _as(system: FanoutSystem) -> Iterator[dict[str, Any] | None]:
    """The template the system runs (None: template.yaml), with Plan's start delays as that Map had them."""
    if system == "pushdeploy":
        yield None
        return
    with mock.patch.object(plan, "MAP_CONCURRENCY", INLINE_MAP_CONCURRENCY), inline_items():
        yield inline_template()


def measure(system: FanoutSystem, services: int) -> tuple[FanoutRow, Fanout]:
    """One push to `services` services on `system`: its row (bound_s left to `rows`) and its detail."""
    scenario = fanout_scenario(services)
    with quiet(), _as(system) as template:
        report, cloud = pushdeploy_report(scenario, watch=False, template=template)
    detail = _detail(scenario.deployer.policy()["watch_seconds"], services, report, cloud)
    row = FanoutRow(
        system=system,
        services=services,
        last_verdict_s=detail.last_verdict_s,
        bound_s=None,
        throttled_calls=sum(b.throttled for b in detail.limits.buckets),
        max_history_events=report.max_history_events,
        transitions=report.cost.state_transitions,
    )
    return row, detail


def rows(measured: list[FanoutRow], single: FanoutRow) -> list[FanoutRow]:
    """The rows with their bound, from the single service's healthy verdict."""
    return [r.model_copy(update={"bound_s": bound(single.last_verdict_s, r.services)}) for r in measured]


def fanout(services: int = FANOUT_SERVICES) -> Fanout:
    """pushdeploy's push to `services` services, in detail (calls per bucket, verdicts by second)."""
    return measure("pushdeploy", services)[1]


def _detail(watch_seconds: int, services: int, report: Report, cloud: Any) -> Fanout:
    (push,) = report.pushes
    verdicts = sorted(t.verdict_at_seconds for t in push.targets if t.verdict_at_seconds is not None)
    outcomes = Counter(Outcome(t.outcome) for t in push.targets)
    return Fanout(
        services=services,
        watch_seconds=watch_seconds,
        outcomes=dict(outcomes),
        first_verdict_s=verdicts[0] if verdicts else None,
        last_verdict_s=verdicts[-1] if verdicts else None,
        verdicts_by_second={f"{at:g}": n for at, n in sorted(Counter(verdicts).items())},
        finished_s=push.finished_at_seconds,
        transitions=report.cost.state_transitions,
        lambda_invocations=report.cost.lambda_invocations,
        usd=round(report.cost.usd, 5),
        api_calls=sum(report.api_calls.values()),
        api_calls_by_operation=dict(sorted(report.api_calls.items())),
        limits=against_limits(cloud.calls),
    )


# The goals of a push to many services (measured by `make bench`).
MAX_BOUND_RATIO = 1.25
HISTORY_MAX_EVENTS = 25_000  # a Standard execution's history (aws-facts.md)


def judge(rows: list[FanoutRow]) -> Goal:
    goal = (
        f"One push to {', '.join(str(c) for c in FANOUT_COUNTS)} services: the last verdict within "
        f"{MAX_BOUND_RATIO}x the bound ECS's rates set, no call throttled, every history under "
        f"{HISTORY_MAX_EVENTS:,} events"
    )
    ours = sorted((r for r in rows if r.system == "pushdeploy"), key=lambda r: r.services)
    if not ours:
        return Goal(goal=goal, met=None, detail="not measured", misses=[])
    misses = []
    for r in ours:
        if r.last_verdict_s is None or r.bound_s is None or r.last_verdict_s > MAX_BOUND_RATIO * r.bound_s:
            misses.append(f"{r.services} services: last verdict {r.last_verdict_s} s, bound {r.bound_s} s")
        if r.throttled_calls:
            misses.append(f"{r.services} services: {r.throttled_calls} calls throttled")
        if r.max_history_events >= HISTORY_MAX_EVENTS:
            misses.append(f"{r.services} services: a history of {r.max_history_events} events")
    detail = "; ".join(
        f"{r.services}: {r.last_verdict_s:g} s of {r.bound_s:g} s, {r.throttled_calls} throttled, "
        f"longest history {r.max_history_events}"
        for r in ours
        if r.last_verdict_s is not None and r.bound_s is not None
    )
    return Goal(goal=goal, met=not misses, detail=detail, misses=misses)


def dump(rows: list[FanoutRow]) -> str:
    """bench/fanout.json's text."""
    return json.dumps([r.model_dump(mode="json") for r in rows], indent=1) + "\n"


def load(text: str) -> list[FanoutRow]:
    return [FanoutRow.model_validate(r) for r in json.loads(text)]
