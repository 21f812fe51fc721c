"""The deployed stack's IAM: every role's policies and the resource policies.

`stack_iam` is the one place that reads them, from the SAM-transformed template through the one
evaluator (`stack.Template`): the local cloud passes the evaluator of the stack it built (physical names),
`role_policies` one of a sample deployment, for what needs no local cloud (a scenario's `iam.remove`, the
template tests). Each function's role is `<Function>Role` (SAM's naming); the state machine's is
`DeployStateMachineRole`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pushdeploy_local.iam.policy import Effect, Policy, Principal, Statement, matches
from pushdeploy_local.stack import PSEUDO, Template, source, transformed

ACCOUNT = PSEUDO["AWS::AccountId"]
REGION = PSEUDO["AWS::Region"]
STACK = PSEUDO["AWS::StackName"]

# The AWS managed policies SAM attaches to every function's role (and X-Ray's to the state machine's),
# as the AWS Managed Policy Reference prints them
# (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html,
# .../AWSXrayWriteOnlyAccess.html). The Lambda runtime and the X-Ray daemon use them, never a handler.
MANAGED_POLICIES: dict[str, dict[str, Any]] = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "*",
            }
        ]
    },
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                    "xray:GetSamplingStatisticSummaries",
                ],
                "Resource": "*",
            }
        ]
    },
}
MANAGED_POLICY_REASON = "an AWS managed policy SAM attaches: the Lambda runtime writes the logs, X-Ray the traces"


@dataclass(frozen=True)
class Role:
    """One role: its names, what it grants (the template's statements) and the managed policies it has."""

    logical_id: str
    name: str  # its physical name
    statements: tuple[Statement, ...]
    managed: tuple[str, ...] = ()

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{ACCOUNT}:role/{self.name}"

    def session(self, session_name: str) -> Principal:
        """The principal of a call made with this role: Lambda names the session after the function."""
        arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{self.name}/{session_name}"
        return Principal(arn=arn, role_arn=self.arn, account=ACCOUNT)

    @functools.cached_property
    def policies(self) -> tuple[Policy, ...]:
        managed = [Policy.parse(MANAGED_POLICIES[arn]) for arn in self.managed if arn in MANAGED_POLICIES]
        return (Policy(self.statements), *managed)

    @property
    def granted(self) -> list[str]:
        """The actions the template's own statements allow, as written."""
        return sorted({a for s in self.statements if s.effect is Effect.ALLOW for a in s.actions})

    def without(self, action: str) -> Role:
        """This role with `action` taken out of every Allow statement that lists it (a statement left with
        no action goes)."""
        kept = []
        for statement in self.statements:
            if statement.effect is Effect.ALLOW and statement.actions:
                actions = tuple(a for a in statement.actions if a.lower() != action.lower())
                if not actions:
                    continue
                statement = replace(statement, actions=actions)
            kept.append(statement)
        return replace(self, statements=tuple(kept))


@dataclass(frozen=True)
class StackIam:
    """The roles by the function (or state machine) that assumes them, and the resource policies."""

    roles: Mapping[str, Role]
    lambda_permissions: Mapping[str, Policy]  # function ARN -> its resource policy (AWS::Lambda::Permission)
    topic_policies: Mapping[str, Policy]  # topic ARN -> AWS::SNS::TopicPolicy
    key_policies: Mapping[str, Policy]  # key ARN -> the key's KeyPolicy
    topic_keys: Mapping[str, str] = field(default_factory=dict)  # topic ARN -> its KMS key ARN
    # A function's physical name by its logical id: Lambda names the role session after the function.
    function_names: Mapping[str, str] = field(default_factory=dict)

    def session(self, caller: str) -> Principal:
        """The principal of a call `caller` (a function, or the state machine) makes with its role."""
        return self.roles[caller].session(self.function_names.get(caller, caller))

    def without(self, removals: Iterable[tuple[str, str]]) -> StackIam:
        roles = dict(self.roles)
        for function, action in removals:
            roles[function] = roles[function].without(action)
        return replace(self, roles=roles)


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def rule_arn(logical_id: str) -> str:
    return f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{STACK}-{logical_id}"


def sample_known(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Physical values of a sample deployment of `document` (for `role_policies`)."""
    known: dict[str, dict[str, Any]] = {
        "LockTable": {"Ref": "pushdeploy-locks", "Arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/pushdeploy-locks"},
        "AlertTopic": {"Ref": f"arn:aws:sns:{REGION}:{ACCOUNT}:pushdeploy-alerts"},
        "AlertTopicKey": {"Ref": SAMPLE_KEY_ID, "Arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{SAMPLE_KEY_ID}"},
    }
    for name, resource in document["Resources"].items():
        kind = resource["Type"]
        if kind == "AWS::Lambda::Function":
            known[name] = {"Ref": name, "Arn": function_arn(name)}
        elif kind == "AWS::Events::Rule":
            known[name] = {"Ref": f"{STACK}-{name}", "Arn": rule_arn(name)}
        elif kind == "AWS::CloudWatch::Alarm":
            known[name] = {
                "Ref": f"{STACK}-{name}",
                "Arn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{STACK}-{name}",
            }
        elif kind == "AWS::IAM::Role":
            known[name] = {"Ref": name, "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}"}
    return known


SAMPLE_KEY_ID = "0d5e7a1c-5a4e-4c6e-9f3b-000000000001"
# A sample deployer in front of an existing service: DeployerOnly=true with the task roles it passes.
SAMPLE_PARAMETERS = {
    "DeployerOnly": "true",
    "ExistingTaskExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/aiuteur-ecs-task-execution-role",
    "ExistingTaskRoleArn": f"arn:aws:iam::{ACCOUNT}:role/aiuteur-ecs-task-role",
}


@functools.cache
def role_policies() -> StackIam:
    """The stack's IAM for a sample deployment, resolved once per process."""
    document, _ = transformed(source())
    return stack_iam(Template(document, overrides=dict(SAMPLE_PARAMETERS), known=sample_known(document)))


def stack_iam(template: Template) -> StackIam:
    """The roles, Lambda permissions, topic and key policies of the stack `template` resolves."""
    roles: dict[str, Role] = {}
    # AWS::IAM::Policy resources: inline policies put into the roles they name (by the role's Ref).
    attached: dict[Any, list[Mapping[str, Any]]] = {}
    for props in _properties(template, "AWS::IAM::Policy"):
        for role in props["Roles"]:
            attached.setdefault(role, []).append(props["PolicyDocument"])
    for name, resource in template.of_type("AWS::IAM::Role").items():
        props = resource["Properties"]
        owner = name.removesuffix("Role")
        if owner not in template.resources or not template.exists(name):
            continue
        documents = [template.resolve(policy["PolicyDocument"]) for policy in props.get("Policies", [])]
        documents += attached.get(template.ref(name), [])
        statements = [Statement.parse(s) for document in documents for s in _statements(document)]
        managed = tuple(template.resolve(props.get("ManagedPolicyArns", [])))
        roles[owner] = Role(name, str(template.ref(name)), tuple(statements), managed)
    permissions: dict[str, list[dict[str, Any]]] = {}
    for props in _properties(template, "AWS::Lambda::Permission"):
        statement: dict[str, Any] = {
            "Effect": "Allow",
            "Principal": {"Service": props["Principal"]},
            "Action": props["Action"],
            "Resource": props["FunctionName"],
        }
        if "SourceArn" in props:  # how Lambda writes AddPermission's SourceArn into the policy
            statement["Condition"] = {"ArnLike": {"AWS:SourceArn": props["SourceArn"]}}
        permissions.setdefault(props["FunctionName"], []).append(statement)
    topics = {
        topic: Policy.parse(props["PolicyDocument"])
        for props in _properties(template, "AWS::SNS::TopicPolicy")
        for topic in props["Topics"]
    }
    keys = {
        template.get_att(name, "Arn"): Policy.parse(template.resolve(r["Properties"]["KeyPolicy"]))
        for name, r in template.of_type("AWS::KMS::Key").items()
    }
    topic_keys = {}
    for name, resource in template.of_type("AWS::SNS::Topic").items():
        key = resource["Properties"].get("KmsMasterKeyId")
        if isinstance(key, dict) and "Ref" in key:  # a key of this stack: its Ref is the key id, SNS uses the key
            topic_keys[template.ref(name)] = template.get_att(key["Ref"], "Arn")
    function_names = {name: str(template.ref(name)) for name in template.of_type("AWS::Lambda::Function")}
    return StackIam(
        function_names=function_names,
        roles=roles,
        lambda_permissions={arn: Policy.parse({"Statement": s}) for arn, s in permissions.items()},
        topic_policies=topics,
        key_policies=keys,
        topic_keys=topic_keys,
    )


def _statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def _properties(template: Template, kind: str) -> list[dict[str, Any]]:
    return [template.resolve(r["Properties"]) for name, r in template.of_type(kind).items() if template.exists(name)]


def granting(function: str, action: str) -> str | None:
    """Why `function`'s role cannot lose `action` for a run (None: it can): the template names no such
    function, or its role does not grant that action by name."""
    roles = role_policies().roles
    if function not in roles:
        return f"the template has no function {function!r} (its functions: {', '.join(sorted(roles))})"
    granted = roles[function].granted
    if not any(a.lower() == action.lower() for a in granted):
        by_wildcard = [a for a in granted if "*" in a and matches(a, action, ignore_case=True)]
        if by_wildcard:
            return f"{function}'s role grants {action} only through {by_wildcard[0]}"
        return f"{function}'s role does not grant {action} (it grants: {', '.join(granted)})"
    return None


def reasons(function: str) -> dict[str, str]:
    """The template's reasons why statements of `function`'s role go unused by its handler's calls:
    the function's `Metadata.pushdeploy.UnusedByCalls`, statement Sid -> reason."""
    resource = source()["Resources"].get(function, {})
    found = resource.get("Metadata", {}).get("pushdeploy", {}).get("UnusedByCalls", {})
    return {str(sid): str(reason) for sid, reason in found.items()}
