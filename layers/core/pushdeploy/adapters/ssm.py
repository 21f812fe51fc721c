"""AWS Systems Manager Parameter Store: the targets.

The targets are the document in the targets parameter (the stack creates it with its own service) and
one target per parameter under it, `<parameter>/<cluster>/<service>` (written by `pushdeploy targets
apply`). A Standard parameter holds 4,096 characters, about fourteen targets with their policies; one
parameter per target holds hundreds (an account has 10,000 Standard parameters a Region), each read ten
to a GetParametersByPath call and validated with the rest as one configuration.
https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError
from pydantic import ValidationError

from pushdeploy.adapters.aws import client, error_code, translate_throttling
from pushdeploy.errors import InvalidRequest
from pushdeploy.models import Target, TargetsConfig
from pushdeploy.requests import describe_validation_error

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

# Intelligent-Tiering: Standard while a target fits in 4,096 characters, Advanced (8 KB) only for one
# that does not (a long list of tag patterns).
TIER = "Intelligent-Tiering"


def target_parameter(parameter: str, target: Target) -> str:
    """Where one target lives under the targets parameter."""
    return f"{parameter}/{target.cluster}/{target.service}"


@translate_throttling
def load_targets(parameter: str, *, ssm: SSMClient | None = None) -> TargetsConfig:
    """Every target: the document's and each one under it, validated together (one entry per service)."""
    ssm = ssm or client("ssm")
    document = _document(ssm, parameter)
    entries = _entries(ssm, parameter)
    if document is None and not entries:
        raise InvalidRequest(f"targets parameter {parameter!r} does not exist and has no target under it")
    try:
        return TargetsConfig(targets=[*(document.targets if document else []), *entries.values()])
    except ValidationError as exc:
        raise InvalidRequest(f"targets parameter {parameter!r}: {describe_validation_error(exc)}") from exc


def _document(ssm: SSMClient, parameter: str) -> TargetsConfig | None:
    try:
        text = ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
    except ClientError as exc:
        if error_code(exc) == "ParameterNotFound":
            return None
        raise InvalidRequest(f"targets parameter {parameter!r} cannot be read: {exc}") from exc
    try:
        return TargetsConfig.model_validate_json(text)
    except ValidationError as exc:
        raise InvalidRequest(f"targets parameter {parameter!r}: {describe_validation_error(exc)}") from exc


def _entries(ssm: SSMClient, parameter: str) -> dict[str, Target]:
    """The targets under the parameter, by parameter name; each must live where its name says."""
    found: dict[str, Target] = {}
    try:
        for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=parameter, Recursive=True):
            for entry in page["Parameters"]:
                found[entry["Name"]] = _entry(parameter, entry["Name"], entry["Value"])
    except ClientError as exc:
        raise InvalidRequest(f"the targets under {parameter!r} cannot be read: {exc}") from exc
    return found


def _entry(parameter: str, name: str, text: str) -> Target:
    try:
        target = Target.model_validate_json(text)
    except ValidationError as exc:
        raise InvalidRequest(f"target parameter {name!r}: {describe_validation_error(exc)}") from exc
    if target_parameter(parameter, target) != name:
        raise InvalidRequest(
            f"target parameter {name!r} describes {target.key}: it belongs in {target_parameter(parameter, target)!r}"
        )
    return target


@dataclass
class Applied:
    """What `apply_targets` changed, by parameter name."""

    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def apply_targets(parameter: str, config: TargetsConfig, *, ssm: SSMClient | None = None) -> Applied:
    """Make the targets under the parameter exactly `config`'s: write what is new or changed, delete what
    `config` no longer lists. The document itself (the stack's) is not written: a service it lists cannot
    be listed again here."""
    ssm = ssm or client("ssm")
    document = _document(ssm, parameter)
    owned = {t.key for t in document.targets} if document else set()
    twice = sorted(t.key for t in config.targets if t.key in owned)
    if twice:
        raise InvalidRequest(
            f"{', '.join(twice)}: already in the stack's own targets document {parameter!r}; "
            "change it there (the stack's parameters) or leave it out of this file"
        )
    current = _entries(ssm, parameter)
    applied = Applied()
    wanted = {target_parameter(parameter, t): t for t in config.targets}
    for name, target in wanted.items():
        if current.get(name) == target:
            applied.unchanged.append(name)
            continue
        value = json.dumps(target.model_dump(mode="json"), separators=(",", ":"))
        ssm.put_parameter(Name=name, Value=value, Type="String", Tier=TIER, Overwrite=True)
        applied.written.append(name)
    stale = sorted(set(current) - set(wanted))
    for start in range(0, len(stale), 10):  # DeleteParameters takes ten names a call
        ssm.delete_parameters(Names=stale[start : start + 10])
    applied.deleted = stale
    return applied
