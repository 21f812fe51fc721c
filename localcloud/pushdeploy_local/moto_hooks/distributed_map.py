"""Hook: a DISTRIBUTED Map's items run as child workflow executions, each with its own history, as on AWS.

On AWS a Map in Distributed mode starts one child workflow execution per item: each has its own ARN
(`execution:<state machine>/<label or map run id>:<id>`) and its own history, which DescribeExecution,
GetExecutionHistory and ListExecutions(mapRunArn) read; its `$$.Execution.Id` is its own ARN; the parent's
history holds MapRunStarted and MapRunSucceeded/MapRunFailed only. A child that fails counts against the
Map's ToleratedFailureCount/ToleratedFailurePercentage (both 0 by default): beyond them the Map Run fails
with States.ExceedToleratedFailureThreshold and the children still running are stopped (aborted). The
state machine's role needs states:StartExecution on its state machine and states:DescribeExecution and
states:StopExecution on the children. A Map Run runs at most 10,000 children at once.
https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html
https://docs.aws.amazon.com/step-functions/latest/dg/iam-policies-eg-dist-map.html
https://docs.aws.amazon.com/step-functions/latest/apireference/API_MapRunExecutionCounts.html
https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html

moto 5.2.5 runs each item on a thread of the parent's interpreter and writes the item's events into a
throwaway EventManager: no child execution exists (DescribeExecution and ListExecutions(mapRunArn) know
none), `$$.Execution.Id` is the parent's, MaxConcurrency is kept but not its ceiling, a failed item becomes
a null result and the Map succeeds (`map_run_record.py`: "TODO: add support for failure toleration fields").
This hook keeps moto's workers and job pool and gives each job what AWS gives a child:

- `DistributedItemProcessorWorker._eval_job(self, env, job)`: the item's input is made in the parent's
  context (ItemSelector sees the parent's `$$`); then the job runs as a child execution: its own ARN and
  context object, its own history (`quotas.BoundedHistory`, so a child too ends at 25,000 events) from
  ExecutionStarted to its end event, and the map run's counts; a failure beyond the tolerance fails the job
  pool with States.ExceedToleratedFailureThreshold and stops the other children.
- `DistributedIterationComponent._map_run(self, env, eval_input)`: the state machine's role is authorized
  (the `authorize` the cloud gives) for the calls AWS makes for a Map Run; a refusal fails the Map with
  States.Runtime and IAM's message (modelling choice: AWS documents that the Map Run fails, not its error);
  the concurrency is held to 10,000.
- `StepFunctionsParserBackend.describe_execution` / `get_execution_history`: a child's ARN reads the child.
- `StepFunctionResponse.list_executions`: `mapRunArn` lists that Map Run's children (newest first, as for a
  state machine); a state machine's listing holds no child, as on AWS.

On a moto upgrade, check those signatures, that `_map_run` still pops the items and starts the workers,
and whether moto started running children itself (then this hook may go).
"""

from __future__ import annotations

import contextlib
import datetime
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast
from unittest import mock

