"""Register step: copy the service's current task definition with only the image changed, pinned by digest."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushdeploy.steps.rollout import RegisterInput, register

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(correlation_id_path="execution")
@tracer.capture_lambda_handler
@event_parser(model=RegisterInput)
def handler(event: RegisterInput, context: LambdaContext) -> dict[str, Any]:
    return register(event).model_dump(mode="json")
