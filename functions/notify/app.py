"""Notify step: the target's outcome; an SNS alert when it did not end healthy; its metrics."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushdeploy import metrics as outcome_metrics
from pushdeploy.outcome import IterationState
from pushdeploy.settings import NotifySettings
from pushdeploy.steps.notify import notify

SETTINGS = NotifySettings.from_env()
logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(correlation_id_path="execution")
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = notify(IterationState.model_validate(event), SETTINGS.alert_topic_arn, SETTINGS.notify_on_success)
    outcome_metrics.record(metrics, result)
    return result.model_dump(mode="json")
