"""Lock step: take the service's lock (one deployment in flight per service)."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushdeploy.settings import LockSettings
from pushdeploy.steps.lock import LockInput, lock

SETTINGS = LockSettings.from_env()
logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(correlation_id_path="execution")
@tracer.capture_lambda_handler
@event_parser(model=LockInput)
def handler(event: LockInput, context: LambdaContext) -> dict[str, Any]:
    return lock(event, SETTINGS.lock_table).model_dump(mode="json")
