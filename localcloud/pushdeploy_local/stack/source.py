"""template.yaml read and transformed as the SAM CLI does it, with aws-sam-translator.

`sam deploy` packages each local artifact (a function's CodeUri, a layer's ContentUri, the state
machine's DefinitionUri) to S3 and hands the packaged template to CloudFormation, whose
AWS::Serverless-2016-10-31 transform is aws-sam-translator. `transformed` does the same offline: the
artifacts point at S3 locations of a bucket no one reads, and `Artifacts` says which local path each
one stands for.
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from cfn_flip import load_yaml
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

REPO_ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"

ARTIFACT_BUCKET = "pushdeploy-local-artifacts"
_ARTIFACTS = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Serverless::StateMachine": "DefinitionUri",
}


@functools.lru_cache(maxsize=4)
def _parsed(text: str) -> str:
    """The template parsed once per process, kept as JSON text (a YAML parse costs ~130 ms)."""
    return json.dumps(load_yaml(text))


def source(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as written (`AWS::Serverless::*` resources, Globals), a fresh copy for each caller."""
    document: dict[str, Any] = json.loads(_parsed(path.read_text()))
    return document


@dataclass(frozen=True)
class Artifacts:
    """Each packaged artifact's local path, by logical id (what `sam package` uploaded)."""

    root: Path
    paths: dict[str, Path]

    def of(self, logical_id: str) -> Path:
        return self.paths[logical_id]


def package(document: dict[str, Any], root: Path) -> tuple[dict[str, Any], Artifacts]:
    """`sam package`, offline: local artifact paths replaced by S3 locations, and where each came from."""
    packaged = copy.deepcopy(document)
    paths = {}
    for name, resource in packaged["Resources"].items():
        key = _ARTIFACTS.get(resource["Type"])
        local = resource.get("Properties", {}).get(key) if key else None
        if isinstance(local, str) and not local.startswith("s3://"):
            paths[name] = root / local
            resource["Properties"][key] = f"s3://{ARTIFACT_BUCKET}/{name}"
    return packaged, Artifacts(root, paths)


def transformed(
    document: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
    *,
    region: str = "us-east-1",
    root: Path = REPO_ROOT,
) -> tuple[dict[str, Any], Artifacts]:
    """The CloudFormation template that the SAM transform makes of `document` (template.yaml by default).

    SAM policy templates (LambdaInvokePolicy, ...) come out expanded into each function's role; the
    template names no managed policy by its short name, so the translator needs no IAM lookup (an empty
    managed-policy map: a short name would fail the transform here, as a missing one fails it on AWS).

    Made once per process for each (document, parameters, region, root); each caller gets its own copy.
    """
    text = json.dumps(document if document is not None else source(), sort_keys=True)
    result, paths = _transformed(text, json.dumps(parameters or {}, sort_keys=True), region, str(root))
    return json.loads(result), Artifacts(root, dict(paths))


@functools.lru_cache(maxsize=16)
def _transformed(document: str, parameters: str, region: str, root: str) -> tuple[str, tuple[tuple[str, Path], ...]]:
    """The transform as JSON text (a transform costs ~150 ms, a copy from text ~5 ms)."""
    packaged, artifacts = package(json.loads(document), Path(root))
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    result: dict[str, Any] = translator.translate(
        packaged, parameter_values=json.loads(parameters), get_managed_policy_map=lambda: {}
    )
    return json.dumps(result), tuple(artifacts.paths.items())
