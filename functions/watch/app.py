"""Watch step: record the task token the state machine waits on while it watches a healthy deploy."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushdeploy.settings import LockSettings
from pushdeploy.steps.watch import WatchInput, watch

SETTINGS = LockSettings.from_env()
logger = Logger()


@logger.inject_lambda_context(correlation_id_path="execution")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return watch(WatchInput.model_validate(event), SETTINGS.lock_table).model_dump(mode="json")
