"""Hook: ECS's lifecycle hook of a native deployment; judges the new version's metrics against the stable one's."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushdeploy.settings import HookSettings
from pushdeploy.steps.hook import hook

SETTINGS = HookSettings.from_env()
logger = Logger()


@logger.inject_lambda_context(correlation_id_path="resourceArn")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return hook(event, SETTINGS.targets_parameter, SETTINGS.lock_table).answer()
