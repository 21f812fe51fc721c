"""Hook: SendTaskFailure's `cause` reaches the waiting state, as on AWS.

SendTaskFailure takes an `error` and a `cause`; the failed task's TaskFailed event and the error output a
Catch receives carry both (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskFailure.html,
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html: `Error` and `Cause`). moto
5.2.5's `StepFunctionResponse.send_task_failure` reads `taskToken` and `error` only and drops the cause, although
its interpreter (`CallbackOutcomeFailure`) carries one: `pushdeploy abort` says who aborted in it. This hook reads
the cause too and hands it on.

On a moto upgrade, check that `send_task_failure(self)` still reads its parameters with `_get_param` and that the
backend's `send_task_failure` still takes `cause`; drop the hook once moto passes it itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import cast
from unittest import mock

from moto.core.responses import ActionResult, EmptyResult
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse


@contextlib.contextmanager
def install() -> Iterator[None]:
    """While active, SendTaskFailure hands the waiting task its `cause` as well as its `error`."""

    def send_task_failure(response: StepFunctionResponse) -> ActionResult:
        # The interpreter's backend (the local cloud executes state machines), which takes a cause.
        backend = cast(StepFunctionsParserBackend, response.stepfunction_backend)
        backend.send_task_failure(
            response._get_param("taskToken"), error=response._get_param("error"), cause=response._get_param("cause")
        )
        return EmptyResult()

    with mock.patch.object(StepFunctionResponse, "send_task_failure", send_task_failure):
        yield
