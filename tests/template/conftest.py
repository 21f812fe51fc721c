"""Fixtures for the template tests: template.yaml loaded as data, with a small evaluator of its intrinsics.

The evaluator resolves Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::If and the
condition functions with the parameters' defaults (or overrides), pseudo parameters of a sample
account, and plausible values for the resources' own references. It is enough to read what a
deployed stack would hold; it is not CloudFormation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cfn_flip import load_yaml

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO / "template.yaml"

REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK = "pushdeploy"
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::StackName": STACK,
    "AWS::URLSuffix": "amazonaws.com",
}


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()

_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


@dataclass
class Template:
    """template.yaml as data, and the values it resolves to for a set of parameter values."""

    data: dict[str, Any]
    overrides: dict[str, Any] = field(default_factory=dict)

    # --- structure -------------------------------------------------------------------------------
    @property
    def resources(self) -> dict[str, Any]:
        return self.data["Resources"]

    def of_type(self, resource_type: str) -> dict[str, Any]:
        return {k: v for k, v in self.resources.items() if v["Type"] == resource_type}

    def functions(self) -> dict[str, dict[str, Any]]:
        """Every AWS::Serverless::Function's properties with Globals.Function merged in, as SAM does."""
        defaults = self.data.get("Globals", {}).get("Function", {})
        merged: dict[str, dict[str, Any]] = {}
        for name, resource in self.of_type("AWS::Serverless::Function").items():
            props = {**defaults, **resource["Properties"]}
            variables = {
                **defaults.get("Environment", {}).get("Variables", {}),
                **resource["Properties"].get("Environment", {}).get("Variables", {}),
            }
            props["Environment"] = {"Variables": variables}
            merged[name] = props
        return merged

    def with_parameters(self, **overrides: Any) -> Template:
        return Template(self.data, {**self.overrides, **overrides})

    # --- evaluation ------------------------------------------------------------------------------
    def parameter(self, name: str) -> Any:
        spec = self.data["Parameters"][name]
        value = self.overrides.get(name, spec.get("Default"))
        if value is None:
            raise KeyError(f"parameter {name} has no default and no override")
        if spec["Type"] == "CommaDelimitedList" and isinstance(value, str):
            return value.split(",")
        return str(value) if spec["Type"] == "Number" else value

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.data["Conditions"][name]))

    def exists(self, logical_id: str) -> bool:
        condition = self.resources[logical_id].get("Condition")
        return condition is None or self.condition(condition)

    def ref(self, name: str) -> Any:
        if name in PSEUDO:
            return PSEUDO[name]
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.data["Parameters"]:
            return self.parameter(name)
        resource = self.resources[name]
        kind, props = resource["Type"], resource.get("Properties", {})
        named_by = {
            "AWS::ECS::Cluster": "ClusterName",
            "AWS::ECR::Repository": "RepositoryName",
            "AWS::SSM::Parameter": "Name",
            "AWS::Logs::LogGroup": "LogGroupName",
            "AWS::ECS::Service": "ServiceName",
        }
        if kind in named_by and named_by[kind] in props:
            value = self.resolve(props[named_by[kind]])
            if kind == "AWS::ECS::Service":
                return f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{self.resolve(props['Cluster'])}/{value}"
            return value
        arns = {
            "AWS::Serverless::StateMachine": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}",
            "AWS::SNS::Topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:{STACK}-{name}",
            "AWS::SecretsManager::Secret": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbCdEf",
            "AWS::ECS::TaskDefinition": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{name}:1",
        }
        if kind in arns:
            return arns[kind]
        return f"{STACK}-{name}"

    def get_att(self, name: str, attribute: str) -> Any:
        resource = self.resources[name]
        kind = resource["Type"]
        if attribute == "Arn" and kind == "AWS::Serverless::Function":
            return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{STACK}-{name}"
        if attribute == "Arn" and kind == "AWS::IAM::Role":
            return f"arn:aws:iam::{ACCOUNT}:role/{self.resolve(resource['Properties'].get('RoleName', name))}"
        if attribute == "Name" and kind == "AWS::ECS::Service":
            return self.resolve(resource["Properties"]["ServiceName"])
        if attribute == "RepositoryUri":
            return f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{self.ref(name)}"
        return f"arn:aws:fake:{REGION}:{ACCOUNT}:{name}/{attribute}"

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            items = [self.resolve(item) for item in node]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(node, Mapping):
            return node
        if len(node) != 1:
            resolved = {key: self.resolve(value) for key, value in node.items()}
            return {key: value for key, value in resolved.items() if value is not NO_VALUE}
        ((key, arg),) = node.items()
        if key == "Ref":
            return self.ref(arg)
        if key == "Fn::GetAtt":
            name, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            return self.get_att(name, attribute)
        if key == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            values = {k: self.resolve(v) for k, v in variables.items()}
            return _SUB_VARIABLE.sub(lambda m: str(self._sub_variable(m.group(1), values)), text)
        if key == "Fn::Join":
            return arg[0].join(str(v) for v in self.resolve(arg[1]))
        if key == "Fn::Select":
            return self.resolve(arg[1])[int(self.resolve(arg[0]))]
        if key == "Fn::Split":
            return str(self.resolve(arg[1])).split(arg[0])
        if key == "Fn::If":
            return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])
        if key == "Fn::Equals":
            return self.resolve(arg[0]) == self.resolve(arg[1])
        if key == "Fn::Not":
            return not self.resolve(arg[0])
        if key == "Fn::And":
            return all(self.resolve(a) for a in arg)
        if key == "Fn::Or":
            return any(self.resolve(a) for a in arg)
        if key == "Condition":
            return self.condition(arg)
        return {key: self.resolve(arg)}

    def _sub_variable(self, name: str, values: dict[str, Any]) -> Any:
        if name in values:
            return values[name]
        if "." in name:
            resource, attribute = name.split(".", 1)
            return self.get_att(resource, attribute)
        return self.ref(name)


