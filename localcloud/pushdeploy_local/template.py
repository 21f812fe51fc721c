"""What the local cloud takes from the real template.yaml: the functions, the state machine and the ECR rule."""

from __future__ import annotations

import json
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


class Template:
    def __init__(self, path: Path = REPO_ROOT / "template.yaml") -> None:
        self.path = path
        self.document: dict[str, Any] = load_yaml(path.read_text())
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
    def _ecr_rule(self) -> dict[str, Any]:
        (rule,) = [
            r
            for r in self._of_type("AWS::Events::Rule").values()
            if r["Properties"].get("EventPattern", {}).get("source") == ["aws.ecr"]
        ]
        return dict(rule["Properties"])

    def ecr_rule_pattern(self, repositories: list[str]) -> str:
        """The ECR push rule's pattern, its repository list bound to the local cloud's repositories."""
        pattern = json.loads(json.dumps(self._ecr_rule["EventPattern"]))
        if not isinstance(pattern.get("detail", {}).get("repository-name"), list) or not all(
            isinstance(r, str) for r in pattern["detail"]["repository-name"]
        ):
            pattern["detail"]["repository-name"] = repositories
        return json.dumps(pattern)

    def ecr_rule_target(self) -> str:
        """The logical id of the function the ECR push rule invokes."""
        return _get_att_resource(self._ecr_rule["Targets"][0]["Arn"])


def _get_att_resource(value: dict[str, Any]) -> str:
    """The resource of `!GetAtt X.Arn`, in either of its YAML forms."""
    get_att = value["Fn::GetAtt"]
    return str(get_att[0] if isinstance(get_att, list) else get_att.split(".")[0])
