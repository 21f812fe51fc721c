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


DEMO = [
    {"name": "healthy-deploy", "pushes": [{"at_seconds": 0, "tag": "v2"}]},
    {
        "name": "crash-on-start",
        "service": {"desired_count": 2},
        "pushes": [{"at_seconds": 0, "tag": "v2", "behavior": {"kind": "crash", "exit_code": 1}}],
    },
    {"name": "alb-unhealthy", "pushes": [{"at_seconds": 0, "tag": "v3", "behavior": {"kind": "unhealthy"}}]},
]


@app.command("demo")
def demo() -> None:
    """Deploy a healthy image, then two bad ones, and show what pushdeploy did, step by step.

    Example: pushdeploy local demo
    """
    from pushdeploy_cli.render import print_report
    from pushdeploy_local.runner import run_recorded
    from pushdeploy_local.scenario import parse_scenario

    console = Console()
    for scenario in DEMO:
        with contextlib.redirect_stdout(sys.stderr), _quiet_logs():
            report, histories = run_recorded(parse_scenario(scenario))
        print_report(report, console, histories)


@contextlib.contextmanager
def _quiet_logs():  # type: ignore[no-untyped-def]
    """The handlers' JSON logs are for CloudWatch; the demo shows the timeline instead."""
    import logging
    import os

    saved = os.environ.get("POWERTOOLS_LOG_LEVEL")
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)
        if saved is None:
            os.environ.pop("POWERTOOLS_LOG_LEVEL", None)
        else:
            os.environ["POWERTOOLS_LOG_LEVEL"] = saved