@dataclass(frozen=True)
class Statement:
    """One IAM statement of the template, with where it lives."""

    resource: str  # logical id
    where: str  # e.g. "Policies[0]", "KeyPolicy", "AssumeRolePolicyDocument"
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        """identity | resource | trust | key: what the statement's Resource means."""
        if self.where == "AssumeRolePolicyDocument":
            return "trust"
        if self.where == "KeyPolicy":
            return "key"
        return "resource" if "Principal" in self.body else "identity"

    @property
    def actions(self) -> list[str]:
        action = self.body.get("Action", [])
        return [action] if isinstance(action, str) else list(action)

    @property
    def resources(self) -> list[Any]:
        """The statement's Resource for every mode of the stack (both branches of each Fn::If)."""
        raw = self.body.get("Resource", [])
        raw = raw if isinstance(raw, list) else [raw]
        found: list[Any] = []
        for item in raw:
            found.extend(_branches(item))
        return found


def _branches(node: Any) -> Iterator[Any]:
    if isinstance(node, Mapping) and list(node) == ["Fn::If"]:
        for branch in node["Fn::If"][1:]:
            yield from _branches(branch)
    elif node != {"Ref": "AWS::NoValue"}:
        yield node


def iam_statements(template: Template) -> list[Statement]:
    """Every policy statement written in the template.

    SAM policy templates are not statements: see sam_policy_templates."""
    found: list[Statement] = []

    def add(resource: str, where: str, document: Mapping[str, Any]) -> None:
        statements = document.get("Statement", [])
        for body in [statements] if isinstance(statements, Mapping) else statements:
            found.append(Statement(resource, where, dict(body)))

    for name, resource in template.resources.items():
        props = resource.get("Properties", {})
        kind = resource["Type"]
        if kind == "AWS::IAM::Role":
            add(name, "AssumeRolePolicyDocument", props["AssumeRolePolicyDocument"])
            for i, policy in enumerate(props.get("Policies", [])):
                add(name, f"Policies[{i}]", policy["PolicyDocument"])
        elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            add(name, "PolicyDocument", props["PolicyDocument"])
        elif kind in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
            for i, policy in enumerate(props.get("Policies", [])):
                if isinstance(policy, Mapping) and "Statement" in policy:
                    add(name, f"Policies[{i}]", policy)
        elif kind in ("AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy", "AWS::S3::BucketPolicy"):
            add(name, "PolicyDocument", props["PolicyDocument"])
        elif kind == "AWS::KMS::Key":
            add(name, "KeyPolicy", props["KeyPolicy"])
    return found


def sam_policy_templates(template: Template) -> dict[str, list[Any]]:
    """Per serverless resource, its Policies entries that are not inline statements (SAM policy
    templates such as LambdaInvokePolicy, or managed policy names)."""
    found: dict[str, list[Any]] = {}
    for kind in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
        for name, resource in template.of_type(kind).items():
            policies = resource["Properties"].get("Policies", [])
            policies = [policies] if isinstance(policies, str) else policies
            others = [p for p in policies if not (isinstance(p, Mapping) and "Statement" in p)]
            if others:
                found[name] = others
    return found


@pytest.fixture(scope="session")
def template() -> Template:
    return Template(json.loads(json.dumps(load_yaml(TEMPLATE_PATH.read_text()))))


@pytest.fixture(scope="session")
def asl_path(template: Template) -> Path:
    path = REPO / template.resources["DeployStateMachine"]["Properties"]["DefinitionUri"]
    if not path.is_file():
        pytest.skip(f"{path.relative_to(REPO)} is not written yet")
    return path


@pytest.fixture(scope="session")
def iam_statements_list(template: Template) -> list[Statement]:
    return iam_statements(template)


@pytest.fixture(scope="session")
def sam_templates(template: Template) -> dict[str, list[Any]]:
    return sam_policy_templates(template)
