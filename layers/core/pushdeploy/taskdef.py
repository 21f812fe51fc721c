"""Derive the task definition to register: the service's current one with only one image changed."""

from __future__ import annotations

import copy
from typing import Any

from pushdeploy.errors import InvalidRequest
from pushdeploy.models import LogLocation

# Fields of DescribeTaskDefinition's answer that RegisterTaskDefinition does not take.
# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html
READ_ONLY_FIELDS = (
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
)


def with_image(current: dict[str, Any], container: str, image: str) -> dict[str, Any]:
    """RegisterTaskDefinition input equal to `current` except for `container`'s image."""
    definition = {k: copy.deepcopy(v) for k, v in current.items() if k not in READ_ONLY_FIELDS}
    names = [c["name"] for c in definition.get("containerDefinitions", [])]
    if container not in names:
        raise InvalidRequest(
            f"container {container!r} is not in task definition {current.get('taskDefinitionArn')} "
            f"(it has: {', '.join(names) or 'no containers'})"
        )
    for definition_container in definition["containerDefinitions"]:
        if definition_container["name"] == container:
            definition_container["image"] = image
    return definition


def container_image(definition: dict[str, Any], container: str) -> str | None:
    return next((c["image"] for c in definition.get("containerDefinitions", []) if c["name"] == container), None)


def pinned_digest(definition: dict[str, Any], container: str, repository: str) -> str | None:
    """The digest `container` runs when its image is `registry/repository[:tag]@digest`; None for an image
    named by tag only or of another repository (nothing of `repository` to look up)."""
    image = container_image(definition, container)
    if image is None or "@" not in image:
        return None
    name, digest = image.split("@", 1)
    return digest if name.rsplit("/", 1)[-1].split(":", 1)[0] == repository else None


def registered_fields(definition: dict[str, Any]) -> dict[str, Any]:
    """The task definition as RegisterTaskDefinition takes it, without its tags (no ARN, revision or
    registration metadata)."""
    return {k: v for k, v in definition.items() if k not in (*READ_ONLY_FIELDS, "tags")}


def same_definition(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal as RegisterTaskDefinition inputs (ignores ARNs, revisions and registration metadata)."""
    return registered_fields(a) == registered_fields(b)


def log_location(definition: dict[str, Any], container: str) -> LogLocation | None:
    """The container's CloudWatch Logs location, when it logs with awslogs and a stream prefix."""
    for entry in definition.get("containerDefinitions", []):
        config = entry.get("logConfiguration") or {}
        options = config.get("options") or {}
        if entry["name"] == container and config.get("logDriver") == "awslogs" and "awslogs-stream-prefix" in options:
            return LogLocation(
                group=options["awslogs-group"],
                region=options.get("awslogs-region", ""),
                stream_prefix=options["awslogs-stream-prefix"],
                container=container,
            )
    return None
