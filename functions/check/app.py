"""Check step: one probe of the rollout and one verdict."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushdeploy.settings import CheckSettings
from pushdeploy.steps.check import CheckInput, check

SETTINGS = CheckSettings.from_env()
logger = Logger()


@logger.inject_lambda_context(correlation_id_path="execution")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return check(CheckInput.model_validate(event), SETTINGS.lock_table).model_dump(mode="json")
