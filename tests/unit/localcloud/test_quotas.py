"""The quota rules of moto_hooks/quotas.py, driven directly at AWS's real numbers."""

from __future__ import annotations

from typing import Any

from moto.stepfunctions.parser.api import HistoryEventType
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext

from pushdeploy_local.moto_hooks import quotas


class Execution:
    """Stands in for the interpreter's Environment: what the history does to its execution."""

    def __init__(self) -> None:
        self.errors: list[Any] = []

    def set_error(self, error: Any) -> None:
        self.errors.append(error)


def filled(events: int) -> tuple[quotas.BoundedHistory, Execution, EventHistoryContext]:
    """A history holding ExecutionStarted and then Pass events, `events` in all."""
    execution = Execution()
    history = quotas.BoundedHistory(execution)  # type: ignore[arg-type]
    context = EventHistoryContext.of_program_start()
    history.add_event(context, HistoryEventType.ExecutionStarted)
    for n in range(events - 1):
        history.add_event(
            context, HistoryEventType.PassStateEntered if n % 2 == 0 else HistoryEventType.PassStateExited
        )
    return history, execution, context


def test_the_event_that_would_be_the_25000th_fails_the_execution_and_its_end_takes_that_place():
    history, execution, context = filled(24_999)

    # When the execution writes its next event, then ends as the interpreter ends a failed execution
    history.add_event(context, HistoryEventType.PassStateEntered)
    history.add_event(context, HistoryEventType.ExecutionFailed, {"executionFailedEventDetails": execution.errors[0]})
    # and another branch still writes, then something else tries to end it
    history.add_event(context, HistoryEventType.TaskStateEntered)
    history.add_event(context, HistoryEventType.ExecutionSucceeded)

    assert execution.errors == [
        {"error": "States.Runtime", "cause": "The execution reached the maximum number of history events (25000)."}
    ]
    events = history.get_event_history()
    assert len(events) == quotas.HISTORY_MAX_EVENTS == 25_000
    assert [(e["id"], e["type"]) for e in events[-2:]] == [(24_999, "PassStateExited"), (25_000, "ExecutionFailed")]
    assert events[-1]["executionFailedEventDetails"]["error"] == "States.Runtime"


def test_an_execution_may_end_with_its_25000th_event():
    history, execution, context = filled(24_999)

    history.add_event(context, HistoryEventType.ExecutionSucceeded)

    assert execution.errors == []
    assert [e["type"] for e in history.get_event_history()[-1:]] == ["ExecutionSucceeded"]
    assert len(history.get_event_history()) == 25_000


def test_an_inline_map_runs_at_most_40_iterations_at_once():
    assert quotas.inline_concurrency(0, 50) == 40  # MaxConcurrency absent or 0: as many as AWS allows
    assert quotas.inline_concurrency(0, 3) == 3
    assert quotas.inline_concurrency(100, 50) == 40
    assert quotas.inline_concurrency(5, 50) == 5


def test_a_map_iterations_states_error_keeps_its_name():
    assert quotas.iteration_error_name("States.DataLimitExceeded") == StatesErrorName.from_name(
        "States.DataLimitExceeded"
    )
    assert isinstance(quotas.iteration_error_name("DeploymentFailed"), CustomErrorName)


def test_an_entrys_size_is_counted_as_eventbridge_counts_it():
    event = {
        "time": "2026-11-20T09:00:00Z",
        "source": "aws.ecs",
        "detail-type": "é",
        "detail": {"a": 1},
        "resources": ["arn:1", "arn:22"],
    }

    # 14 (time) + 7 (source) + 2 (é in UTF-8) + 7 ({"a":1}) + 5 + 6 (resources)
    assert quotas.event_entry_size(event) == 41
    at_limit = {"source": "s", "detail-type": "d", "detail": "x" * (262_144 - 2 - 2)}
    assert quotas.event_entry_size(at_limit) == 262_144 and quotas.oversized_entry(at_limit) is None
    refused = quotas.oversized_entry({**at_limit, "detail-type": "dd"})
    assert refused is not None and "Total size of the entries in the request is over the limit." in refused
