"""AWS Step Functions: start a deployment under a deterministic name; hand a waiting task its token back."""

from __future__ import annotations

import heapq
import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from pushdeploy.adapters.aws import client, error_code, translate_throttling

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


@translate_throttling
def start_execution(state_machine: str, name: str, document: str, *, sfn: SFNClient | None = None) -> tuple[str, bool]:
    """(execution ARN, False when an execution of that name already exists).

    A Standard execution's name is unique for 90 days: StartExecution with the same name and input
    while it runs returns that execution; otherwise it raises ExecutionAlreadyExists (aws-facts.md).
    Either way the push is not deployed twice.
    """
    sfn = sfn or client("stepfunctions")
    execution = f"{state_machine.replace(':stateMachine:', ':execution:')}:{name}"
    try:
        answer = sfn.start_execution(stateMachineArn=state_machine, name=name, input=document)
    except ClientError as exc:
        if error_code(exc) == "ExecutionAlreadyExists":
            return execution, False
        raise
    return str(answer["executionArn"]), True


@translate_throttling
def execution_status(execution: str, *, sfn: SFNClient | None = None) -> str:
    """RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED (or PENDING_REDRIVE); NOT_FOUND for an unknown one."""
    sfn = sfn or client("stepfunctions")
    try:
        return str(sfn.describe_execution(executionArn=execution)["status"])
    except ClientError as exc:
        if error_code(exc) in ("ExecutionDoesNotExist", "InvalidArn"):
            return "NOT_FOUND"
        raise


@translate_throttling
def send_task_success(token: str, output: dict[str, Any], *, sfn: SFNClient | None = None) -> bool:
    """End the task waiting on `token` with `output`; False when it no longer waits (timed out, or ended)."""
    sfn = sfn or client("stepfunctions")
    try:
        sfn.send_task_success(taskToken=token, output=json.dumps(output))
    except ClientError as exc:
        if error_code(exc) in ("TaskTimedOut", "TaskDoesNotExist", "InvalidToken"):
            return False
        raise
    return True


@translate_throttling
def send_task_failure(token: str, error: str, cause: str, *, sfn: SFNClient | None = None) -> bool:
    """Fail the task waiting on `token` with `error` (what the state's Catch matches) and `cause`; False when it
    no longer waits."""
    sfn = sfn or client("stepfunctions")
    try:
        sfn.send_task_failure(taskToken=token, error=error, cause=cause)
    except ClientError as exc:
        if error_code(exc) in ("TaskTimedOut", "TaskDoesNotExist", "InvalidToken"):
            return False
        raise
    return True


# The events that open and close an execution: a child's are left out where its history joins its parent's.
_EXECUTION_BOUNDS = frozenset(
    {"ExecutionStarted", "ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"}
)


@translate_throttling
def own_history(execution: str, *, sfn: SFNClient | None = None) -> list[dict[str, Any]]:
    """One execution's history events, oldest first, every page."""
    sfn = sfn or client("stepfunctions")
    events: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = sfn.get_execution_history(
            executionArn=execution, maxResults=1000, **({"nextToken": token} if token else {})
        )
        events.extend(page["events"])
        token = page.get("nextToken")
        if not token:
            return events


@translate_throttling
def map_run_children(events: list[dict[str, Any]], *, sfn: SFNClient | None = None) -> dict[str, list[str]]:
    """Each Distributed Map run an execution's history started -> its child executions, oldest first."""
    sfn = sfn or client("stepfunctions")
    runs: dict[str, list[str]] = {}
    for event in events:
        if event["type"] != "MapRunStarted":
            continue
        run = event["mapRunStartedEventDetails"]["mapRunArn"]
        runs[run] = _children(run, sfn)
    return runs


def _children(run: str, sfn: SFNClient) -> list[str]:
    """A Map Run's child executions, oldest first."""
    listed = [e for page in sfn.get_paginator("list_executions").paginate(mapRunArn=run) for e in page["executions"]]
    return [e["executionArn"] for e in sorted(listed, key=lambda e: e["startDate"])]


@translate_throttling
def child_executions(execution: str, *, sfn: SFNClient | None = None) -> list[dict[str, Any]]:
    """DescribeExecution of each child of the execution's Distributed Map runs (one per target), oldest first.

    Each target's result is its child's output (or its failure's cause): the Deploy Map writes the results to
    S3 rather than into the execution's payload (docs/decisions.md), and the children hold the same.
    """
    sfn = sfn or client("stepfunctions")
    pages = sfn.get_paginator("list_map_runs").paginate(executionArn=execution)
    runs = [r["mapRunArn"] for page in pages for r in page["mapRuns"]]
    return [dict(sfn.describe_execution(executionArn=child)) for run in runs for child in _children(run, sfn)]


def execution_history(execution: str, *, sfn: SFNClient | None = None) -> list[dict[str, Any]]:
    """An execution's whole story: its history, with each Distributed Map run's child executions in place.

    A Distributed Map's children have their own histories; the parent's holds MapRunStarted and MapRunSucceeded
    (or MapRunFailed) only (docs/aws-facts.md). Here each child's events, less its own ExecutionStarted and end,
    follow MapRunStarted, merged in time order; the events are numbered anew, each previousEventId kept pointing
    at the same event (a child's first event at MapRunStarted).
    """
    sfn = sfn or client("stepfunctions")
    parent = own_history(execution, sfn=sfn)
    runs = map_run_children(parent, sfn=sfn)
    return fold_children(parent, {run: [own_history(c, sfn=sfn) for c in children] for run, children in runs.items()})


def fold_children(parent: list[dict[str, Any]], runs: dict[str, list[list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """The parent's events with each map run's child histories after its MapRunStarted (see execution_history)."""
    folded: list[dict[str, Any]] = []
    ids: dict[tuple[int, int], int] = {}  # (source: 0 the parent, i a child), its event id -> the new id

    def add(event: dict[str, Any], source: int, anchor: int) -> None:
        new = dict(event, id=len(folded) + 1)
        new["previousEventId"] = ids.get((source, event.get("previousEventId", 0)), anchor)
        ids[(source, event["id"])] = new["id"]
        folded.append(new)

    children = 0
    for event in parent:
        add(event, 0, 0)
        if event["type"] != "MapRunStarted":
            continue
        anchor = folded[-1]["id"]
        histories = runs.get(event["mapRunStartedEventDetails"]["mapRunArn"], [])
        tagged = [
            [(e["timestamp"], children + i + 1, e) for e in history if e["type"] not in _EXECUTION_BOUNDS]
            for i, history in enumerate(histories)
        ]
        for _, source, child_event in heapq.merge(*tagged, key=lambda t: (t[0], t[1])):
            add(child_event, source, anchor)
        children += len(histories)
    return folded
