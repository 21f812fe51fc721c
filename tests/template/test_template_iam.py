"""Least privilege in template.yaml: no wildcard action, "*" resources only where the API cannot be
scoped, iam:PassRole only for the two task roles, and each function holds exactly its contract."""

from __future__ import annotations

import json
from importlib import resources as importlib_resources
from typing import Any

import pytest

# Actions that a statement may grant on Resource "*", each because the API cannot be scoped (the AWS
# Service Authorization Reference lists no resource type for it, or none that applies here).
# test_wildcard_table_agrees_with_the_service_authorization_reference checks the table against the
# reference as cfn-lint ships it; test_wildcard_table_has_no_stale_entry keeps it no larger than used.
WILDCARD_RESOURCE_ACTIONS = {
    "ecs:DescribeTaskDefinition": "no resource type: a task definition cannot be named in a policy",
    "ecs:ListTaskDefinitions": "no resource type (a list call)",
    "ecs:RegisterTaskDefinition": (
        "the reference lists task-definition only for tag conditions; ECS does not authorise task "
        "definition actions by ARN (aws/containers-roadmap#929, open), so the family cannot be named"
    ),
    "ecs:ListTasks": (
        "its only resource type is container-instance, which Fargate tasks do not have; "
        "scoped instead by the ecs:cluster condition (REQUIRED_CONDITIONS)"
    ),
    "elasticloadbalancing:DescribeTargetHealth": "no resource type",
    "elasticloadbalancing:DescribeTargetGroups": "no resource type",
    "elasticloadbalancing:DescribeRules": "no resource type (the hook reads a listener rule's weights)",
    "cloudwatch:GetMetricData": (
        "its only resource type, dataset, is optional and names no metric of a namespace such as "
        "AWS/ApplicationELB: the ALB's metrics cannot be named in a policy"
    ),
    "states:SendTaskSuccess": "no resource type: the task token names the one waiting task",
    "ecr:GetAuthorizationToken": "no resource type: the token is for the whole registry",
    # Step Functions' logging to CloudWatch Logs goes through vended log delivery; none of these
    # accepts a resource (Step Functions developer guide, "Logging using CloudWatch Logs").
    "logs:CreateLogDelivery": "no resource type (vended log delivery)",
    "logs:GetLogDelivery": "no resource type (vended log delivery)",
    "logs:UpdateLogDelivery": "no resource type (vended log delivery)",
    "logs:DeleteLogDelivery": "no resource type (vended log delivery)",
    "logs:ListLogDeliveries": "no resource type (vended log delivery)",
    "logs:PutResourcePolicy": "no resource type (vended log delivery)",
    "logs:DescribeResourcePolicies": "no resource type (vended log delivery)",
    "logs:DescribeLogGroups": "no resource type (vended log delivery)",
}
# The resource types the reference does list for the actions above that have some (see their reason).
REFERENCE_RESOURCE_TYPES = {
    "ecs:RegisterTaskDefinition": {"task-definition"},
    "ecs:ListTasks": {"container-instance"},
    "cloudwatch:GetMetricData": {"dataset"},
}
# A "*" statement with one of these actions must carry this condition key.
REQUIRED_CONDITIONS = {"ecs:ListTasks": "ecs:cluster"}

