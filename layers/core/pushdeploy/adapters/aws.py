"""The boto3 client factory and the translation of AWS errors into pushdeploy's errors."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config
from botocore.exceptions import ClientError

from pushdeploy.errors import Throttled

logger = Logger(child=True)

# Adaptive retries: a throttle is slowed down and retried, never a failure (design.md). The token
# buckets are per account and Region and shared with every other client (aws-facts.md).
CLIENT_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 8}, user_agent_extra="pushdeploy")

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "RequestThrottled",
    }
)


@functools.cache
def client(service: str) -> Any:
    """One client per service and process, reused across warm invocations."""
    return boto3.client(service, config=CLIENT_CONFIG)  # type: ignore[call-overload]


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate_throttling[**P, R](call: Callable[P, R]) -> Callable[P, R]:
    """Raise Throttled (retried by the state machine) when the SDK's own retries ran out on a throttle."""

    @functools.wraps(call)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return call(*args, **kwargs)
        except ClientError as exc:
            if error_code(exc) in THROTTLING_CODES:
                logger.warning("AWS throttled %s after retries", call.__qualname__, extra={"error": str(exc)})
                raise Throttled(f"{call.__qualname__}: {exc}") from exc
            raise

    return wrapper
