"""`pushdeploy local ...`: the whole product on the local cloud, offline, in seconds."""

from __future__ import annotations

import contextlib
import enum
import io
import json
import logging
import os
import re
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode="markdown",
    help="Run pushdeploy on the local cloud (moto + the real state machine).",
)

LOCAL_PORT = 5000  # moto's own default; `--local` of the other commands looks here

Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="Also show the handlers' metric lines and moto's execution traces.")
]


class Behavior(enum.StrEnum):
    """How the tasks of a pushed image behave in the ECS model (docs/scenarios.md)."""

    HEALTHY = "healthy"
    CRASH = "crash"
    UNHEALTHY = "unhealthy"
    PULL_ERROR = "pull_error"
    LATE_CRASH = "late_crash"


@app.command("run")
def run_scenario(
    scenario: Annotated[Path, typer.Argument(help="A scenario file (see docs/scenarios.md).", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report on stdout.")] = False,
    verbose: Verbose = False,
) -> None:
    """Run one scenario and report each push's outcome, the final state, alerts, cost and API calls.

    Example: pushdeploy local run scenarios/crash-on-start.json --json
    """
    from pushdeploy_local.runner import run
    from pushdeploy_local.scenario import ScenarioError, load_scenario

    try:
        loaded = load_scenario(scenario)
        with _handlers_to_stderr(verbose):  # stdout is the report's
            report = run(loaded)  # a ScenarioError here: AWS would refuse what the scenario builds
    except ScenarioError as exc:
        Console(stderr=True).print(f"[red]invalid scenario:[/red] {escape(str(exc))}", markup=True, highlight=False)
        raise typer.Exit(2) from exc
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
    {
        "name": "late-crash",
        "pushes": [{"at_seconds": 0, "tag": "v4", "behavior": {"kind": "late_crash", "crash_after_seconds": 120}}],
    },
]


@app.command("demo")
def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Where to draw each deployment (an SVG per execution).", file_okay=False)
    ] = Path("out"),
    verbose: Verbose = False,
) -> None:
    """Deploy a healthy image, then three bad ones, show what pushdeploy did step by step, and draw each one.

    Example: pushdeploy local demo --out out/
    """
    from pushdeploy_cli import picture
    from pushdeploy_cli.render import print_report
    from pushdeploy_cli.story import read_story
    from pushdeploy_local.runner import run_recorded
    from pushdeploy_local.scenario import parse_scenario

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise typer.BadParameter(f"cannot create {out}: {exc.strerror}", param_hint="--out") from exc
    console = Console()
    for scenario in DEMO:
        with _handlers_to_stderr(verbose), _quiet_logs(verbose):
            report, histories = run_recorded(parse_scenario(scenario))
        stories = [read_story(execution, history) for execution, history in histories.items()]
        print_report(report, console, stories)
        for index, story in enumerate(stories):
            suffix = f"-{index + 1}" if len(stories) > 1 else ""
            path = out / f"{report.scenario}{suffix}.svg"
            path.write_text(picture.svg(story), encoding="utf-8")
            console.print(f"  picture: {path}", highlight=False)


