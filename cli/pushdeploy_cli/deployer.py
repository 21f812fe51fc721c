"""What the commands ask of the deployer: start a deployment or a rollback, read executions and services.

Each function takes a `Connection` and talks to Step Functions, ECS, ECR and SSM through boto3, so it
works the same against AWS and against `pushdeploy local serve`. A problem with the user's input is a
`typer.BadParameter` naming the option (exit 2); anything else AWS says is left to `aws_errors`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import typer
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from pushdeploy.adapters import dynamodb, stepfunctions
from pushdeploy.models import StoppedTask, Target, family_of, is_own_tag, safe_execution_name
from pushdeploy.steps import approval
from pushdeploy.steps.plan import PlanOutput, known_rollback_destination, rollback_destination
from pushdeploy_cli.connection import CliError, Connection
from pushdeploy_cli.story import Story, Summary, read_story, revision, summarize, summarize_story

SCAN_LIMIT = 200  # the most executions `history --service` and `status` look through


@dataclass(frozen=True)
class Started:
    execution: str
    name: str
    input: dict[str, Any]


# -- starting ----------------------------------------------------------------------------------------


def find_target(connection: Connection, service: str, cluster: str | None) -> Target:
    config = connection.targets()
    found = [t for t in config.targets if t.service == service and cluster in (None, t.cluster)]
    if not found:
        known = ", ".join(sorted(t.key for t in config.targets))
        where = f" in cluster {cluster!r}" if cluster else ""
        raise typer.BadParameter(
            f"no target names service {service!r}{where} (the targets are: {known})", param_hint="--service"
        )
    return found[0]


def resolve_digest(connection: Connection, repository: str, tag: str | None, digest: str | None) -> str:
    """The digest an image tag names now, or check that a digest is in the repository."""
    image_id = {"imageDigest": digest} if digest else {"imageTag": tag}
    try:
        images = connection.client("ecr").describe_images(repositoryName=repository, imageIds=[image_id])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("ImageNotFoundException", "RepositoryNotFoundException"):
            option, value = ("--digest", digest) if digest else ("--tag", tag)
            raise typer.BadParameter(f"{repository} has no image {value}", param_hint=option) from exc
        raise
    return str(images["imageDetails"][0]["imageDigest"])


def start_deploy(
    connection: Connection, service: str, tag: str | None, digest: str | None, cluster: str | None
) -> Started:
    """Deploy an image to one service: a new execution each time, even of an image deployed before."""
    target = find_target(connection, service, cluster)
    resolved = resolve_digest(connection, target.repository, tag, digest)
    document: dict[str, Any] = {"service": service, "digest": resolved}
    if tag:
        document["tag"] = tag
    if cluster:
        document["cluster"] = cluster
    image = tag or resolved.removeprefix("sha256:")[:16]
    return _start(connection, safe_execution_name("deploy", service, image, unique=_now()), document)


def start_rollback(connection: Connection, service: str, to: str | None, cluster: str | None) -> Started:
    target = find_target(connection, service, cluster)
    if to is not None:
        _check_rollback_destination(connection, target, to)
    document: dict[str, Any] = {"action": "rollback", "service": service}
    if to:
        document["to"] = to
    if cluster:
        document["cluster"] = cluster
    return _start(connection, safe_execution_name("rollback", service, to or "previous", unique=_now()), document)


def start_plan(
    connection: Connection,
    service: str | None,
    repository: str | None,
    tag: str | None,
    digest: str | None,
    cluster: str | None,
) -> Started:
    """A dry-run execution: the Plan step says what the deployment would do, and no target goes on. With a
    repository and a tag, the targets are those a push of that tag would feed."""
    if service is not None:
        find_target(connection, service, cluster)  # an unknown service is named now, not by the execution
    document: dict[str, Any] = {"dry_run": True}
    document.update({k: v for k, v in (("service", service), ("repository", repository), ("cluster", cluster)) if v})
    document.update({k: v for k, v in (("tag", tag), ("digest", digest)) if v})
    image = tag or (digest or "").removeprefix("sha256:")[:16]
    return _start(connection, safe_execution_name("plan", service or repository or "", image, unique=_now()), document)


def planned(connection: Connection, execution: str, poll_seconds: float) -> tuple[Summary, PlanOutput | None]:
    """Wait for a dry-run execution to end; its summary, and the Plan's answer when it gave one."""
    sfn = connection.client("stepfunctions")
    while True:
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            break
        time.sleep(poll_seconds)
    summary = summarize(described)
    output = PlanOutput.model_validate_json(described["output"]) if described.get("output") else None
    return summary, output if output is not None and output.action == "dry_run" else None


