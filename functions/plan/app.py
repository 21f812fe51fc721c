"""Plan step: validate the execution input, resolve the image, list the targets and what they run now."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushdeploy.settings import PlanSettings
from pushdeploy.steps.plan import plan

SETTINGS = PlanSettings.from_env()
logger = Logger()


@logger.inject_lambda_context(correlation_id_path="execution")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # `input` is the execution input as people and EventBridge send it: pushdeploy.requests validates it
    # and names what is wrong, which a generic parser error would not.
    _, _, _, region, account, *_ = context.invoked_function_arn.split(":")
    answer = plan(
        event.get("input"),
        SETTINGS.targets_parameter,
        SETTINGS.lock_table,
        account,
        region,
        SETTINGS.scope,
        items_bucket=SETTINGS.items_bucket,
        execution=event["execution"],
        hook_function=SETTINGS.hook_function_arn,
    )
    return answer.model_dump(mode="json")
