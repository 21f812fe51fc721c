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
- `ResourceEvalS3._handle_put_object(env, resource_runtime_part, state_credentials)` (the Map's ResultWriter;
  moto writes a manifest that lists no file, and drops the results): the children's results are written as AWS
  writes them, below.
- the ItemReader's `ResourceEvalS3._handle_get_object(env, resource_runtime_part, state_credentials)` (moto
  reads the object with no IAM check, and a missing object fails the execution with a Python error): Step
  Functions reads the items with the state machine's role, which needs s3:GetObject on the object ("IAM
  policies for ItemReader"); a refusal, or an object that cannot be read, fails the Map with
  States.ItemReaderFailed ("the Map state failed because it couldn't read from the item source specified in
  the ItemReader field", https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html)
  and the cause IAM's or S3's message. https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html
- `AmazonStateLanguageParser.parse(definition)`: moto's grammar takes ToleratedFailurePercentage only as a
  decimal (`100.0`; `100` does not parse), where AWS takes any number from 0 to 100 and statelint asks for an
  integer; the parser is given the integer as a decimal. And an ItemReader of `s3:getObject` without
  ReaderConfig reads a JSON array on AWS (ReaderConfig's InputType is needed for the other formats; the
  state machine leaves it out, as the statelint the checks run does not know it), where moto hands the
  object's text to the Map as its items: the parser is given `ReaderConfig: {"InputType": "JSON"}`.
- `StepFunctionsParserBackend.describe_execution` / `get_execution_history`: a child's ARN reads the child.
- `StepFunctionResponse.list_executions`: `mapRunArn` lists that Map Run's children (newest first, as for a
  state machine); a state machine's listing holds no child, as on AWS.

