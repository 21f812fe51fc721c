"""Hook: Wait states, Retry backoffs and task-token waits of moto's Step Functions interpreter run on the
virtual clock.

Replaces `WaitFunction._wait_interval` (which waits on a threading.Event for real seconds), the
`time.sleep` of `RetrierDecl._eval_body` (the backoff between attempts) and `CallbackEndpoint.wait(self,
timeout=None)`, where a `.waitForTaskToken` task waits for SendTaskSuccess/SendTaskFailure (`notify` sets
`_notify_event`) for at most its TimeoutSeconds: here it waits until notified or until `timeout` seconds
of virtual time have passed, then returns `self._outcome` as moto's does (None on timeout, which moto
turns into States.Timeout).

Left on real seconds: `ExecutionState._evaluate_with_timeout` also waits `terminated_event.wait(timeout)`
around every task, but the task-token wait inside it ends at the virtual deadline and so ends that one
too, long before its real seconds run out. Also left on real seconds, as the deployer uses none of them:
`HeartbeatEndpoint.clear_and_wait` (HeartbeatSeconds), an activity's wait for a worker
(`ActivityTaskStartEndpoint.wait`) and GetActivityTask's polling.

On a moto upgrade, check that all three still exist with those signatures, that `notify` still sets
`_notify_event` after `_outcome`, and that they are still the only places the interpreter sleeps or waits
with a timeout (grep the parser for `sleep(` and `.wait(`).
"""

from __future__ import annotations

import contextlib
import threading
import types
from collections.abc import Callable, Iterator
from unittest import mock

from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint, CallbackOutcome

# event, seconds (None: no deadline) -> whether the event was set before the deadline
WaitFor = Callable[[threading.Event, float | None], bool]


@contextlib.contextmanager
def sleep_on(sleep: Callable[[float], None]) -> Iterator[None]:
    def wait_interval(self: WaitFunction, env: object, wait_seconds: int) -> None:
        sleep(wait_seconds)

    virtual_time_module = types.SimpleNamespace(sleep=sleep)
    with (
        mock.patch.object(WaitFunction, "_wait_interval", wait_interval),
        mock.patch.object(retrier_decl, "time", virtual_time_module),
    ):
        yield


@contextlib.contextmanager
def callbacks_on(wait_for: WaitFor) -> Iterator[None]:
    """While active, a task token's wait (up to the task's TimeoutSeconds) is measured in virtual time."""

    def wait(self: CallbackEndpoint, timeout: float | None = None) -> CallbackOutcome | None:
        wait_for(self._notify_event, timeout)
        return self._outcome

    with mock.patch.object(CallbackEndpoint, "wait", wait):
        yield