def _check_rollback_destination(connection: Connection, target: Target, to: str) -> None:
    """Refuse now a `to` that names no task definition of the service's family (the Plan step would, later)."""
    running = _service(connection, target)["taskDefinition"]
    family = family_of(running)
    try:
        found = connection.client("ecs").describe_task_definition(taskDefinition=rollback_destination(to, running, ()))[
            "taskDefinition"
        ]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("ClientException", "InvalidParameterException"):
            raise
        raise typer.BadParameter(f"{family} has no task definition {to!r}", param_hint="--to") from exc
    if found["family"] != family:
        raise typer.BadParameter(
            f"{to!r} is a task definition of {found['family']!r}; {target.service} runs {family!r}", param_hint="--to"
        )


def _now() -> str:
    """What tells two executions the CLI starts apart: the moment, to the millisecond (UTC)."""
    now = datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}"


def _start(connection: Connection, name: str, document: dict[str, Any]) -> Started:
    answer = connection.client("stepfunctions").start_execution(
        stateMachineArn=connection.state_machine, name=name, input=json.dumps(document)
    )
    return Started(str(answer["executionArn"]), name, document)


# -- approvals ---------------------------------------------------------------------------------------


def answer_approval(connection: Connection, name_or_arn: str, decision: approval.Decision) -> list[approval.Answer]:
    """Approve or abort what an execution waits for: the push's execution answers each of its targets that
    waits, a target's own (child) execution that one. An execution that waits for nothing is named, and
    nothing changes."""
    table = connection.lock_table
    if table is None:
        raise CliError("the stack has no LockTableName output, where waiting approvals are recorded: update it")
    execution = connection.execution_arn(name_or_arn)
    sfn = connection.client("stepfunctions")
    answers = approval.answer(
        table, execution, decision, caller(connection), dynamodb_client=connection.client("dynamodb"), sfn=sfn
    )
    if answers:
        return answers
    status = stepfunctions.execution_status(execution, sfn=sfn)
    if status == "NOT_FOUND":
        raise typer.BadParameter(
            f"no execution {name_or_arn!r} of {revision(connection.state_machine)}", param_hint="EXECUTION"
        )
    state = "still runs" if status == "RUNNING" else f"has ended ({status})"
    raise typer.BadParameter(
        f"{name_or_arn!r} waits for no approval: it {state}, and no deployment of it waits "
        "(approved, aborted or timed out already, or its targets do not ask for approval)",
        param_hint="EXECUTION",
    )


def caller(connection: Connection) -> str:
    """Who answers, as AWS knows the credentials (sts:GetCallerIdentity needs no permission)."""
    try:
        return str(connection.client("sts").get_caller_identity()["Arn"])
    except (ClientError, BotoCoreError):
        return "an unknown caller (sts:GetCallerIdentity failed)"


# -- reading executions ------------------------------------------------------------------------------


def history_events(connection: Connection, execution: str) -> list[dict[str, Any]]:
    """The execution's history with its Distributed Map's child executions (one per target) in place."""
    return stepfunctions.execution_history(execution, sfn=connection.client("stepfunctions"))


def story(connection: Connection, name_or_arn: str) -> Story:
    execution = connection.execution_arn(name_or_arn)
    try:
        events = history_events(connection, execution)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("ExecutionDoesNotExist", "InvalidArn"):
            raise typer.BadParameter(
                f"no execution {name_or_arn!r} of {revision(connection.state_machine)}", param_hint="EXECUTION"
            ) from exc
        raise
    if not events:  # just started: the history is not written yet
        described = connection.client("stepfunctions").describe_execution(executionArn=execution)
        return read_story(execution, events, described)
    return read_story(execution, events)


def follow(
    connection: Connection,
    execution: str,
    on_change: Callable[[Story], None],
    poll_seconds: float,
    timeout_seconds: float | None = None,
) -> Story:
    """Read the execution's story every `poll_seconds` until it ends; `on_change` sees each new one."""
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    last: str | None = None
    while True:
        current = story(connection, execution)
        fingerprint = current.model_dump_json()
        if fingerprint != last:
            on_change(current)
            last = fingerprint
        if current.status != "RUNNING":
            return current
        if deadline is not None and time.monotonic() > deadline:
            return current
        time.sleep(poll_seconds)


def executions(connection: Connection, service: str | None = None) -> Iterator[Summary]:
    """Executions newest first (at most SCAN_LIMIT looked at), those that name `service` if given."""
    sfn = connection.client("stepfunctions")
    pages = sfn.get_paginator("list_executions").paginate(
        stateMachineArn=connection.state_machine, PaginationConfig={"MaxItems": SCAN_LIMIT, "PageSize": 100}
    )
    for page in pages:
        for listed in page["executions"]:
            if listed["status"] == "RUNNING":
                summary = summarize_story(story(connection, listed["executionArn"]))
            else:
                execution = listed["executionArn"]
                children = stepfunctions.child_executions(execution, sfn=sfn)
                summary = summarize(sfn.describe_execution(executionArn=execution), children)
            if service is None or summary.names(service):
                yield summary


# -- what runs where ---------------------------------------------------------------------------------


