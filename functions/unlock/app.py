"""Unlock step: release the service's lock and record what was verified healthy on it."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushdeploy.outcome import IterationState
from pushdeploy.settings import LockSettings
from pushdeploy.steps.unlock import unlock

SETTINGS = LockSettings.from_env()
logger = Logger()


@logger.inject_lambda_context(correlation_id_path="execution")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return unlock(IterationState.model_validate(event), SETTINGS.lock_table).model_dump(mode="json")
