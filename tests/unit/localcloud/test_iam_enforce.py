"""Enforcement as botocore sees it: a refused call raises the ClientError AWS's answer would raise, before any
request leaves the client; EventBridge's deliveries follow the functions' resource policies."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from pushdeploy_local.iam.calls import Where
from pushdeploy_local.iam.enforce import Enforcer
from pushdeploy_local.iam.policy import Request
from pushdeploy_local.iam.stack import ACCOUNT, REGION, function_arn, role_policies, rule_arn

TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:pushdeploy-alerts"


def enforced_client(service: str, caller: str, enforcer: Enforcer) -> Any:
    """A client whose every call is authorized for `caller`, as LocalCloud hooks the deployer's session."""
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    session.events.register("before-parameter-build", enforcer.remember_params)
    session.events.register("before-call", lambda model, context, **_: enforcer.authorize_call(caller, model, context))
    return session.client(service)  # type: ignore[call-overload]


def enforcer(*removals: tuple[str, str]) -> Enforcer:
    stack = role_policies().without(removals)
    return Enforcer(stack, Where(ACCOUNT, REGION, stack.topic_keys, lambda family: 2))


@pytest.mark.parametrize(
    ("service", "caller", "removed", "call", "code", "status"),
    [
        ("sns", "NotifyFunction", "sns:Publish", {"TopicArn": TOPIC, "Message": "m"}, "AuthorizationError", 403),
        ("sns", "NotifyFunction", "kms:GenerateDataKey", {"TopicArn": TOPIC, "Message": "m"}, "KMSAccessDenied", 400),
        (
            "ecs",
            "UpdateFunction",
            "ecs:UpdateService",
            {"cluster": "c", "service": "s", "taskDefinition": "f:1"},
            "AccessDeniedException",
            400,
        ),
        (
            "elbv2",
            "CheckFunction",
            "elasticloadbalancing:DescribeTargetHealth",
            {"TargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1"},
            "AccessDenied",
            403,
        ),
    ],
)
def test_a_refused_call_raises_the_services_own_error(service, caller, removed, call, code, status):
    client = enforced_client(service, caller, enforcer((caller, removed)))
    operation = {"sns": "publish", "ecs": "update_service", "elbv2": "describe_target_health"}[service]

    with pytest.raises(ClientError) as refused:
        getattr(client, operation)(**call)

    error = refused.value.response["Error"]
    assert (error["Code"], refused.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    assert f"assumed-role/{caller}Role/{caller} is not authorized to perform: {removed}" in error["Message"]


def answered_by_the_service(client: Any) -> list[str]:
    """Stand in for the service after the enforcement's hook: each call that reaches it is answered 200."""
    reached: list[str] = []

    def answer(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        reached.append(model.name)
        return AWSResponse("https://local", 200, {}, None), {"service": {"serviceName": "s"}}

    client.meta.events.register("before-call", answer)
    return reached


def test_a_call_the_role_allows_goes_on_to_the_service():
    client = enforced_client("ecs", "UpdateFunction", enforcer())
    reached = answered_by_the_service(client)

    answer = client.update_service(cluster="aiuteur-cluster", service="s", taskDefinition="f:1")

    assert reached == ["UpdateService"] and answer["service"] == {"serviceName": "s"}
    # The control: the permission taken out, the hook answers and the service never sees the call.
    refusing = enforced_client("ecs", "UpdateFunction", enforcer(("UpdateFunction", "ecs:UpdateService")))
    never = answered_by_the_service(refusing)
    with pytest.raises(ClientError, match="AccessDeniedException"):
        refusing.update_service(cluster="aiuteur-cluster", service="s", taskDefinition="f:1")
    assert never == []


def test_eventbridge_invokes_a_function_only_for_the_rule_its_permission_names():
    guard = enforcer()

    assert guard.delivers(rule_arn("EcrPushRule"), function_arn("TriggerFunction"))
    assert guard.delivers(rule_arn("TaskStoppedRule"), function_arn("WakeFunction"))
    assert not guard.delivers(rule_arn("TaskStoppedRule"), function_arn("TriggerFunction"))
    assert [(d.function, d.action) for d in guard.denied] == [("events.amazonaws.com", "lambda:InvokeFunction")]


def test_the_state_machine_invokes_only_its_functions():
    guard = enforcer()

    assert guard.check("DeployStateMachine", _invoke("PlanFunction")) is None
    assert guard.check("DeployStateMachine", _invoke("TriggerFunction")) is not None


def _invoke(function: str) -> Request:
    return Request.of("lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}")
