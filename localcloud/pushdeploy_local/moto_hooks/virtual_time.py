"""Hook: Wait states and Retry backoffs of moto's Step Functions interpreter sleep on the virtual clock.

Replaces `WaitFunction._wait_interval` (which waits on a threading.Event for real seconds) and the
`time.sleep` of `RetrierDecl._eval_body` (the backoff between attempts). On a moto upgrade, check that
both still exist and are still the only places the interpreter sleeps (grep the parser for `sleep(`
and `.wait(`).
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Callable, Iterator
from unittest import mock

from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction


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
