"""Hook: a Task's AWS SDK integration (`arn:aws:states:::aws-sdk:<service>:<action>`) is called and answers as on AWS.

Step Functions takes an SDK integration's parameters in PascalCase (`MapRunArn`) and calls the service's API
with them; it renders the response with every field name in PascalCase, whatever the service's wire casing
(DescribeMapRun's `itemCounts.failed` reaches the state as `ItemCounts.Failed`), and a timestamp as the SDK's
ISO-8601 text. https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html and the
responses as measured on AWS: https://github.com/floci-io/floci (StepFunctionsDescribeMapRunIntegrationTest,
"describeMapRunTaskReturnsThePascalCaseResponseWithIsoDates").

moto 5.2.5's StateTaskServiceAwsSdk (ported from LocalStack) leaves out LocalStack's two normalisations:
`_normalise_parameters(self, parameters)` and `_normalise_response(self, response)` are the base class's no-ops,
so boto3 gets `MapRunArn` where its model names `mapRunArn` (the call fails) and the state gets boto3's
camelCase and datetime objects. This hook gives them the bodies LocalStack has, with moto's own helpers
(`_to_boto_request`, `_from_boto_response`: the operation's input and output shapes), and writes timestamps
as text. Modelling choice: only the response's structures are renamed (a map's keys are data, and stay).

On a moto upgrade, check those two signatures and the helpers', and whether moto started normalising itself
(then this hook may go).
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator
from typing import Any
from unittest import mock

import botocore.session
from botocore import xform_name
from moto.core.utils import iso_8601_datetime_with_milliseconds
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
    StateTaskServiceAwsSdk,
)


def iso_timestamps(node: Any) -> Any:
    """A response with each timestamp as the SDK's ISO-8601 text (milliseconds, UTC)."""
    if isinstance(node, dict):
        return {key: iso_timestamps(value) for key, value in node.items()}
    if isinstance(node, list):
        return [iso_timestamps(item) for item in node]
    if isinstance(node, datetime.datetime):
        return iso_8601_datetime_with_milliseconds(node)
    return node


def _operation(task: StateTaskServiceAwsSdk) -> Any:
    service = botocore.session.get_session().get_service_model(task._get_boto_service_name())
    return service.operation_model(xform_name_reverse(service, task._get_boto_service_action()))


def xform_name_reverse(service: Any, action: str) -> str:
    """The operation botocore names `action` in snake case (describe_map_run -> DescribeMapRun)."""
    return next(name for name in service.operation_names if xform_name(name) == action)


@contextlib.contextmanager
def install() -> Iterator[None]:
    """While active, an SDK integration's parameters and response are AWS's."""

    def normalise_parameters(task: StateTaskServiceAwsSdk, parameters: dict[str, Any], *_: Any) -> None:
        shape = _operation(task).input_shape
        if shape is not None:
            task._to_boto_request(parameters, shape)

    def normalise_response(task: StateTaskServiceAwsSdk, response: Any, *_: Any) -> None:
        shape = _operation(task).output_shape
        if shape is not None and isinstance(response, dict):
            task._from_boto_response(response, shape)
            response.update(iso_timestamps(response))

    with (
        mock.patch.object(StateTaskServiceAwsSdk, "_normalise_parameters", normalise_parameters),
        mock.patch.object(StateTaskServiceAwsSdk, "_normalise_response", normalise_response),
    ):
        yield
