"""Update step: UpdateService to the registered task definition and record the new deployment."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushdeploy.steps.rollout import UpdateInput, update

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(correlation_id_path="execution")
@tracer.capture_lambda_handler
@event_parser(model=UpdateInput)
def handler(event: UpdateInput, context: LambdaContext) -> dict[str, Any]:
    return update(event).model_dump(mode="json")
