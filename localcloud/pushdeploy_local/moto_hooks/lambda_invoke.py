"""Hook: moto runs Lambda functions in Docker; the local cloud runs the real handlers in-process.

Replaces `moto.awslambda.models.LambdaFunction._invoke_lambda(event) -> (payload, errored, logs)`,
the one place where moto would start a container. Everything around it stays moto's: the Invoke API,
Step Functions' Lambda task (direct ARN or lambda:invoke), its error names (`errorType`), its Retry
and Catch. On a moto upgrade, check that `_invoke_lambda` still has that signature and meaning.
"""

from __future__ import annotations

import contextlib
import json
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from moto.awslambda.models import LambdaFunction

# function name, event -> the handler's result (a JSON-able value); raises what the handler raises
Router = Callable[[str, Any], Any]


def error_payload(exc: BaseException) -> dict[str, Any]:
    """The payload Lambda's Python runtime returns for an unhandled exception."""
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_tb(exc.__traceback__)[-5:],
    }


@contextlib.contextmanager
def route_invocations(router: Router) -> Iterator[None]:
    def invoke_in_process(function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        payload = json.loads(event) if isinstance(event, str | bytes) else event
        try:
            return json.dumps(router(function.function_name, payload)), False, ""
        except Exception as exc:
            return json.dumps(error_payload(exc)), True, ""

    original = LambdaFunction._invoke_lambda
    LambdaFunction._invoke_lambda = invoke_in_process  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        LambdaFunction._invoke_lambda = original  # type: ignore[method-assign]
