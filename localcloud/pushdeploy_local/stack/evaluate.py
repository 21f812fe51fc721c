"""The one evaluator of template.yaml's intrinsics, for the source template and the transformed one.

It resolves Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::If and the condition
functions (CloudFormation's intrinsic function reference:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html)
with the parameters' defaults (or overrides) and the pseudo parameters of an account. A resource's
Ref and attributes are what the caller knows of it (`known`: the local cloud passes the physical ids
of what it created) or, for a resource not created, the values CloudFormation would give it in the
sample account. It is enough to read what a deployed stack holds; it is not CloudFormation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK = "pushdeploy"
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::StackName": STACK,
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/7c1c2f30-5b1e-11f0-9a4e-0a1b2c3d4e5f",
    "AWS::URLSuffix": "amazonaws.com",
}


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()

_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")

# The property that names a resource, where its Ref is that name (AWS::*'s "Return values" sections).
_NAMED_BY = {
    "AWS::ECS::Cluster": "ClusterName",
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::SSM::Parameter": "Name",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::ECS::Service": "ServiceName",
    "AWS::Lambda::Function": "FunctionName",
}


@dataclass
class Template:
    """A template as data, and the values it resolves to for a set of parameter values."""

    data: dict[str, Any]
    overrides: dict[str, Any] = field(default_factory=dict)
    pseudo: dict[str, str] = field(default_factory=lambda: dict(PSEUDO))
    known: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # logical id -> {"Ref": .., attr: ..}

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
        return Template(self.data, {**self.overrides, **overrides}, self.pseudo, self.known)

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
        if name in self.pseudo:
            return self.pseudo[name]
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.data["Parameters"]:
            return self.parameter(name)
        if "Ref" in self.known.get(name, {}):
            return self.known[name]["Ref"]
        region, account, stack = self._where()
        resource = self.resources[name]
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind in _NAMED_BY and _NAMED_BY[kind] in props:
            value = self.resolve(props[_NAMED_BY[kind]])
            if kind == "AWS::ECS::Service":
                return f"arn:aws:ecs:{region}:{account}:service/{self.resolve(props['Cluster'])}/{value}"
            return value
        if kind == "AWS::Serverless::StateMachine" and "Name" in props:
            return f"arn:aws:states:{region}:{account}:stateMachine:{self.resolve(props['Name'])}"
        if kind == "AWS::StepFunctions::StateMachine" and "StateMachineName" in props:
            return f"arn:aws:states:{region}:{account}:stateMachine:{self.resolve(props['StateMachineName'])}"
        arns = {
            "AWS::Serverless::StateMachine": f"arn:aws:states:{region}:{account}:stateMachine:{name}",
            "AWS::StepFunctions::StateMachine": f"arn:aws:states:{region}:{account}:stateMachine:{name}",
            "AWS::SNS::Topic": f"arn:aws:sns:{region}:{account}:{stack}-{name}",
            "AWS::SecretsManager::Secret": f"arn:aws:secretsmanager:{region}:{account}:secret:{name}-AbCdEf",
            "AWS::ECS::TaskDefinition": f"arn:aws:ecs:{region}:{account}:task-definition/{name}:1",
            "AWS::SQS::Queue": f"https://sqs.{region}.amazonaws.com/{account}/{stack}-{name}",
        }
        if kind in arns:
            return arns[kind]
        return f"{stack}-{name}"

    def get_att(self, name: str, attribute: str) -> Any:
        if attribute in self.known.get(name, {}):
            return self.known[name][attribute]
        region, account, stack = self._where()
        resource = self.resources[name]
        kind = resource["Type"]
        if attribute == "Arn" and kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            named = "FunctionName" in resource.get("Properties", {})
            return f"arn:aws:lambda:{region}:{account}:function:{self.ref(name) if named else f'{stack}-{name}'}"
        if attribute == "Arn" and kind == "AWS::IAM::Role":
            return f"arn:aws:iam::{account}:role/{self.resolve(resource['Properties'].get('RoleName', name))}"
        if attribute == "Name" and kind == "AWS::ECS::Service":
            return self.resolve(resource["Properties"]["ServiceName"])
        if attribute == "Name" and kind in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            return str(self.ref(name)).rsplit(":", 1)[-1]  # Ref is the ARN, the name its last part
        if attribute == "RepositoryUri":
            return f"{account}.dkr.ecr.{region}.amazonaws.com/{self.ref(name)}"
        if attribute == "Arn" and kind == "AWS::SQS::Queue":
            return f"arn:aws:sqs:{region}:{account}:{stack}-{name}"
        if attribute == "QueueName" and kind == "AWS::SQS::Queue":
            return f"{stack}-{name}"
        return f"arn:aws:fake:{region}:{account}:{name}/{attribute}"

    def _where(self) -> tuple[str, str, str]:
        return self.pseudo["AWS::Region"], self.pseudo["AWS::AccountId"], self.pseudo["AWS::StackName"]

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


def references(node: Any) -> Iterator[str]:
    """The names a node refers to through Ref, Fn::GetAtt and Fn::Sub (resources, parameters and pseudo
    parameters alike): what a resource waits for before CloudFormation creates it."""
    if isinstance(node, list):
        for item in node:
            yield from references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref":
                yield value
            elif key == "Fn::GetAtt":
                yield value[0] if isinstance(value, list) else value.split(".", 1)[0]
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])
                yield from (n.split(".", 1)[0] for n in _SUB_VARIABLE.findall(text) if n not in variables)
                yield from references(variables)
            else:
                yield from references(value)
