"""`pushdeploy targets show | validate | apply`: which services follow which images, where hundreds fit.

The targets live in SSM (pushdeploy.adapters.ssm): the stack's own document and one parameter per
target under it. `apply` makes the parameters under it exactly a file's targets; `validate` checks a file
as `apply` would, against the targets document's rules and the account (each service exists, runs a task
definition with the target's container, follows a repository that exists, and watches alarms that exist),
writing nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from botocore.exceptions import ClientError
from pydantic import ValidationError

from pushdeploy import taskdef
from pushdeploy.adapters import cloudwatch, ecs, ssm
from pushdeploy.errors import InvalidRequest
from pushdeploy.models import Target, TargetsConfig
from pushdeploy.requests import describe_validation_error
from pushdeploy.steps.plan import native_problems
from pushdeploy_cli import render
from pushdeploy_cli.connection import Connection, Where, connected, opened

app = typer.Typer(
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Show, check and change the targets: which ECS services follow which ECR repositories and tags.",
)

File = Annotated[
    Path,
    typer.Argument(
        help='A targets file: {"targets": [...]}, as docs/template.md describes.', exists=True, dir_okay=False
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]


@app.command()
@connected
def show(where: Where, as_json: Json = False) -> None:
    """Every target, validated as the Plan step reads them."""
    with opened(where) as connection:
        config = connection.targets()
    if as_json:
        render.print_json(render.console(), config.model_dump(mode="json"))
    else:
        render.print_targets(config, render.console())


@app.command()
@connected
def validate(where: Where, file: File) -> None:
    """Check a targets file as `apply` would, writing nothing. Exit status 0 valid, 2 not (each problem named)."""
    with opened(where) as connection:
        config = _problems_or_config(connection, file)
    render.console().print(f"{file}: {len(config.targets)} target(s), valid", highlight=False)


@app.command()
@connected
def apply(where: Where, file: File, as_json: Json = False) -> None:
    """Make the targets under the targets parameter exactly the file's (the stack's own document stays as it
    is); the file is validated first and nothing is written if it is not valid."""
    with opened(where) as connection:
        config = _problems_or_config(connection, file)
        try:
            applied = ssm.apply_targets(connection.targets_parameter, config, ssm=connection.client("ssm"))
        except InvalidRequest as exc:
            raise typer.BadParameter(str(exc), param_hint="FILE") from exc
    answer = {"written": applied.written, "deleted": applied.deleted, "unchanged": applied.unchanged}
    if as_json:
        render.print_json(render.console(), answer)
        return
    console = render.console()
    for word, names in answer.items():
        for name in names:
            console.print(f"{word:<10} {name}", highlight=False)


def _problems_or_config(connection: Connection, file: Path) -> TargetsConfig:
    try:
        config = TargetsConfig.model_validate_json(file.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise typer.BadParameter(f"{file}: {describe_validation_error(exc)}", param_hint="FILE") from exc
    problems = [f"{t.key}: {problem}" for t in config.targets for problem in _in_the_account(connection, t)]
    if problems:
        raise typer.BadParameter(f"{file}: " + "; ".join(problems), param_hint="FILE")
    return config


def _in_the_account(connection: Connection, target: Target) -> list[str]:
    """What the account says against a target: no such service, container, repository or alarm, or a service
    that cannot run its native strategy."""
    client = connection.client("ecs")
    problems = []
    try:
        service = ecs.describe_service(target.cluster, target.service, ecs=client)
        definition = ecs.describe_task_definition(service["taskDefinition"], ecs=client)
        taskdef.with_image(definition, target.container, "")  # names the containers when it is not one
        problems += native_problems(target, service, None)  # the Plan also checks the stack's hook
    except InvalidRequest as exc:
        problems.append(str(exc))
    try:
        connection.client("ecr").describe_repositories(repositoryNames=[target.repository])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "RepositoryNotFoundException":
            raise
        problems.append(f"no ECR repository {target.repository}")
    missing = cloudwatch.missing_alarms(target.policy.alarms, cloudwatch=connection.client("cloudwatch"))
    problems += [f"no CloudWatch alarm {name} (policy.alarms)" for name in missing]
    return problems
