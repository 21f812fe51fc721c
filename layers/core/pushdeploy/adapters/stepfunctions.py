"""AWS Step Functions: start a deployment under a deterministic name; hand a waiting task its token back."""

from __future__ import annotations

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
