"""Update step: UpdateService to the registered task definition and record the new deployment."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushdeploy.steps.rollout import UpdateInput, update

logger = Logger()


@logger.inject_lambda_context(correlation_id_path="execution")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return update(UpdateInput.model_validate(event)).model_dump(mode="json")
