"""The SAM transform of template.yaml, read through the one evaluator."""

from __future__ import annotations

import re

import pytest

from pushdeploy_local.stack import PSEUDO, REPO_ROOT, Artifacts, Template, source, transformed
from pushdeploy_local.stack.build import build, creation_order, physical_name


def test_the_transform_expands_each_function_into_a_role_with_its_policies():
    document, artifacts = transformed()
    stack = Template(document)
    plan = stack.resources["PlanFunction"]
    assert plan["Type"] == "AWS::Lambda::Function"
    role = stack.resolve(plan["Properties"]["Role"])
    assert role.endswith(":role/PlanFunctionRole")
    statements = [
        statement
        for policy in stack.resolve(stack.resources["PlanFunctionRole"]["Properties"]["Policies"])
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    read_targets = next(s for s in statements if s.get("Sid") == "ReadTargets")
    assert read_targets["Resource"] == "arn:aws:ssm:us-east-1:123456789012:parameter/pushdeploy/targets"
    assert artifacts.of("PlanFunction").name == "plan"


def test_a_sam_policy_template_comes_out_expanded_for_the_state_machine():
    document, _ = transformed()
    stack = Template(document)
    policies = stack.resolve(stack.resources["DeployStateMachineRole"]["Properties"]["Policies"])
    invoked = {
        statement["Resource"]
        for policy in policies
        for statement in policy["PolicyDocument"]["Statement"]
        if statement["Action"] == ["lambda:InvokeFunction"]
    }
    assert "arn:aws:lambda:us-east-1:123456789012:function:pushdeploy-NotifyFunction*" in invoked
    # Not the state machine's: Trigger, Wake, and the Hook (ECS invokes it; the default stack has none)
    assert len(invoked) == len(Template(source()).of_type("AWS::Serverless::Function")) - 3


def test_physical_values_the_caller_knows_replace_the_sample_ones():
    document, _ = transformed()
    stack = Template(document, known={"LockTable": {"Ref": "locks-1", "Arn": "arn:aws:dynamodb:x:y:table/locks-1"}})
    assert stack.resolve({"Fn::GetAtt": ["LockTable", "Arn"]}) == "arn:aws:dynamodb:x:y:table/locks-1"
    assert stack.resolve({"Fn::Sub": "${LockTable}"}) == "locks-1"


def test_each_resource_is_created_after_what_it_references_and_its_depends_on():
    document, _ = transformed()
    stack = Template(document, {"VpcId": "vpc-1", "SubnetIds": ["subnet-1", "subnet-2"]})
    order = creation_order(stack)
    position = {name: index for index, name in enumerate(order)}
    assert position["PlanFunctionRole"] < position["PlanFunction"] < position["DeployStateMachine"]
    assert position["HttpListener"] < position["Service"]  # DependsOn
    assert position["TaskDefinition"] < position["Service"] and position["Repository"] < position["TaskDefinition"]
    # The Conditions decide what exists: no certificate, no RDS group, no e-mail, no chat channel, and
    # (DeploymentStrategy=ROLLING) no blue/green load balancer, hook or their roles
    absent = {
        "HttpsListener",
        "RdsFromTasksIngress",
        "AlertEmailSubscription",
        "ChatChannelRole",
        "SlackAlerts",
        "TeamsAlerts",
        "AlternateTargetGroup",
        "ProductionListenerRule",
        "TestListener",
        "TestListenerRule",
        "EcsLoadBalancerRole",
        "HookFunction",
        "HookFunctionRole",
        "HookInvokeRole",
    }
    assert absent.isdisjoint(order)
    assert len(order) == len(document["Resources"]) - len(absent)


def test_a_type_the_local_cloud_cannot_create_fails_the_build_naming_it():
    document = {"Parameters": {}, "Resources": {"Stream": {"Type": "AWS::Kinesis::Stream", "Properties": {}}}}
    with pytest.raises(NotImplementedError, match=r"Stream: the local cloud cannot create AWS::Kinesis::Stream"):
        build(document, Artifacts(REPO_ROOT, {}), {}, clients=None, pseudo=PSEUDO)  # type: ignore[arg-type]


def test_a_generated_name_is_cloudformations_shape_and_the_same_on_every_run():
    name = physical_name("pushdeploy", "LockTable")
    assert re.fullmatch(r"pushdeploy-LockTable-[A-Z2-7]{12}", name)
    assert name == physical_name("pushdeploy", "LockTable") != physical_name("pushdeploy", "AlertTopic")
    assert len(physical_name("a-rather-long-stack-name", "ATargetGroupLogicalId", 32)) == 32
