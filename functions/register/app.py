"""Register step: copy the service's current task definition with only the image changed, pinned by digest."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushdeploy.settings import RegisterSettings
from pushdeploy.steps.rollout import RegisterInput, register

SETTINGS = RegisterSettings.from_env()
logger = Logger()


@logger.inject_lambda_context(correlation_id_path="execution")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return register(RegisterInput.model_validate(event), SETTINGS.scope).model_dump(mode="json")