# What each function may do: the contract of design.md and issue 3. A change here is a decision.
FUNCTION_ACTIONS = {
    "TriggerFunction": {"states:StartExecution"},
    "PlanFunction": {
        "ssm:GetParameter",
        "ssm:GetParametersByPath",  # the targets under the document, one parameter each
        "ecr:DescribeImages",
        "ecs:DescribeServices",
        "ecs:DescribeTaskDefinition",
        "ecs:ListTaskDefinitions",  # a dry run names the family's newest revision
        "dynamodb:GetItem",  # the task definitions last verified healthy, for a rollback without `to`
        "cloudwatch:DescribeAlarms",  # a target watching an alarm that does not exist is refused
        "s3:PutObject",  # the items, where the Deploy Map reads them
    },
    "LockFunction": {"dynamodb:GetItem", "dynamodb:UpdateItem", "states:DescribeExecution", "states:SendTaskSuccess"},
    "UnlockFunction": {
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "ecs:DescribeTaskDefinition",
        "ecr:BatchGetImage",
        "ecr:PutImage",
        "ecr:BatchDeleteImage",
    },
    "RegisterFunction": {
        "ecs:DescribeServices",
        "ecs:DescribeTaskDefinition",
        "ecs:ListTaskDefinitions",
        "ecs:RegisterTaskDefinition",
        "ecs:TagResource",
        "iam:PassRole",
    },
    # DeploymentStrategy=BLUE_GREEN: a native deployment's service deployment is listed, and its UpdateService
    # passes the hook's invoke role back to ECS with the service's lifecycle hooks.
    "UpdateFunction": {"ecs:UpdateService", "ecs:DescribeServices", "ecs:ListServiceDeployments", "iam:PassRole"},
    # A rollback reads its destination's status before it points the service at it.
    "RollbackFunction": {"ecs:UpdateService", "ecs:DescribeServices", "ecs:DescribeTaskDefinition"},
    "CheckFunction": {
        "ecs:DescribeServices",
        "ecs:ListTasks",
        "ecs:DescribeTasks",
        "elasticloadbalancing:DescribeTargetHealth",
        "cloudwatch:DescribeAlarms",
        # the watch's metric judge: the target group's load balancer and its metrics
        "elasticloadbalancing:DescribeTargetGroups",
        "cloudwatch:GetMetricData",
        # DeploymentStrategy=BLUE_GREEN: a native deployment's lifecycle, and the hook's judgement in the lock item.
        "ecs:DescribeServiceDeployments",
        "dynamodb:GetItem",
    },
    # DeploymentStrategy=BLUE_GREEN: the lifecycle hook reads the target's judge policy, the service's blue/green
    # load balancer and listener rules, the two target groups' metrics, and records each judgement.
    "HookFunction": {
        "ssm:GetParameter",
        "ssm:GetParametersByPath",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "ecs:DescribeServices",
        "elasticloadbalancing:DescribeRules",
        "cloudwatch:GetMetricData",
    },
    "NotifyFunction": {"sns:Publish", "kms:GenerateDataKey", "kms:Decrypt"},
    "WatchFunction": {
        "dynamodb:UpdateItem",
        "ecs:ListTasks",
        "ecs:DescribeTasks",
        "ecs:DescribeServices",
        "states:SendTaskSuccess",
    },
    "WakeFunction": {"dynamodb:GetItem", "dynamodb:Scan", "dynamodb:UpdateItem", "states:SendTaskSuccess"},
    "ApprovalFunction": {"dynamodb:UpdateItem", "sns:Publish", "kms:GenerateDataKey", "kms:Decrypt"},
}

STEP_FUNCTIONS = [
    "PlanFunction",
    "LockFunction",
    "RegisterFunction",
    "UpdateFunction",
    "CheckFunction",
    "WatchFunction",
    "ApprovalFunction",
    "RollbackFunction",
    "UnlockFunction",
    "NotifyFunction",
]


def test_statements_are_found(template, iam_statements_list):
    # Guards the collector itself: an empty list would make every test below pass vacuously.
    assert len(iam_statements_list) > 20
    assert {s.resource for s in iam_statements_list} >= set(FUNCTION_ACTIONS)


def test_no_statement_has_a_wildcard_action(iam_statements_list):
    offenders = [
        (s.resource, s.where, action)
        for s in iam_statements_list
        for action in s.actions
        if "*" in action or "?" in action
    ]
    assert offenders == []
    assert [s.resource for s in iam_statements_list if "NotAction" in s.body] == []


def test_every_statement_allows_and_names_its_resource(iam_statements_list):
    for statement in iam_statements_list:
        assert statement.body.get("Effect") == "Allow", statement
        if statement.kind != "trust":
            assert statement.resources, f"{statement.resource} {statement.where}: no Resource"
        assert "NotResource" not in statement.body


