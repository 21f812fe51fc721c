"""`pushdeploy`: operate the deployer (deploy, rollback, approve, status, history, explain), and run it locally.

Exit status: 0 done (deployed), 1 rolled back, failed or AWS trouble, 2 bad input (the message names
the option or argument).
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pushdeploy.models import DIGEST_PATTERN, NAME_PATTERN, REPOSITORY_PATTERN, TAG_PATTERN
from pushdeploy.outcome import Outcome
from pushdeploy.requests import ROLLBACK_TO_PATTERN  # the console input's own: the CLI refuses what Plan would
from pushdeploy.steps.approval import Decision
from pushdeploy_cli import deployer, local, render, targets
from pushdeploy_cli.connection import Connection, Where, connected, opened
from pushdeploy_cli.story import Story

app = typer.Typer(
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},  # the subcommands' contexts inherit it
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",
    help="Deploy images to Amazon ECS on push, prove them healthy, roll back with evidence.",
    epilog="Every command works against AWS (boto3's credentials, --region, --stack) or the local cloud (--local).",
)
app.add_typer(local.app, name="local")
app.add_typer(targets.app, name="targets")


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"pushdeploy {importlib.metadata.version('pushdeploy')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    pass


LOCAL_POLL_SECONDS = 0.2
AWS_POLL_SECONDS = 5.0


def _matching(pattern: str, what: str) -> Callable[[str | None], str | None]:
    """A typer callback: the value must match `pattern` (the same pattern the state machine's input uses)."""

    def check(value: str | None) -> str | None:
        if value is not None and not re.fullmatch(pattern, value):
            raise typer.BadParameter(f"{value!r} is not {what}")
        return value

    return check


Service = Annotated[
    str,
    typer.Option(
        "--service",
        "-s",
        help="The ECS service (as the targets document names it).",
        callback=_matching(NAME_PATTERN, "an ECS service name"),
        show_default=False,
    ),
]
AnyService = Annotated[
    str | None,
    typer.Option(
        "--service",
        "-s",
        help="Only this service.",
        callback=_matching(NAME_PATTERN, "an ECS service name"),
        show_default=False,
    ),
]
Cluster = Annotated[
    str | None,
    typer.Option("--cluster", help="The cluster, when two clusters have a service of that name.", show_default=False),
]
ImageTag = Annotated[
    str | None,
    typer.Option(
        "--tag", "-t", help="The image tag (resolved to its digest now).", callback=_matching(TAG_PATTERN, "a tag")
    ),
]
ImageDigest = Annotated[
    str | None,
    typer.Option(
        "--digest", help="The image digest (sha256:...).", callback=_matching(DIGEST_PATTERN, "an image digest")
    ),
]
Follow = Annotated[bool, typer.Option("--follow", "-f", help="Show live progress until the execution ends.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]


def _follow_to_the_end(connection: Connection, where: Where, execution: str, as_json: bool) -> Story:
    console = render.console(stderr=as_json)
    poll = _poll_seconds(connection)
    with render.Progress(console) as progress:
        story = deployer.follow(connection, execution, progress.update, poll)
    render.print_outcome(story, console, where)
    return story


def _poll_seconds(connection: Connection) -> float:
    return LOCAL_POLL_SECONDS if connection.is_local else AWS_POLL_SECONDS


def _one_image(tag: str | None, digest: str | None) -> None:
    if (tag is None) == (digest is None):
        raise typer.BadParameter("give the image as --tag or as --digest (one of them)", param_hint="--tag")


def _exit_status(story: Story) -> int:
    if story.ok:
        return 0
    return 2 if story.outcome == Outcome.REJECTED else 1


@app.command()
@connected
def deploy(
    where: Where,
    service: Service,
    tag: ImageTag = None,
    digest: ImageDigest = None,
    cluster: Cluster = None,
    follow: Follow = False,
    as_json: Json = False,
) -> None:
    """Deploy an image to a service: a new deployment each time, even of an image it ran before.

    With --follow, shows each target's progress (registering, rolling out 2/3 tasks healthy, baking,
    rolling back) until the end. Exit status: 0 deployed, 1 rolled back or failed, 2 bad input.

    Example: pushdeploy deploy --service aiuteur-backend-service --tag v1.4.2 --follow
    """
    _one_image(tag, digest)
    with opened(where) as connection:
        started = deployer.start_deploy(connection, service, tag, digest, cluster)
        _report_start(connection, where, started, follow, as_json)


@app.command()
@connected
def plan(
    where: Where,
    service: AnyService = None,
    repository: Annotated[
        str | None,
        typer.Option(
            "--repository",
            "-r",
            help="Plan as a push to this repository would: every target that follows it and watches the tag.",
            callback=_matching(REPOSITORY_PATTERN, "an ECR repository name"),
            show_default=False,
        ),
    ] = None,
    tag: ImageTag = None,
    digest: ImageDigest = None,
    cluster: Cluster = None,
    as_json: Json = False,
) -> None:
    """What a deployment would do, changing nothing: the targets it would feed, the image by digest, the
    task definition it would register (only the image changes), a revision edited since outside pushdeploy,
    the version a rollback would return to and whether its image is still in ECR, and each lock.

    It runs the deployer's own Plan step as a dry-run execution (input `"dry_run": true`): the answer is
    the one a deployment would act on. Exit status: 0 planned (warnings included), 2 refused.

    Example: pushdeploy plan --service aiuteur-backend-service --tag v1.4.2
    """
    if (service is None) == (repository is None):
        raise typer.BadParameter(
            "give the targets as --service or as --repository (one of them)", param_hint="--service"
        )
    _one_image(tag, digest)
    with opened(where) as connection:
        started = deployer.start_plan(connection, service, repository, tag, digest, cluster)
        poll = _poll_seconds(connection)
        summary, answer = deployer.planned(connection, started.execution, poll)
    if as_json:
        render.print_json(
            render.console(), answer.model_dump(mode="json") if answer else summary.model_dump(mode="json")
        )
    else:
        render.print_plan(summary, answer, render.console())
    if answer is None:
        raise typer.Exit(2 if summary.outcome == Outcome.REJECTED else 1)


@app.command()
@connected
def rollback(
    where: Where,
    service: Service,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="The revision to go back to: 12, family:12 or a task definition ARN (default: the previous).",
            callback=_matching(ROLLBACK_TO_PATTERN, "a revision, family:revision or task definition ARN"),
            show_default=False,
        ),
    ] = None,
    cluster: Cluster = None,
    follow: Follow = False,
    as_json: Json = False,
) -> None:
    """Put a service back on an earlier task definition, and prove it healthy like a deployment.

    Example: pushdeploy rollback --service aiuteur-backend-service --to 12 --follow
    """
    with opened(where) as connection:
        started = deployer.start_rollback(connection, service, to, cluster)
        _report_start(connection, where, started, follow, as_json)


def _report_start(connection: Connection, where: Where, started: deployer.Started, follow: bool, as_json: bool) -> None:
    console = render.console(stderr=as_json)
    render.print_started(started, console)
    if not follow:
        if as_json:
            answer = {"execution": started.execution, "name": started.name}
            render.print_json(render.console(), answer)
        else:
            render.print_explain_hint(started.name, console, where)
        return
    story = _follow_to_the_end(connection, where, started.execution, as_json)
    if as_json:
        render.print_json(render.console(), story.model_dump(mode="json"))
    raise typer.Exit(_exit_status(story))


@app.command()
@connected
def status(
    where: Where,
    service: AnyService = None,
    as_json: Json = False,
) -> None:
    """What each target runs now: task definition, image digest and tag, since when, tasks, last outcome.

    Example: pushdeploy status --service aiuteur-backend-service
    """
    with opened(where) as connection:
        targets = deployer.status(connection, service)
    if as_json:
        render.print_json(render.console(), [t.model_dump(mode="json") for t in targets])
    else:
        render.print_status(targets, render.console())


@app.command()
@connected
def history(
    where: Where,
    service: AnyService = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=deployer.SCAN_LIMIT, help="How many.")] = 20,
    as_json: Json = False,
) -> None:
    """Past executions, newest first: outcome, service, image, duration and reason.

    Example: pushdeploy history --service aiuteur-backend-service --limit 5
    """
    with opened(where) as connection:
        summaries = []
        for summary in deployer.executions(connection, service):
            summaries.append(summary)
            if len(summaries) == limit:
                break
    if as_json:
        render.print_json(render.console(), [s.model_dump(mode="json") for s in summaries])
    else:
        render.print_history(summaries, render.console())


