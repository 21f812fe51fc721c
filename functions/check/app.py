"""Check step: one probe of the rollout and one verdict."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushdeploy.steps.check import CheckInput, check

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(correlation_id_path="execution")
@tracer.capture_lambda_handler
@event_parser(model=CheckInput)
def handler(event: CheckInput, context: LambdaContext) -> dict[str, Any]:
    return check(event).model_dump(mode="json")