def test_wildcard_resource_only_for_actions_that_cannot_be_scoped(iam_statements_list):
    for statement in iam_statements_list:
        # In a key policy, Resource "*" means the key the policy is attached to.
        if statement.kind == "key" or "*" not in statement.resources:
            continue
        assert statement.resources == ["*"], f"{statement.resource}: '*' mixed with named resources"
        unexplained = set(statement.actions) - set(WILDCARD_RESOURCE_ACTIONS)
        assert not unexplained, f"{statement.resource} {statement.where}: {sorted(unexplained)} on '*'"
        for action in statement.actions:
            if action in REQUIRED_CONDITIONS:
                condition_keys = {key for test in statement.body.get("Condition", {}).values() for key in test}
                assert REQUIRED_CONDITIONS[action] in condition_keys, f"{action} on '*' without its condition"


def test_wildcard_table_has_no_stale_entry(iam_statements_list):
    used = {action for s in iam_statements_list if s.kind != "key" and "*" in s.resources for action in s.actions}
    assert used == set(WILDCARD_RESOURCE_ACTIONS)


def test_wildcard_table_agrees_with_the_service_authorization_reference():
    try:
        spec = importlib_resources.files("cfnlint.data.AdditionalSpecs").joinpath("Policies.json")
        reference = json.loads(spec.read_text())
    except (ModuleNotFoundError, FileNotFoundError):
        pytest.skip("cfn-lint (which ships the Service Authorization Reference as Policies.json) is not installed")
    for action in WILDCARD_RESOURCE_ACTIONS:
        service, name = action.split(":")
        listed = set(reference[service]["Actions"][name.lower()].get("Resources", []))
        assert listed == REFERENCE_RESOURCE_TYPES.get(action, set()), (
            f"{action}: the reference lists {sorted(listed)}; scope it or update the table's reason"
        )


