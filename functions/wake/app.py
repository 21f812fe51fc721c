"""Wake: an ECS task stopped (EventBridge); wake the watch of its deployment if it stopped for a failure."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushdeploy.settings import LockSettings
from pushdeploy.steps.watch import wake

SETTINGS = LockSettings.from_env()
logger = Logger()


@logger.inject_lambda_context(correlation_id_path="id")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return wake(event, SETTINGS.lock_table).model_dump(mode="json")
