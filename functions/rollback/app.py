"""Rollback step: UpdateService back to the task definition that ran before."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushdeploy.steps.rollout import RollbackInput, rollback

logger = Logger()


@logger.inject_lambda_context(correlation_id_path="execution")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return rollback(RollbackInput.model_validate(event)).model_dump(mode="json")