ResultWriter (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html): Step Functions
writes the Map Run's children to `<Prefix>/<map run id>/`, those of one status together in `<STATUS>_0.json` (a
JSON array, one entry per child: its ARN, name, input and output, or error and cause, status and dates, strings
as DescribeExecution gives them), then `manifest.json` ({"DestinationBucket", "MapRunArn", "ResultFiles":
{"FAILED", "PENDING", "SUCCEEDED"}: each file's Key and Size}); the Map's output is then only {"MapRunArn",
"ResultWriterDetails": {"Bucket", "Key": the manifest's key}}. The state machine's role needs s3:PutObject,
s3:GetObject, s3:ListMultipartUploadParts and s3:AbortMultipartUpload on the objects ("IAM policies for
ResultWriter"): each is asked for each object written, and a refusal fails the Map with
States.ResultWriterFailed and IAM's message. The files' shapes as AWS wrote them:
https://sigpwned.com/2023/04/27/aws-step-functions-distributed-map-resultwriter-example. A child's result counts
as written whether it succeeded or failed (DescribeMapRun's resultsWritten, measured on AWS:
https://github.com/floci-io/floci, StepFunctionsDescribeMapRunIntegrationTest).
Modelling choices: a child that timed out or was aborted is written with the failed ones (the manifest has no
other list); the redrive fields AWS adds to each entry are left out (nothing here redrives).

On a moto upgrade, check those signatures, that `_map_run` still pops the items and starts the workers,
and whether moto started running children itself (then this hook may go).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast
from unittest import mock

from botocore.exceptions import ClientError
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
from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval.resource_eval_s3 import (
    ResourceEvalS3 as ItemReaderEvalS3,
)
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
from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3 import (
    ResourceEvalS3,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.credentials import StateCredentials
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import ResourceRuntimePart
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext
from moto.stepfunctions.parser.asl.eval.program_state import ProgramEnded, ProgramError, ProgramStopped
from moto.stepfunctions.parser.asl.eval.states import ExecutionData, ItemData, MapData
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse

from pushdeploy_local.moto_hooks.quotas import BoundedHistory

# "Step Functions runs up to 10,000 parallel child workflow executions" (MaxConcurrency 0: that many).
# https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html
DISTRIBUTED_MAP_MAX_CONCURRENCY = 10_000
EXCEED_TOLERATED_FAILURE = "States.ExceedToleratedFailureThreshold"
RESULT_WRITER_FAILED = "States.ResultWriterFailed"
ITEM_READER_FAILED = "States.ItemReaderFailed"
# What the state machine's role must be allowed on each object ResultWriter writes ("IAM policies for
# ResultWriter", https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html).
RESULT_WRITER_ACTIONS = ("s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload")
# The manifest's lists, and the file each status of child is written to.
RESULT_FILE_STATUSES = ("FAILED", "PENDING", "SUCCEEDED")
_RESULT_FILE_OF = {"SUCCEEDED": "SUCCEEDED", "FAILED": "FAILED", "TIMED_OUT": "FAILED", "ABORTED": "FAILED"}
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

    def of(self, record: MapRunRecord) -> list[ChildExecution]:
        with self._lock:
            return list(self.by_map_run.get(record.map_run_arn, []))

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


def decimal_percentages(definition: str) -> str:
    """The definition with each Map's integer ToleratedFailurePercentage written as a decimal (moto's grammar),
    and each ItemReader of an S3 object without a ReaderConfig given the JSON one it has on AWS."""
    try:
        document = json.loads(definition)
    except ValueError:
        return definition  # not JSON: moto's parser says why

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("ToleratedFailurePercentage"), int):
                node["ToleratedFailurePercentage"] = float(node["ToleratedFailurePercentage"])
            reader = node.get("ItemReader")
            if isinstance(reader, dict) and str(reader.get("Resource", "")).endswith(":s3:getObject"):
                reader.setdefault("ReaderConfig", {"InputType": "JSON"})
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(document)
    return json.dumps(document)


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
        if child.status != "ABORTED":
            record.execution_counter.results_written.count()
            record.item_counter.results_written.count()
        if child.status == "SUCCEEDED":
            job_output = env.states.get_input()
        elif child.status != "ABORTED" and exceeds_tolerance(record, worker._job_pool._jobs_number):
            cause = f"The Map Run {record.map_run_arn} failed: a child execution ended {child.status}."
            job_output = _failure(env, EXCEED_TOLERATED_FAILURE, cause)
            _stop_others(children, record, child)
        job.job_output = job_output


def result_entry(child: ChildExecution) -> dict[str, Any]:
    """A child as ResultWriter writes it: its output when it succeeded, else its error and cause."""
    entry: dict[str, Any] = {
        "ExecutionArn": child.execution_arn,
        "Input": child.execution_input,
        "InputDetails": {"Included": True},
        "Name": child.name,
        "StartDate": iso_8601_datetime_with_milliseconds(child.start_date),
        "StateMachineArn": child.state_machine_arn,
        "Status": child.status,
        "StopDate": iso_8601_datetime_with_milliseconds(child.stop_date) if child.stop_date else None,
    }
    if child.status == "SUCCEEDED":
        entry |= {"Output": child.output, "OutputDetails": {"Included": True}}
    else:
        entry |= {"Error": child.error or "", "Cause": child.cause or ""}
    return entry


def result_files(children: list[ChildExecution]) -> dict[str, list[dict[str, Any]]]:
    """The entries of each result file (SUCCEEDED, FAILED), the children in the order the Map Run started them."""
    files: dict[str, list[dict[str, Any]]] = {}
    for child in sorted(children, key=lambda c: c.start_date):
        files.setdefault(_RESULT_FILE_OF[child.status], []).append(result_entry(child))
    return files


def write_results(
    env: Environment, parameters: dict[str, Any], region: str, children: Children, authorize: Authorize | None
) -> None:
    """ResultWriter's putObject: each status's result file, then the manifest; the Map's output says where."""
    record: MapRunRecord = env.map_run_record_pool_manager.get_all()[-1]
    bucket, prefix = parameters["Bucket"], parameters.get("Prefix", "")
    folder = f"{prefix.rstrip('/')}/" if prefix else ""
    folder += f"{record.map_run_arn.rsplit(':', 1)[-1]}/"
    objects = {f"{folder}{status}_0.json": entries for status, entries in result_files(children.of(record)).items()}
    manifest_key = f"{folder}manifest.json"
    if authorize is not None:
        for key in [*objects, manifest_key]:
            for action in RESULT_WRITER_ACTIONS:
                if refused := authorize(action, f"arn:aws:s3:::{bucket}/{key}"):
                    raise _failure(env, RESULT_WRITER_FAILED, refused)
    s3 = boto_client_for(region=region, service="s3")
    listed: dict[str, list[dict[str, Any]]] = {status: [] for status in RESULT_FILE_STATUSES}
    for key, entries in objects.items():
        body = to_json_str(entries).encode()
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        listed[key.rsplit("/", 1)[-1].split("_", 1)[0]].append({"Key": key, "Size": len(body)})
    manifest = {"DestinationBucket": bucket, "MapRunArn": record.map_run_arn, "ResultFiles": listed}
    s3.put_object(Bucket=bucket, Key=manifest_key, Body=to_json_str(manifest).encode())
    env.stack.append({"MapRunArn": record.map_run_arn, "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key}})


def read_items(env: Environment, region: str, authorize: Authorize | None) -> None:
    """ItemReader's getObject: the object's text, read with the state machine's role (the JSON reader parses it)."""
    parameters = env.stack.pop()
    bucket, key = parameters["Bucket"], parameters["Key"]
    if authorize is not None and (refused := authorize("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}")):
        raise _failure(env, ITEM_READER_FAILED, refused)
    s3 = boto_client_for(region=region, service="s3")
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        raise _failure(env, ITEM_READER_FAILED, f"s3://{bucket}/{key}: {exc}") from exc
    env.stack.append(body.decode())


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
    original_parse = AmazonStateLanguageParser.parse
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

    def put_results(
        env: Environment, resource_runtime_part: ResourceRuntimePart, state_credentials: StateCredentials
    ) -> None:
        parameters = env.stack.pop()
        env.stack.pop()  # the children's outputs, which the files hold instead
        write_results(env, parameters, resource_runtime_part.region, children, authorize)

    def get_items(
        env: Environment, resource_runtime_part: ResourceRuntimePart, state_credentials: StateCredentials
    ) -> None:
        read_items(env, resource_runtime_part.region, authorize)

    def parse(definition: str) -> Any:
        return original_parse(decimal_percentages(definition))

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
        mock.patch.object(ResourceEvalS3, "_handle_put_object", staticmethod(put_results)),
        mock.patch.object(ItemReaderEvalS3, "_handle_get_object", staticmethod(get_items)),
        mock.patch.object(AmazonStateLanguageParser, "parse", staticmethod(parse)),
        mock.patch.object(StepFunctionsParserBackend, "describe_execution", describe_execution),
        mock.patch.object(StepFunctionsParserBackend, "get_execution_history", get_execution_history),
        mock.patch.object(StepFunctionResponse, "list_executions", list_executions),
    ):
        yield children
