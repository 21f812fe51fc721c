"""Whole-product runs: a scenario on the local cloud (the real ASL, the real handlers, the ECS/ALB model)."""

from __future__ import annotations

from typing import Any

from pushdeploy_local import runner
from pushdeploy_local.report import Report
from pushdeploy_local.scenario import load_scenario, parse_scenario
from tests.conftest import REPO

WRITES = ("ecs:RegisterTaskDefinition", "ecs:UpdateService", "dynamodb:PutItem", "dynamodb:DeleteItem")


def run(name: str, pushes: list[dict[str, Any]], **fields: Any) -> Report:
    return runner.run(parse_scenario({"name": name, "pushes": pushes, **fields}))


def writes(report: Report) -> dict[str, int]:
    return {call: count for call, count in report.api_calls.items() if call in WRITES}


def example(name: str) -> Report:
    """The report of the example file `scenarios/<name>.json`."""
    return runner.run(load_scenario(REPO / "scenarios" / f"{name}.json"))