@app.command()
@connected
def explain(
    where: Where,
    execution: Annotated[
        str, typer.Argument(help="An execution name (see `history`) or ARN.", show_default=False, metavar="EXECUTION")
    ],
    as_json: Json = False,
    svg: Annotated[
        Path | None, typer.Option("--svg", help="Also draw the deployment into this SVG file.", dir_okay=False)
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a page with the drawing and the probes.", dir_okay=False)
    ] = None,
) -> None:
    """The story of one execution: each step, each probe, the verdict and the evidence it rests on.

    Example: pushdeploy explain aiuteur-backend-v2-df3e634239599cdb --svg rollout.svg
    """
    with opened(where) as connection:
        story = deployer.story(connection, execution)
    _draw(story, svg, html)
    if as_json:
        render.print_json(render.console(), story.model_dump(mode="json"))
    else:
        render.print_story(story, render.console())


@app.command()
@connected
def logs(
    where: Where,
    execution: Annotated[
        str, typer.Argument(help="An execution name (see `history`) or ARN.", show_default=False, metavar="EXECUTION")
    ],
    lines: Annotated[int, typer.Option("--lines", "-n", min=1, max=10_000, help="Lines per task, the last ones.")] = 20,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="While the execution runs, show each task as it fails.")
    ] = False,
    as_json: Json = False,
) -> None:
    """The failed tasks of an execution: each one's stopped reason and exit code, and the last lines of its
    log stream (the awslogs driver's group and stream that the task definition names).

    Example: pushdeploy logs aiuteur-backend-v2-df3e634239599cdb --lines 50
    """
    with opened(where) as connection:
        console = render.console()
        poll = _poll_seconds(connection)
        shown: set[str] = set()  # task ids printed already (--follow prints each failed task once)
        while True:
            story = deployer.story(connection, execution)
            running = follow and story.status == "RUNNING"
            if as_json and not running:
                render.print_json(
                    console, [log.model_dump(mode="json") for log in deployer.task_logs(connection, story, lines)]
                )
                return
            if not as_json:
                new = [log for log in deployer.task_logs(connection, story, lines) if log.task.task_id not in shown]
                if new or (not running and not shown):
                    render.print_task_logs(new, console)
                shown.update(log.task.task_id for log in new)
                if not running:
                    return
            time.sleep(poll)


