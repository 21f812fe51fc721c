"""Rollback step: UpdateService back to the task definition that ran before."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushdeploy.steps.rollout import RollbackInput, rollback

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(correlation_id_path="execution")
@tracer.capture_lambda_handler
@event_parser(model=RollbackInput)
def handler(event: RollbackInput, context: LambdaContext) -> dict[str, Any]:
    return rollback(event).model_dump(mode="json")
