"""What people read in a terminal: a scenario report and the timeline of its executions."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pushdeploy_cli.timeline import timeline
from pushdeploy_local.cloud import EPOCH
from pushdeploy_local.report import Report

COLOURS = {"deployed": "green", "rolled_back": "yellow", "rollback_failed": "red", "rejected": "red"}


def print_report(report: Report, console: Console, histories: dict[str, list[dict[str, Any]]] | None = None) -> None:
    console.rule(f"[bold]{report.scenario}")
    for history in (histories or {}).values():
        for entry in timeline(history):
            seconds = int((entry.at - EPOCH).total_seconds())
            console.print(
                f"  t+{seconds:>4}s  {entry.service:<26} {entry.step:<13} {escape(entry.text)}", highlight=False
            )
    table = Table("push", "outcome", "verdict", "done", "reason", box=None, pad_edge=False)
    for push in report.pushes:
        colour = COLOURS.get(push.outcome, "white")
        table.add_row(
            push.tag or "-",
            f"[{colour}]{push.outcome}[/{colour}]",
            _seconds(push.verdict_at_seconds),
            _seconds(push.finished_at_seconds),
            escape(push.reason),
        )
    console.print(table)
    for state in report.services:
        health = "[green]healthy[/green]" if state.healthy else "[red]NOT healthy[/red]"
        console.print(
            f"  now: {state.service} runs {state.tag} ({state.image.rsplit('@', 1)[-1][:19]}…), "
            f"{state.running} task(s), {health}"
        )
    for alert in report.alerts:
        console.print(f"  alert at t+{int(alert.at_seconds)}s: [bold]{escape(alert.subject)}[/bold]", highlight=False)
    cost = report.cost
    console.print(
        f"  cost: {cost.state_transitions} transitions, {cost.lambda_invocations} Lambda invocations, "
        f"${cost.usd:.6f}; {sum(report.api_calls.values())} AWS API calls",
        highlight=False,
    )


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{int(value)} s"