def test_pass_role_only_for_the_two_task_roles_and_the_hooks_invoke_role(template, iam_statements_list):
    passing = [s for s in iam_statements_list if any(a.lower().startswith("iam:") for a in s.actions)]
    assert [(s.resource, s.actions) for s in passing if s.kind != "trust"] == [
        ("RegisterFunction", ["iam:PassRole"]),
        ("UpdateFunction", ["iam:PassRole"]),
    ]
    statement, hooks_role = [s for s in passing if s.kind != "trust"]
    # A native deployment's UpdateService sends the service's lifecycle hooks back, naming the invoke role.
    assert hooks_role.resources == [{"Fn::GetAtt": ["HookInvokeRole", "Arn"]}]
    assert hooks_role.body["Condition"] == {"StringEquals": {"iam:PassedToService": "ecs.amazonaws.com"}}
    assert statement.body["Condition"] == {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    # Both modes of the stack: the roles it creates, or the existing service's roles.
    assert statement.resources == [
        {"Fn::GetAtt": ["TaskExecutionRole", "Arn"]},
        {"Ref": "ExistingTaskExecutionRoleArn"},
        {"Fn::GetAtt": ["TaskRole", "Arn"]},
        {"Ref": "ExistingTaskRoleArn"},
    ]
    task_definition = template.resources["TaskDefinition"]["Properties"]
    assert task_definition["ExecutionRoleArn"] == {"Fn::GetAtt": ["TaskExecutionRole", "Arn"]}
    assert task_definition["TaskRoleArn"] == {"Fn::GetAtt": ["TaskRole", "Arn"]}


@pytest.mark.parametrize("function", sorted(FUNCTION_ACTIONS))
def test_each_function_holds_exactly_its_contract(function, iam_statements_list):
    granted = {a for s in iam_statements_list if s.resource == function for a in s.actions}
    assert granted == FUNCTION_ACTIONS[function]


def test_every_function_is_in_the_contract(template):
    assert set(template.of_type("AWS::Serverless::Function")) == set(FUNCTION_ACTIONS)


def test_no_managed_policy_and_only_lambda_invoke_policy_templates(template, sam_templates):
    # SAM itself adds AWSLambdaBasicExecutionRole (logs) and, with tracing, X-Ray write access; the
    # template adds no managed policy of its own (the guide's AmazonECSTaskExecutionRolePolicy included), but
    # the one AWS writes for ECS's blue/green load balancer role (its actions follow ECS's needs).
    managed = {
        name: role["Properties"]["ManagedPolicyArns"]
        for name, role in template.of_type("AWS::IAM::Role").items()
        if "ManagedPolicyArns" in role["Properties"]
    }
    assert managed == {
        "EcsLoadBalancerRole": [
            {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"}
        ]
    }
    assert set(sam_templates) == {"DeployStateMachine"}
    invoked = [
        entry["LambdaInvokePolicy"]["FunctionName"]
        for entry in sam_templates["DeployStateMachine"]
        if list(entry) == ["LambdaInvokePolicy"]
    ]
    assert len(invoked) == len(sam_templates["DeployStateMachine"])
    assert sorted(ref["Ref"] for ref in invoked) == sorted(STEP_FUNCTIONS)


def test_ecs_permissions_are_scoped_to_the_cluster(template, iam_statements_list):
    arn = "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}"
    for statement in iam_statements_list:
        if {"ecs:DescribeServices", "ecs:UpdateService"} & set(statement.actions):
            assert statement.resources == [{"Fn::Sub": f"{arn}:service/${{ClusterName}}/*"}]
        if "ecs:DescribeTasks" in statement.actions:
            assert statement.resources == [{"Fn::Sub": f"{arn}:task/${{ClusterName}}/*"}]
    # In the stack that creates the service, ClusterName is the created cluster's name.
    assert template.resources["Cluster"]["Properties"]["ClusterName"] == {"Ref": "ClusterName"}


@pytest.mark.parametrize(
    ("function", "action"), [("PlanFunction", "ecr:DescribeImages"), ("UnlockFunction", "ecr:PutImage")]
)
def test_ecr_permissions_name_each_watched_repository(template, function, action):
    def arns(t: Any) -> list[str]:
        policy = t.resources[function]["Properties"]["Policies"][0]
        (statement,) = [
            s
            for s in policy["Statement"]
            if action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        ]
        return t.resolve(statement["Resource"])

    prefix = "arn:aws:ecr:us-east-1:123456789012:repository/"
    assert arns(template) == [prefix + "aiuteur-backend"]
    five = template.with_parameters(WatchedRepositories="a,b,c,d,e")
    assert arns(five) == [prefix + name for name in "abcde"]
    assert arns(template.with_parameters(WatchedRepositories="x,y")) == [prefix + "x", prefix + "y"]


def test_task_execution_role_reads_only_the_task_secrets(template):
    policy = template.resources["TaskExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    (statement,) = [s for s in policy["Statement"] if s["Action"] == "secretsmanager:GetSecretValue"]
    container = template.resources["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    assert sorted(r["Ref"] for r in statement["Resource"]) == sorted(
        s["ValueFrom"]["Ref"] for s in container["Secrets"]
    )


def test_alert_topic_policy_names_its_publishers(template):
    statements = template.resources["AlertTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    sources = sorted(
        (s["Principal"]["Service"], s["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::GetAtt"][0]) for s in statements
    )
    assert sources == [
        ("cloudwatch.amazonaws.com", "RollbackFailedAlarm"),
        ("cloudwatch.amazonaws.com", "TriggerDeadLetterAlarm"),
        ("events.amazonaws.com", "ExecutionFailedRule"),
    ]


def test_alert_topic_is_encrypted_with_a_key_eventbridge_can_use(template):
    # alias/aws/sns would make the ExecutionFailedRule's deliveries fail: EventBridge and CloudWatch
    # alarms need kms:GenerateDataKey in the key policy, and an AWS managed key's policy cannot grant it.
    topic = template.resources["AlertTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Ref": "AlertTopicKey"}
    key = template.resources["AlertTopicKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    services = [s for s in key["KeyPolicy"]["Statement"] if "Service" in s["Principal"]]
    assert sorted(services[0]["Principal"]["Service"]) == ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    assert sorted(services[0]["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
