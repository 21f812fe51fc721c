"""Trigger step: EventBridge ECR push event -> StartExecution with a deterministic name."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushdeploy.settings import TriggerSettings
from pushdeploy.steps.trigger import trigger

SETTINGS = TriggerSettings.from_env()
logger = Logger()


@logger.inject_lambda_context(correlation_id_path="id")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Raw on purpose: the event is validated by pushdeploy.requests, which names what is wrong.
    return trigger(event, SETTINGS.state_machine_arn).model_dump(mode="json")
