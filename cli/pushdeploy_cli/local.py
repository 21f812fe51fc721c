"""`pushdeploy local ...`: the whole product on the local cloud, offline, in seconds."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True, help="Run pushdeploy on the local cloud (moto + the real state machine).")


@app.command("run")
def run_scenario(
    scenario: Annotated[Path, typer.Argument(help="A scenario file (see docs/scenarios.md).", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report on stdout.")] = False,
) -> None:
    """Run one scenario and report each push's outcome, the final state, alerts, cost and API calls.

    Example: pushdeploy local run scenarios/crash-on-start.json --json
    """
    from pushdeploy_local.runner import run
    from pushdeploy_local.scenario import ScenarioError, load_scenario

    try:
        loaded = load_scenario(scenario)
    except ScenarioError as exc:
        Console(stderr=True).print(f"[red]invalid scenario:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from exc
    with contextlib.redirect_stdout(sys.stderr):  # handler logs go to stderr; stdout is the report's
        report = run(loaded)
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        from pushdeploy_cli.render import print_report

        print_report(report, Console())
