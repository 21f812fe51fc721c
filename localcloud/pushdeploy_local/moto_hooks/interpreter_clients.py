"""Hook (speed only): moto's Step Functions interpreter makes a new boto3 client for every Lambda task.

`lambda_eval_utils.boto_client_for(region, service, state_credentials)` builds a client per Task
invocation (~25-40 ms each, a third of a scenario's run time). This hook reuses one client per
region and service; boto3 clients are thread-safe. Behaviour is unchanged. On a moto upgrade, check
that `lambda_eval_utils` still imports `boto_client_for` by that name.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any
from unittest import mock

from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils


@contextlib.contextmanager
def reuse_clients() -> Iterator[None]:
    original = lambda_eval_utils.boto_client_for
    clients: dict[tuple[str, str], Any] = {}
    guard = threading.Lock()

    def cached(region: str, service: str, state_credentials: Any = None) -> Any:
        with guard:
            key = (region, service)
            if key not in clients:
                clients[key] = original(region=region, service=service, state_credentials=state_credentials)
            return clients[key]

    with mock.patch.object(lambda_eval_utils, "boto_client_for", cached):
        yield
