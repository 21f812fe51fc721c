"""Fixtures for the template tests: template.yaml loaded as data through the project's one evaluator of
its intrinsics (pushdeploy_local.stack.Template, the one the local cloud builds its resources with)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pushdeploy_local.stack import REPO_ROOT as REPO
from pushdeploy_local.stack import Template, source


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
        for entry in [statements] if isinstance(statements, Mapping) else statements:
            # A statement under Fn::If (granted in one mode of the stack) counts in each mode it exists in.
            found.extend(Statement(resource, where, dict(body)) for body in _branches(entry))

    for name, resource in template.resources.items():
        props = resource.get("Properties", {})
        kind = resource["Type"]
        if kind == "AWS::IAM::Role":
            add(name, "AssumeRolePolicyDocument", props["AssumeRolePolicyDocument"])
            for i, policy in enumerate(props.get("Policies", [])):
                add(name, f"Policies[{i}]", policy["PolicyDocument"])
        elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            # A policy put into a function's role (SAM names it `<Function>Role`) is that function's.
            roles = [role.get("Ref", "") for role in props.get("Roles", []) if isinstance(role, Mapping)]
            owners = {role.removesuffix("Role") for role in roles if role.removesuffix("Role") in template.resources}
            add(owners.pop() if len(owners) == 1 else name, "PolicyDocument", props["PolicyDocument"])
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
    return Template(source())


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
