"""AWS Systems Manager Parameter Store: the targets document."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError
from pydantic import ValidationError

from pushdeploy.adapters.aws import client, translate_throttling
from pushdeploy.errors import InvalidRequest
from pushdeploy.models import TargetsConfig
from pushdeploy.requests import describe_validation_error

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient


@translate_throttling
def load_targets(parameter: str, *, ssm: SSMClient | None = None) -> TargetsConfig:
    ssm = ssm or client("ssm")
    try:
        text = ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
    except ClientError as exc:
        raise InvalidRequest(f"targets parameter {parameter!r} cannot be read: {exc}") from exc
    try:
        return TargetsConfig.model_validate_json(text)
    except ValidationError as exc:
        raise InvalidRequest(f"targets parameter {parameter!r}: {describe_validation_error(exc)}") from exc