Waiting = Annotated[
    str,
    typer.Argument(
        help="The execution that waits: a push's (name or ARN; every service of it that waits) or one service's "
        "own execution (its ARN, as the approval alert and `explain` name it).",
        show_default=False,
        metavar="EXECUTION",
    ),
]


@app.command()
@connected
def approve(where: Where, execution: Waiting, as_json: Json = False) -> None:
    """Approve a deployment that waits for approval: it goes on to UpdateService.

    Example: pushdeploy approve aiuteur-backend-v2-df3e634239599cdb
    """
    _answer(where, execution, "approve", as_json)


@app.command()
@connected
def abort(where: Where, execution: Waiting, as_json: Json = False) -> None:
    """Abort a deployment that waits for approval: nothing is deployed, the lock is released, and the alert
    says who aborted it.

    Example: pushdeploy abort aiuteur-backend-v2-df3e634239599cdb
    """
    _answer(where, execution, "abort", as_json)


def _answer(where: Where, execution: str, decision: Decision, as_json: bool) -> None:
    with opened(where) as connection:
        answers = deployer.answer_approval(connection, execution, decision)
    if as_json:
        render.print_json(render.console(), [dataclasses.asdict(a) for a in answers])
    else:
        render.print_answers(answers, render.console())
    if not all(a.done for a in answers):
        raise typer.Exit(1)


def _draw(story: Story, svg: Path | None, html: Path | None) -> None:
    from pushdeploy_cli import picture

    for option, path, draw in (("--svg", svg, picture.svg), ("--html", html, picture.html)):
        if path is None:
            continue
        try:
            path.write_text(draw(story), encoding="utf-8")
        except OSError as exc:
            raise typer.BadParameter(f"cannot write {path}: {exc.strerror}", param_hint=option) from exc
        Console(stderr=True).print(f"drew {path}", highlight=False)
