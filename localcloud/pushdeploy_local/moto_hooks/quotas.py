"""Hooks: the quotas every AWS account enforces and moto 5.2.5 does not, each as AWS enforces it, with AWS's error.

Each number below names its source (docs/aws-facts.md, "Limits, lifecycles and strategies"). What moto
already enforces is left to moto and only proven through the local cloud (tests/integration/test_quotas.py):
a state's output or a Lambda result over 256 KiB fails with States.DataLimitExceeded
(`moto.stepfunctions.parser.quotas`), and an execution name over 80 characters or with a forbidden
character is refused by `StepFunctionBackend._validate_name`, which moto's interpreter backend never calls.

- SSM PutParameter refuses a value over its tier's limit (`ssm_value_limit`).
- States.ALL neither retries nor catches States.DataLimitExceeded and States.Runtime, and a Map iteration's
  States.* error reaches its Map as itself (`terminal_errors`).
- A Standard execution's history holds at most 25,000 events; then the execution fails (`history_limit`).
- StartExecution checks the name (`execution_names`).
- An INLINE Map runs at most 40 iterations at once (`inline_map_concurrency`).
- EventBridge refuses an entry over 256 KiB (`oversized_entry`, asked by the cloud's `publish` and `deliver`,
  which deliver events without PutEvents; moto's PutEvents does not check sizes either).

On a moto upgrade, check that each patched name below still has the signature written next to it, and whether
moto started enforcing the quota itself (then its hook may go).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from typing import Any
from unittest import mock

from moto.ssm.exceptions import ValidationException as SsmValidationException
from moto.ssm.models import SimpleSystemManagerBackend
from moto.stepfunctions.exceptions import InvalidName
from moto.stepfunctions.exceptions import ValidationException as SfnValidationException
from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import iteration_worker
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.inline_iteration_component import (
    InlineIterationComponent,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

# A Standard parameter's value holds at most 4,096 characters, an Advanced one's 8 KB; Intelligent-Tiering
# makes a parameter Advanced when its value needs it.
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html
# https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html
# AWS's refusal of a Standard value, word for word as AWS returned it (the API reference gives no wording):
# https://gist.github.com/seanpascual
SSM_VALUE_MAX_CHARACTERS = {"Standard": 4_096, "Advanced": 8_192, "Intelligent-Tiering": 8_192}
SSM_STANDARD_REFUSAL = (
    "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger "
    "parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see "
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html"
)

# "States.ALL ... can't catch the States.DataLimitExceeded terminal error type and runtime error types";
# a retrier is matched by the same ErrorEquals rule.
# https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
UNCATCHABLE_BY_STATES_ALL = frozenset(
    {StatesErrorNameType.StatesStatesDataLimitExceeded.to_name(), StatesErrorNameType.StatesRuntime.to_name()}
)

# A Standard execution's history holds at most 25,000 events. When the next event would be the 25,000th,
# AWS writes ExecutionFailed there instead (event 24,999 is the last the machine produced), error
# States.Runtime with this cause. https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
# and the failure as AWS reports it: https://github.com/floci-io/floci/issues/2734 (measured on AWS).
HISTORY_MAX_EVENTS = 25_000
HISTORY_LIMIT_CAUSE = f"The execution reached the maximum number of history events ({HISTORY_MAX_EVENTS})."
_EXECUTION_ENDS = frozenset(
    {
        HistoryEventType.ExecutionFailed,
        HistoryEventType.ExecutionSucceeded,
        HistoryEventType.ExecutionAborted,
        HistoryEventType.ExecutionTimedOut,
    }
)

# An execution's name: 1-80 characters, none of whitespace, < > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /,
# control characters (U+0000-001F, U+007F-009F), U+FFFE-FFFF, surrogates or U+10FFFF (InvalidName).
# moto checks all but the minimum length and the last three; its messages are AWS's.
# https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
EXECUTION_NAME_MIN_CHARACTERS = 1
_NAME_NONCHARACTERS = frozenset({"\ufffe", "\uffff", "\U0010ffff"})

# "In this mode, the Map state supports up to 40 concurrent iterations" (MaxConcurrency 0, the default,
# means as many as it can: 40 for an INLINE Map).
# https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html
INLINE_MAP_MAX_CONCURRENCY = 40

# A PutEvents entry is at most 256 KiB, counted as: Time 14 bytes if given, then the UTF-8 bytes of Source,
# DetailType, Detail and each of Resources. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
# https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html. AWS's refusal (the call fails):
EVENT_ENTRY_MAX_BYTES = 262_144
EVENT_ENTRY_REFUSAL = "ValidationException: Total size of the entries in the request is over the limit."


@contextlib.contextmanager
def install() -> Iterator[None]:
    """While active, moto enforces every quota of this module."""
    with ssm_value_limit(), terminal_errors(), history_limit(), execution_names(), inline_map_concurrency():
        yield


# -- SSM -----------------------------------------------------------------------------------------------------


def ssm_value_limit_of(backend: SimpleSystemManagerBackend, name: str, tier: str | None) -> int:
    """The most characters a value may hold: its tier's (the one asked for, else the parameter's, else the default)."""
    current = backend.get_parameter(name)
    tier = tier or (current.tier if current else None) or backend.default_parameter_tier
    return SSM_VALUE_MAX_CHARACTERS.get(tier, SSM_VALUE_MAX_CHARACTERS["Standard"])


@contextlib.contextmanager
def ssm_value_limit() -> Iterator[None]:
    # put_parameter(self, name, description, value, parameter_type, allowed_pattern, keyid, overwrite, tags,
    # data_type, tier, policies), called with tier and policies by keyword (moto.ssm.responses).
    original = SimpleSystemManagerBackend.put_parameter

    def put_parameter(
        backend: SimpleSystemManagerBackend, name: str, description: str, value: str, *args: Any, **kw: Any
    ) -> Any:
        limit = ssm_value_limit_of(backend, name, kw.get("tier"))
        if value is not None and len(value) > limit:
            if limit == SSM_VALUE_MAX_CHARACTERS["Standard"]:
                raise SsmValidationException(SSM_STANDARD_REFUSAL)
            # AWS documents no wording for the Advanced tier; the same shape, its number.
            raise SsmValidationException(
                f"Advanced tier parameters support a maximum parameter value of {limit} characters."
            )
        return original(backend, name, description, value, *args, **kw)

    with mock.patch.object(SimpleSystemManagerBackend, "put_parameter", put_parameter):
        yield


# -- Step Functions: errors States.ALL does not match --------------------------------------------------------


def iteration_error_name(error_name: str) -> ErrorName:
    """The name an INLINE Map iteration's failure carries to its Map: a States.* error stays itself.

    moto's iteration worker names it `CustomErrorName(error)`, which refuses a States.* name (ValueError), so a
    States.DataLimitExceeded inside a Map reached the Map as States.Runtime with moto's own cause.
    """
    if error_name.startswith("States."):
        return StatesErrorName.from_name(error_name)
    return CustomErrorName(error_name=error_name)


@contextlib.contextmanager
def terminal_errors() -> Iterator[None]:
    # ErrorEqualsDecl._eval_body(self, env): pops the error's ErrorName off env.stack, pushes whether it matches.
    # iteration_worker.CustomErrorName(error_name=...): the name of a failed iteration's error.
    original = ErrorEqualsDecl._eval_body

    def eval_body(decl: ErrorEqualsDecl, env: Environment) -> None:
        error = env.stack[-1]
        matches_all = ErrorEqualsDecl._STATE_ALL_ERROR in decl.error_names
        if matches_all and getattr(error, "error_name", None) in UNCATCHABLE_BY_STATES_ALL:
            env.stack.pop()
            env.stack.append(False)
            return
        original(decl, env)

    with (
        mock.patch.object(ErrorEqualsDecl, "_eval_body", eval_body),
        mock.patch.object(iteration_worker, "CustomErrorName", iteration_error_name),
    ):
        yield


# -- Step Functions: 25,000 history events -------------------------------------------------------------------


class BoundedHistory(EventManager):
    """An execution's history that ends the execution where AWS would: at its 25,000th event.

    When the next event would be the 25,000th and it does not end the execution, it is not written: the
    execution fails (States.Runtime, AWS's cause), and the interpreter writes that ExecutionFailed as event
    25,000. Whatever the execution's other branches still try to write after that is dropped.
    """

    def __init__(self, execution: Environment, logging_session: Any = None) -> None:
        super().__init__(cloud_watch_logging_session=logging_session)
        self._execution = execution
        self._full = False
        self._quota = threading.Lock()

    def add_event(
        self,
        context: Any,
        event_type: HistoryEventType,
        event_details: Any = None,
        timestamp: Any = None,
        update_source_event_id: bool = True,
    ) -> int:
        with self._quota:
            written = len(self._history_event_list)
            ends = event_type in _EXECUTION_ENDS
            if self._full and not (ends and written < HISTORY_MAX_EVENTS):
                return written
            if not self._full and not ends and written == HISTORY_MAX_EVENTS - 1:
                self._full = True
                self._execution.set_error(
                    ExecutionFailedEventDetails(error="States.Runtime", cause=HISTORY_LIMIT_CAUSE)
                )
                return written
            return super().add_event(context, event_type, event_details, timestamp, update_source_event_id)


@contextlib.contextmanager
def history_limit() -> Iterator[None]:
    # Environment.__init__ makes the execution's EventManager (`event_manager`); a frame (a Map iteration, a
    # task) is made the same way and then shares its execution's, so only an execution's own one is kept.
    original = Environment.__init__

    def init(env: Environment, *args: Any, **kwargs: Any) -> None:
        original(env, *args, **kwargs)
        env.event_manager = BoundedHistory(env, env.cloud_watch_logging_session)

    with mock.patch.object(Environment, "__init__", init):
        yield


# -- Step Functions: execution names -------------------------------------------------------------------------


def check_execution_name(backend: StepFunctionsParserBackend, name: str) -> None:
    """Refuse a name StartExecution refuses, with its error (ValidationException or InvalidName)."""
    if len(name) < EXECUTION_NAME_MIN_CHARACTERS:
        raise SfnValidationException(
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
            f"Member must have length greater than or equal to {EXECUTION_NAME_MIN_CHARACTERS}"
        )
    backend._validate_name(name)
    if any(c in _NAME_NONCHARACTERS or "\ud800" <= c <= "\udfff" for c in name):
        raise InvalidName(f"Invalid Name: '{name}'")


@contextlib.contextmanager
def execution_names() -> Iterator[None]:
    # StepFunctionsParserBackend.start_execution(self, state_machine_arn, name=None, execution_input=None,
    # trace_header=None); moto's responses pass the name positionally, None when the caller gave none.
    original = StepFunctionsParserBackend.start_execution

    def start_execution(
        backend: StepFunctionsParserBackend, state_machine_arn: str, name: Any = None, *args: Any, **kw: Any
    ) -> Any:
        if name is not None:
            check_execution_name(backend, name)
        return original(backend, state_machine_arn, name, *args, **kw)

    with mock.patch.object(StepFunctionsParserBackend, "start_execution", start_execution):
        yield


# -- Step Functions: INLINE Map concurrency ------------------------------------------------------------------


def inline_concurrency(max_concurrency: int, items: int) -> int:
    """How many iterations an INLINE Map runs at once: MaxConcurrency (0: all items), at most 40."""
    return min(max_concurrency or items, INLINE_MAP_MAX_CONCURRENCY)


@contextlib.contextmanager
def inline_map_concurrency() -> Iterator[None]:
    # InlineIterationComponent._eval_body(self, env) reads an InlineIterationComponentEvalInput off env.stack and
    # starts `max_concurrency` workers (all items when 0). A DISTRIBUTED Map overrides _eval_body.
    original = InlineIterationComponent._eval_body

    def eval_body(component: InlineIterationComponent, env: Environment) -> None:
        given = env.stack[-1]
        given.max_concurrency = inline_concurrency(given.max_concurrency, len(given.input_items))  # type: ignore[misc]
        original(component, env)

    with mock.patch.object(InlineIterationComponent, "_eval_body", eval_body):
        yield


# -- EventBridge ---------------------------------------------------------------------------------------------


def event_entry_size(event: dict[str, Any]) -> int:
    """The size of the PutEvents entry that carries `event`, counted as EventBridge counts it."""
    size = 14 if event.get("time") else 0
    size += len(str(event.get("source", "")).encode()) + len(str(event.get("detail-type", "")).encode())
    if "detail" in event:
        size += len(json.dumps(event["detail"], separators=(",", ":")).encode())
    return size + sum(len(str(r).encode()) for r in event.get("resources") or [])


def oversized_entry(event: dict[str, Any]) -> str | None:
    """Why EventBridge refuses `event` (an entry over 256 KiB), or None when it takes it."""
    size = event_entry_size(event)
    if size <= EVENT_ENTRY_MAX_BYTES:
        return None
    return f"EventBridge refuses an entry of {size:,} bytes (at most {EVENT_ENTRY_MAX_BYTES:,}): {EVENT_ENTRY_REFUSAL}"
