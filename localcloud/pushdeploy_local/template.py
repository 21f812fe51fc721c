"""What the local cloud takes from the real template.yaml: its functions, state machine and EventBridge rules."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from cfn_tools import load_yaml

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_uri: Path
    handler: str
    memory_mb: int
    architecture: str
    environment: dict[str, Any] = field(default_factory=dict)

    @property
    def module_path(self) -> Path:
        module, _ = self.handler.rsplit(".", 1)
        return self.code_uri / f"{module.replace('.', '/')}.py"

    @property
    def attribute(self) -> str:
        return self.handler.rsplit(".", 1)[1]


@dataclass(frozen=True)
class Rule:
    """An EventBridge rule: its pattern as the template writes it, and the functions among its targets."""

    logical_id: str
    pattern: dict[str, Any]  # intrinsics (`!Ref`) not resolved: see `bound_pattern`
    functions: tuple[str, ...]  # logical ids of its Lambda targets; other targets (an SNS topic) are not listed
    enabled: bool = True

    def bound_pattern(self, refs: Mapping[str, Any]) -> str:
        """The pattern as JSON with each `!Ref X` replaced by `refs[X]` (a list ref spreads into its list)."""
        return json.dumps(_bind(self.pattern, refs, self.logical_id))


class Template:
    def __init__(self, path: Path = REPO_ROOT / "template.yaml") -> None:
        self.path = path
        self.document: dict[str, Any] = copy.deepcopy(_parsed(path.read_text()))
        self.resources: dict[str, Any] = self.document["Resources"]

    def _of_type(self, kind: str) -> dict[str, Any]:
        return {name: r for name, r in self.resources.items() if r["Type"] == kind}

    @cached_property
    def functions(self) -> dict[str, Function]:
        defaults = self.document.get("Globals", {}).get("Function", {})
        found = {}
        for name, resource in self._of_type("AWS::Serverless::Function").items():
            props = {**defaults, **resource["Properties"]}
            environment = {
                **defaults.get("Environment", {}).get("Variables", {}),
                **resource["Properties"].get("Environment", {}).get("Variables", {}),
            }
            found[name] = Function(
                logical_id=name,
                code_uri=self.path.parent / props["CodeUri"],
                handler=props["Handler"],
                memory_mb=int(props.get("MemorySize", 128)),
                architecture=(props.get("Architectures") or ["x86_64"])[0],
                environment=environment,
            )
        return found

    @cached_property
    def state_machine(self) -> dict[str, Any]:
        (resource,) = self._of_type("AWS::Serverless::StateMachine").values()
        return dict(resource["Properties"])

    def definition(self, arns: dict[str, str]) -> str:
        """The ASL with its DefinitionSubstitutions applied: `${XFunctionArn}` -> the function's ARN."""
        text = (self.path.parent / self.state_machine["DefinitionUri"]).read_text()
        for key, value in self.state_machine.get("DefinitionSubstitutions", {}).items():
            text = text.replace("${" + key + "}", arns[_get_att_resource(value)])
        return text

    @cached_property
    def rules(self) -> dict[str, Rule]:
        """Every AWS::Events::Rule, by logical id."""
        found = {}
        for name, resource in self._of_type("AWS::Events::Rule").items():
            props = resource["Properties"]
            targets = [target["Arn"] for target in props.get("Targets", [])]
            found[name] = Rule(
                logical_id=name,
                pattern=dict(props.get("EventPattern", {})),
                functions=tuple(
                    _get_att_resource(arn)
                    for arn in targets
                    if isinstance(arn, dict) and "Fn::GetAtt" in arn and _get_att_resource(arn) in self.functions
                ),
                enabled=props.get("State", "ENABLED") == "ENABLED",
            )
        return found

    @cached_property
    def ecr_rule(self) -> Rule:
        """The rule that turns an ECR push into a deployment."""
        (rule,) = [r for r in self.rules.values() if r.pattern.get("source") == ["aws.ecr"]]
        return rule

    def ecr_rule_pattern(self, repositories: list[str]) -> str:
        """The ECR push rule's pattern, its repository list bound to the local cloud's repositories."""
        pattern = json.loads(json.dumps(self.ecr_rule.pattern))
        if not isinstance(pattern.get("detail", {}).get("repository-name"), list) or not all(
            isinstance(r, str) for r in pattern["detail"]["repository-name"]
        ):
            pattern["detail"]["repository-name"] = repositories
        return json.dumps(pattern)

    def ecr_rule_target(self) -> str:
        """The logical id of the function the ECR push rule invokes."""
        return self.ecr_rule.functions[0]


@functools.lru_cache(maxsize=4)
def _parsed(text: str) -> dict[str, Any]:
    """template.yaml parsed once per process (a parse costs ~130 ms, a copy ~30 ms).

    Every local cloud reads the template; callers get a deep copy, never this one, because tests
    change theirs (a rule deleted or disabled) and that must not reach the next cloud.
    """
    document: dict[str, Any] = load_yaml(text)
    return document


def _get_att_resource(value: dict[str, Any]) -> str:
    """The resource of `!GetAtt X.Arn`, in either of its YAML forms."""
    get_att = value["Fn::GetAtt"]
    return str(get_att[0] if isinstance(get_att, list) else get_att.split(".")[0])


def _bind(value: Any, refs: Mapping[str, Any], rule: str) -> Any:
    if isinstance(value, dict) and set(value) == {"Ref"}:
        if value["Ref"] not in refs:
            raise ValueError(f"rule {rule}: the local cloud has no value for !Ref {value['Ref']} in its pattern")
        return refs[value["Ref"]]
    if isinstance(value, dict):
        if any(key.startswith("Fn::") for key in value):
            raise ValueError(f"rule {rule}: the local cloud cannot resolve {next(iter(value))} in its pattern")
        return {key: _bind(item, refs, rule) for key, item in value.items()}
    if isinstance(value, list):
        bound: list[Any] = []
        for item in value:
            resolved = _bind(item, refs, rule)
            if isinstance(item, dict) and set(item) == {"Ref"} and isinstance(resolved, list):
                bound.extend(resolved)
            else:
                bound.append(resolved)
        return bound
    return value
