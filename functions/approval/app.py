"""Approval step: record the task token a deployment waits on for approval, and say how to answer it."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushdeploy.settings import ApprovalSettings
from pushdeploy.steps.approval import ApprovalInput, ask

SETTINGS = ApprovalSettings.from_env()
logger = Logger()


@logger.inject_lambda_context(correlation_id_path="execution")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    asked = ask(ApprovalInput.model_validate(event), SETTINGS.lock_table, SETTINGS.alert_topic_arn)
    return asked.model_dump(mode="json")