from moto.core.responses import ActionResult
from moto.core.utils import iso_8601_datetime_with_milliseconds
from moto.stepfunctions.models import StepFunctionBackend
from moto.stepfunctions.parser.api import (
    ExecutionAbortedEventDetails,
    ExecutionFailedEventDetails,
    ExecutionStartedEventDetails,
    ExecutionSucceededEventDetails,
    ExecutionTimedOutEventDetails,
    HistoryEventExecutionDataDetails,
    HistoryEventType,
)
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component import (
    DistributedIterationComponent,
    DistributedIterationComponentEvalInput,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.distributed_item_processor_worker import (  # noqa: E501
    DistributedItemProcessorWorker,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.map_run_record import (
    MapRunRecord,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.job import Job
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext
from moto.stepfunctions.parser.asl.eval.program_state import ProgramEnded, ProgramError, ProgramStopped
from moto.stepfunctions.parser.asl.eval.states import ExecutionData, ItemData, MapData
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse

from pushdeploy_local.moto_hooks.quotas import BoundedHistory

# "Step Functions runs up to 10,000 parallel child workflow executions" (MaxConcurrency 0: that many).
# https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html
DISTRIBUTED_MAP_MAX_CONCURRENCY = 10_000
EXCEED_TOLERATED_FAILURE = "States.ExceedToleratedFailureThreshold"
# An ARN and an action the state machine's role must be allowed -> IAM's refusal, or None when allowed.
Authorize = Callable[[str, str], str | None]


@dataclass
class ChildExecution:
    """A Map Run's child workflow execution, with the attributes moto's responses read of an execution."""

    name: str
    execution_arn: str
    state_machine_arn: str  # the Map Run's labelled state machine: <state machine>/<label>
    map_run_arn: str
    execution_input: str
    start_date: datetime.datetime
    history: BoundedHistory
    status: str = "RUNNING"
    stop_date: datetime.datetime | None = None
    output: str | None = None
    output_details: dict[str, Any] = field(default_factory=lambda: {"included": True})
    error: str | None = None
    cause: str | None = None
    env: Environment | None = None

    def to_history_output(self) -> dict[str, Any]:
        return {"events": self.history.get_event_history()}


class Children:
    """Every child execution of the world, by ARN and by Map Run."""

    def __init__(self) -> None:
        self.by_arn: dict[str, ChildExecution] = {}
        self.by_map_run: dict[str, list[ChildExecution]] = {}
        self._lock = threading.Lock()

    def add(self, child: ChildExecution) -> None:
        with self._lock:
            self.by_arn[child.execution_arn] = child
            self.by_map_run.setdefault(child.map_run_arn, []).append(child)

    def running(self, map_run_arn: str) -> list[ChildExecution]:
        with self._lock:
            return [c for c in self.by_map_run.get(map_run_arn, []) if c.status == "RUNNING"]


def child_name(map_run_arn: str, index: int) -> str:
    """A child's name: a UUID, as AWS gives, derived from the Map Run and the item so that runs replay."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{map_run_arn}#{index}"))


def child_arn(record: MapRunRecord, name: str) -> str:
    """execution:<state machine>/<label or map run id>:<name>."""
    return f"{record.map_state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"


def exceeds_tolerance(record: MapRunRecord, items: int) -> bool:
    """Whether the children failed so far break the Map Run's tolerated failure count or percentage.

    The Map Run fails when either threshold it sets is exceeded; with neither set, at the first failure.
    (moto keeps an absent threshold as 0, so a threshold of 0 counts as unset.)
    """
    failed = record.execution_counter.failed.get() + record.execution_counter.timed_out.get()
    count, percentage = record.tolerated_failure_count, record.tolerated_failure_percentage
    if not count and not percentage:
        return failed > 0
    over_count = bool(count) and failed > count
    return over_count or (bool(percentage) and items > 0 and failed * 100.0 / items > percentage)


def _details(**details: Any) -> EventDetails:
    """One event's details (moto types EventDetails as a TypedDict of every kind, each event sets one)."""
    return cast(EventDetails, details)


def _failure(env: Environment, error: str, cause: str) -> FailureEventException:
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName.from_name(error),
            event_type=HistoryEventType.MapRunFailed,
            event_details=_details(executionFailedEventDetails=ExecutionFailedEventDetails(error=error, cause=cause)),
        )
    )


def _end_event(env: Environment, child: ChildExecution) -> None:
    """Record how the child ended, in its history and in its description."""
    state = env.program_state()
    child.stop_date = datetime.datetime.now(tz=datetime.UTC)
    context = env.event_history_context
    if isinstance(state, ProgramEnded):
        child.status, child.output = "SUCCEEDED", to_json_str(env.states.get_input(), separators=(",", ":"))
        details = _details(
            executionSucceededEventDetails=ExecutionSucceededEventDetails(
                output=child.output, outputDetails=HistoryEventExecutionDataDetails(truncated=False)
            )
        )
        child.history.add_event(context, HistoryEventType.ExecutionSucceeded, details)
    elif isinstance(state, ProgramError):
        error = state.error or {}
        child.status, child.error, child.cause = "FAILED", error.get("error"), error.get("cause")
        failed = ExecutionFailedEventDetails(error=child.error or "", cause=child.cause or "")
        child.history.add_event(context, HistoryEventType.ExecutionFailed, _details(executionFailedEventDetails=failed))
    elif isinstance(state, ProgramStopped):
        child.status = "ABORTED"
        aborted = ExecutionAbortedEventDetails(error=state.error or "", cause=state.cause or "")
        child.history.add_event(
            context, HistoryEventType.ExecutionAborted, _details(executionAbortedEventDetails=aborted)
        )
    else:
        child.status = "TIMED_OUT"
        timed_out = _details(executionTimedOutEventDetails=ExecutionTimedOutEventDetails())
        child.history.add_event(context, HistoryEventType.ExecutionTimedOut, timed_out)


def run_child(worker: DistributedItemProcessorWorker, env: Environment, job: Job, children: Children) -> None:
    """The job as a child workflow execution (the hook's `_eval_job`)."""
    record: MapRunRecord = worker._map_run_record
    record.execution_counter.total.count()
    record.execution_counter.running.count()
    record.item_counter.total.count()
    record.item_counter.running.count()

    # The child's input: the item, shaped by ItemSelector in the parent's context.
    parent = env.states.context_object.context_object_data["Execution"]
    env.states.context_object.context_object_data["Map"] = MapData(
        Item=ItemData(Index=job.job_index, Value=job.job_input)
    )
    env.states.reset(job.job_input)
    env.stack.append(env.states.get_input())
    worker._eval_input(env_frame=env)
    child_input = env.states.get_input()

    name = child_name(record.map_run_arn, job.job_index)
    started = datetime.datetime.now(tz=datetime.UTC)
    child = ChildExecution(
        name=name,
        execution_arn=child_arn(record, name),
        state_machine_arn=record.map_state_machine_arn,
        map_run_arn=record.map_run_arn,
        execution_input=to_json_str(child_input, separators=(",", ":")),
        start_date=started,
        history=BoundedHistory(env),
        env=env,
    )
    env.event_manager = child.history
    env.event_history_context = EventHistoryContext.of_program_start()  # type: ignore[misc]  # the child's own ids
    env.states.context_object.context_object_data["Execution"] = ExecutionData(
        Id=child.execution_arn,
        Input=child_input,
        Name=name,
        RoleArn=parent["RoleArn"],
        StartTime=iso_8601_datetime_with_milliseconds(started),
    )
    cast(dict[str, Any], env.states.context_object.context_object_data).pop("Map")  # the parent's, not the child's
    children.add(child)
    child.history.add_event(
        env.event_history_context,
        HistoryEventType.ExecutionStarted,
        _details(
            executionStartedEventDetails=ExecutionStartedEventDetails(
                input=child.execution_input,
                inputDetails=HistoryEventExecutionDataDetails(truncated=False),
                roleArn=parent["RoleArn"],
            )
        ),
        update_source_event_id=False,
    )

    job_output: Any = None
    try:
        job.job_program.eval(env)
    finally:
        _end_event(env, child)
        record.execution_counter.running.offset(-1)
        record.item_counter.running.offset(-1)
        counts = {
            "SUCCEEDED": (record.execution_counter.succeeded, record.item_counter.succeeded),
            "FAILED": (record.execution_counter.failed, record.item_counter.failed),
            "ABORTED": (record.execution_counter.aborted, record.item_counter.aborted),
            "TIMED_OUT": (record.execution_counter.timed_out, record.item_counter.timed_out),
        }[child.status]
        for counter in counts:
            counter.count()
        if child.status == "SUCCEEDED":
            job_output = env.states.get_input()
            record.execution_counter.results_written.count()
            record.item_counter.results_written.count()
        elif child.status != "ABORTED" and exceeds_tolerance(record, worker._job_pool._jobs_number):
            cause = f"The Map Run {record.map_run_arn} failed: a child execution ended {child.status}."
            job_output = _failure(env, EXCEED_TOLERATED_FAILURE, cause)
            _stop_others(children, record, child)
        job.job_output = job_output


def _stop_others(children: Children, record: MapRunRecord, failed: ChildExecution) -> None:
    """The Map Run failed: Step Functions stops the children still running (they end ABORTED)."""
    now = datetime.datetime.now(tz=datetime.UTC)
    for other in children.running(record.map_run_arn):
        if other is not failed and other.env is not None:
            other.env.set_stop(stop_date=now, cause="the Map Run failed", error=EXCEED_TOLERATED_FAILURE)


@contextlib.contextmanager
def install(authorize: Authorize | None = None) -> Iterator[Children]:
    """While active, a DISTRIBUTED Map runs child executions; `authorize` checks the state machine's role."""
    children = Children()
    original_map_run = DistributedIterationComponent._map_run
    original_describe = StepFunctionsParserBackend.describe_execution
    original_history = StepFunctionsParserBackend.get_execution_history
    original_list = StepFunctionResponse.list_executions

    def eval_job(worker: DistributedItemProcessorWorker, env: Environment, job: Job) -> None:
        run_child(worker, env, job, children)

    def map_run(
        component: DistributedIterationComponent, env: Environment, eval_input: DistributedIterationComponentEvalInput
    ) -> None:
        record = eval_input.map_run_record
        items = len(env.stack[-1])
        record.max_concurrency = min(record.max_concurrency or items, DISTRIBUTED_MAP_MAX_CONCURRENCY)
        if authorize is not None:
            machine = env.states.context_object.context_object_data["StateMachine"]["Id"]
            asked = [("states:StartExecution", machine)]
            asked += [(a, child_arn(record, "*")) for a in ("states:DescribeExecution", "states:StopExecution")]
            for action, arn in asked:
                if refused := authorize(action, arn):
                    raise _failure(env, StatesErrorNameType.StatesRuntime.to_name(), refused)
        original_map_run(component, env, eval_input)

    def describe_execution(backend: StepFunctionBackend, execution_arn: str) -> Any:
        child = children.by_arn.get(execution_arn)
        return child if child is not None else original_describe(backend, execution_arn)

    def get_execution_history(backend: StepFunctionsParserBackend, execution_arn: str) -> Any:
        child = children.by_arn.get(execution_arn)
        return child.to_history_output() if child is not None else original_history(backend, execution_arn)

    def list_executions(response: StepFunctionResponse) -> Any:
        map_run_arn = response._get_param("mapRunArn")
        if not map_run_arn:
            return original_list(response)
        listed = sorted(children.by_map_run.get(map_run_arn, []), key=lambda c: c.start_date, reverse=True)
        executions = []
        for child in listed:
            item = {
                "executionArn": child.execution_arn,
                "name": child.name,
                "startDate": child.start_date,
                "stateMachineArn": child.state_machine_arn,
                "mapRunArn": map_run_arn,
                "status": child.status,
            }
            if child.stop_date is not None:
                item["stopDate"] = child.stop_date
            executions.append(item)
        return ActionResult({"executions": executions})

    with (
        mock.patch.object(DistributedItemProcessorWorker, "_eval_job", eval_job),
        mock.patch.object(DistributedIterationComponent, "_map_run", map_run),
        mock.patch.object(StepFunctionsParserBackend, "describe_execution", describe_execution),
        mock.patch.object(StepFunctionsParserBackend, "get_execution_history", get_execution_history),
        mock.patch.object(StepFunctionResponse, "list_executions", list_executions),
    ):
        yield children