@app.command("serve")
def serve(
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="TCP port (0: any free one).")] = (
        LOCAL_PORT
    ),
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            help="Shape the world like this scenario file (services, deployer settings, first image, faults, "
            "alarms); its pushes and its alarms' state changes are not replayed (the alarms stay INSUFFICIENT_DATA).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    speed: Annotated[
        float | None,
        typer.Option(
            "--speed",
            min=0.01,
            help="Virtual seconds per real second while a deployment runs (default: as fast as it can go).",
        ),
    ] = None,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Log each HTTP request, the handlers' logs and metrics, moto's traces."),
    ] = False,
) -> None:
    """Serve the local cloud as an AWS endpoint: the AWS CLI, boto3 and `pushdeploy --local` work against it.

    moto's server runs in-process with the real handlers, the state machine and the ECS/ALB model;
    virtual time moves on its own (a ten-minute rollout takes seconds). Stop it with Ctrl-C.

    Example: pushdeploy local serve --port 5000, then (any credentials: the AWS CLI needs some, the local
    cloud checks none) AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws --endpoint-url http://127.0.0.1:5000
    --region us-east-1 stepfunctions list-state-machines
    """
    from werkzeug.serving import select_address_family

    try:
        listening = socket.create_server((host, port), family=select_address_family(host, port))
    except OSError as exc:  # before the local cloud is imported: a busy port fails at once
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise typer.BadParameter(f"cannot listen on {host}:{port}: {reason}", param_hint="--port") from exc
    from pushdeploy_local.scenario import ScenarioError, load_scenario, parse_scenario
    from pushdeploy_local.server import LocalServer

    try:
        world = load_scenario(scenario) if scenario else parse_scenario({"name": "local-serve", "pushes": []})
    except ScenarioError as exc:
        listening.close()
        raise typer.BadParameter(str(exc), param_hint="--scenario") from exc
    console = Console(stderr=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with contextlib.ExitStack() as stack:
            stack.enter_context(_handlers_to_stderr(verbose))  # stdout: the URL
            stack.enter_context(_quiet_logs(verbose))
            server = stack.enter_context(
                LocalServer(world, host=host, port=port, speed=speed, log_requests=verbose, listening=listening)
            )
            _announce(server, console)
            while server.driver_error is None:
                time.sleep(0.2)
            console.print(f"[red]the virtual clock stopped:[/red] {escape(repr(server.driver_error))}")
            raise typer.Exit(1)
    except ScenarioError as exc:  # AWS would refuse what the scenario builds (SSM's value limit, say)
        raise typer.BadParameter(str(exc), param_hint="--scenario") from exc
    except KeyboardInterrupt:
        console.print("stopped")


def _announce(server: Any, console: Console) -> None:
    stdout = sys.__stdout__ or sys.stdout  # the real stdout: sys.stdout goes to stderr while serving
    stdout.write(f"{server.url}\n")  # the first line on stdout: where to connect
    stdout.flush()
    health = server.health()
    console.print(
        f"local cloud on [bold]{server.url}[/bold]  region {health['region']}  "
        f"state machine {health['state_machine']}\n"
        f"  pushdeploy status --endpoint-url {server.url}\n"
        f"  pushdeploy local push --endpoint-url {server.url} --tag v2 --behavior crash --follow",
        highlight=False,
    )


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@app.command("push")
def push(
    tag: Annotated[
        str, typer.Option("--tag", "-t", help="The tag of the pushed image.", show_default=False, callback=_tag)
    ],
    behavior: Annotated[
        Behavior, typer.Option("--behavior", "-b", help="How the image's tasks behave.", case_sensitive=False)
    ] = Behavior.HEALTHY,
    repository: Annotated[str | None, typer.Option("--repository", help="ECR repository (default: the service's).")] = (
        None
    ),
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Follow the execution the push starts.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print what happened as JSON on stdout.")] = False,
    port: Annotated[
        int, typer.Option("--port", "-p", min=1, max=65535, help="The port of `local serve`.")
    ] = LOCAL_PORT,
    endpoint_url: Annotated[
        str | None,
        typer.Option("--endpoint-url", envvar="PUSHDEPLOY_ENDPOINT_URL", help="The URL of `local serve`."),
    ] = None,
) -> None:
    """Simulate `docker push` into the local cloud: the image lands in ECR and its push event reaches the Trigger.

    Exit status with --follow: 0 deployed, 1 rolled back or failed.

    Example: pushdeploy local push --tag v2 --behavior crash --follow
    """
    url = endpoint_url or f"http://127.0.0.1:{port}"
    body = json.dumps({"tag": tag, "behavior": {"kind": behavior.value}, "repository": repository})
    answer = _post(url, "/_pushdeploy/push", body, "--tag")
    from pushdeploy_cli import render

    console = render.console(stderr=as_json)
    console.print(
        f"pushed {answer['repository']}:{answer['tag']} ({answer['digest'][:19]}…): trigger {answer['outcome']}"
        + (f", {answer['reason']}" if answer.get("reason") else ""),
        highlight=False,
    )
    from pushdeploy_cli import deployer
    from pushdeploy_cli.connection import Where, opened

    where = Where(endpoint_url=url)
    if not follow or not answer.get("execution"):
        if as_json:
            render.print_json(render.console(), answer)
        elif answer.get("execution"):
            render.print_explain_hint(answer["execution"].rsplit(":", 1)[-1], console, where)
        return
    with opened(where) as connection, render.Progress(console) as progress:
        story = deployer.follow(connection, answer["execution"], progress.update, 0.2)
    render.print_outcome(story, console, where)
    if as_json:
        render.print_json(render.console(), story.model_dump(mode="json"))
    raise typer.Exit(0 if story.ok else 1)


def _tag(value: str) -> str:
    from pushdeploy.models import TAG_PATTERN

    if not re.fullmatch(TAG_PATTERN, value):
        raise typer.BadParameter(f"{value!r} is not an image tag")
    return value


def _post(url: str, path: str, body: str, option: str) -> dict[str, Any]:
    request = urllib.request.Request(
        url + path, data=body.encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return dict(json.loads(response.read()))
    except urllib.error.HTTPError as exc:
        detail = json.loads(exc.read() or b"{}").get("error", exc.reason)
        raise typer.BadParameter(str(detail), param_hint=option) from exc
    except (urllib.error.URLError, OSError) as exc:
        Console(stderr=True).print(f"[red]error:[/red] cannot reach {url}: is `pushdeploy local serve` running?")
        raise typer.Exit(1) from exc


@contextlib.contextmanager
def _handlers_to_stderr(verbose: bool) -> Iterator[None]:
    """What the handlers print goes to stderr (stdout is the command's). Unless `verbose`, without what reads
    like a crash and is none: moto's trace of each execution that fails (ERROR, with the whole parse tree; the
    execution's story tells it better) and the EMF metric lines meant for CloudWatch."""
    moto = logging.getLogger("moto.stepfunctions.parser")
    level = moto.level
    if not verbose:
        moto.setLevel(logging.CRITICAL)
    try:
        with contextlib.redirect_stdout(sys.stderr if verbose else _WithoutMetrics(sys.stderr)):
            yield
    finally:
        moto.setLevel(level)


class _WithoutMetrics(io.TextIOBase):
    """A text stream onto `target` that leaves out CloudWatch's embedded-metric lines (`{"_aws": ...}`)."""

    def __init__(self, target: TextIO) -> None:
        self._target = target
        self._partial = ""

    def write(self, text: str) -> int:
        *lines, self._partial = (self._partial + text).split("\n")
        self._target.write("".join(f"{line}\n" for line in lines if not line.startswith('{"_aws"')))
        return len(text)

    def flush(self) -> None:
        self._target.flush()


@contextlib.contextmanager
def _quiet_logs(verbose: bool) -> Iterator[None]:
    """The handlers' JSON logs are for CloudWatch; the demo and `serve` show the story instead."""
    if verbose:
        yield
        return
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
