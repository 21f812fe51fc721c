"""The SAM transform of template.yaml, read through the one evaluator."""

from __future__ import annotations

from pushdeploy_local.stack import Template, source, transformed


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
    assert len(invoked) == len(Template(source()).of_type("AWS::Serverless::Function")) - 2  # Trigger, Wake


def test_physical_values_the_caller_knows_replace_the_sample_ones():
    document, _ = transformed()
    stack = Template(document, known={"LockTable": {"Ref": "locks-1", "Arn": "arn:aws:dynamodb:x:y:table/locks-1"}})
    assert stack.resolve({"Fn::GetAtt": ["LockTable", "Arn"]}) == "arn:aws:dynamodb:x:y:table/locks-1"
    assert stack.resolve({"Fn::Sub": "${LockTable}"}) == "locks-1"