class TargetStatus(BaseModel):
    service: str
    container: str
    task_definition: str
    image: str
    digest: str | None
    tags: list[str]
    since: datetime | None
    desired: int
    running: int
    rollout_state: str | None
    deployments: int
    rollback_to: str | None = None  # what `rollback` without --to returns to: None when nothing is known
    last: Summary | None = None


def status(connection: Connection, service: str | None) -> list[TargetStatus]:
    config = connection.targets()
    targets = [t for t in config.targets if service is None or t.service == service]
    if service is not None and not targets:
        known = ", ".join(sorted(t.key for t in config.targets))
        raise typer.BadParameter(
            f"no target names service {service!r} (the targets are: {known})", param_hint="--service"
        )
    ecs = connection.client("ecs")
    answers = []
    recent = executions(connection)
    seen: list[Summary] = []
    for target in targets:
        svc = _service(connection, target)
        definition = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
        image = next(
            (c["image"] for c in definition["containerDefinitions"] if c["name"] == target.container), "(no container)"
        )
        digest = image.rsplit("@", 1)[1] if "@" in image else None
        primary: dict[str, Any] = next((d for d in svc.get("deployments", []) if d.get("status") == "PRIMARY"), {})
        answers.append(
            TargetStatus(
                service=target.key,
                container=target.container,
                task_definition=svc["taskDefinition"],
                image=image,
                digest=digest,
                tags=_tags(connection, target.repository, digest),
                since=primary.get("createdAt"),
                desired=svc.get("desiredCount", 0),
                running=svc.get("runningCount", 0),
                rollout_state=primary.get("rolloutState"),
                deployments=len(svc.get("deployments", [])),
                rollback_to=_rollback_to(connection, target, svc["taskDefinition"]),
                last=_last_for(target.key, recent, seen),
            )
        )
    return answers


def _service(connection: Connection, target: Target) -> dict[str, Any]:
    found = connection.client("ecs").describe_services(cluster=target.cluster, services=[target.service])["services"]
    if not found:
        raise CliError(f"the targets document names {target.key}, but ECS has no such service")
    return dict(found[0])


def _rollback_to(connection: Connection, target: Target, running: str) -> str | None:
    """The newest task definition verified healthy on the service that it does not run now, as the Plan step
    picks it for a rollback without `to` (None when the lock table is unknown or names none)."""
    if connection.lock_table is None:
        return None
    good = dynamodb.read(connection.lock_table, target.key, dynamodb=connection.client("dynamodb")).good
    return known_rollback_destination(running, good)


def _last_for(key: str, recent: Iterator[Summary], seen: list[Summary]) -> Summary | None:
    """The newest execution that names `key`, reading `recent` only as far as needed."""
    for summary in seen:
        if summary.names(key):
            return summary
    for summary in recent:
        seen.append(summary)
        if summary.names(key):
            return summary
    return None


def _tags(connection: Connection, repository: str, digest: str | None) -> list[str]:
    if digest is None:
        return []
    try:
        images = connection.client("ecr").describe_images(repositoryName=repository, imageIds=[{"imageDigest": digest}])
    except ClientError:
        return []  # the image was deleted from ECR: the service still runs it, by digest
    return sorted(t for t in images["imageDetails"][0].get("imageTags", []) if not is_own_tag(t))


# -- the failed tasks' logs --------------------------------------------------------------------------


class TaskLog(BaseModel):
    """One failed task of an execution: why it stopped, and the last lines its container wrote."""

    service: str
    task: StoppedTask
    group: str | None  # None when the task definition logs nowhere pushdeploy can read (no awslogs driver)
    stream: str | None
    lines: list[str]
    missing: str | None = None  # why there are no lines (no stream: the container never started, say)


def task_logs(connection: Connection, story: Story, lines: int) -> list[TaskLog]:
    """The last `lines` lines of each failed task's log stream, for every target of the execution."""
    found = []
    for target in story.targets:
        for task in target.failed_tasks:
            if target.logs is None:
                found.append(
                    TaskLog(
                        service=target.service,
                        task=task,
                        group=None,
                        stream=None,
                        lines=[],
                        missing="its task definition has no awslogs log configuration",
                    )
                )
                continue
            stream = target.logs.stream(task.task_id)
            found.append(_read_stream(connection, target.service, task, target.logs.group, stream, lines))
    return found


def _read_stream(
    connection: Connection, service: str, task: StoppedTask, group: str, stream: str, lines: int
) -> TaskLog:
    try:
        events = connection.client("logs").get_log_events(
            logGroupName=group, logStreamName=stream, limit=lines, startFromHead=False
        )["events"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        return TaskLog(
            service=service,
            task=task,
            group=group,
            stream=stream,
            lines=[],
            missing="no log stream: the container wrote nothing (it may never have started)",
        )
    return TaskLog(service=service, task=task, group=group, stream=stream, lines=[e["message"] for e in events])
