"""Notify: decide the target's outcome, alert when it did not end healthy, return the iteration's result."""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from pushdeploy import alerts
from pushdeploy.adapters import sns
from pushdeploy.adapters.aws import error_code
from pushdeploy.outcome import IterationState, TargetResult, decide

logger = Logger(child=True)


def notify(state: IterationState, topic: str, notify_on_success: bool) -> TargetResult:
    result = decide(state, datetime.now(UTC))
    logger.info("outcome", extra={"service": result.service, "outcome": result.outcome, "reason": result.reason})
    if not result.ok or notify_on_success or alerts.aftermath(state):
        try:
            sns.publish(
                topic,
                alerts.subject(result),
                alerts.message(result, state),
                result.model_dump_json(),
                alerts.chat(result, state),
            )
        except ClientError as exc:
            # The outcome stands and is the iteration's result; a failed target also fails the execution,
            # whose status change reaches the alert topic through EventBridge, not through this function.
            logger.error("the alert could not be published", extra={"service": result.service, "error": str(exc)})
            return result.model_copy(update={"alert_error": f"{error_code(exc)}: {exc}"})
        result = result.model_copy(update={"alerted": True})
    return result
