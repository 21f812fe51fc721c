"""What starts an execution: an ECR push event, or a small JSON typed into the console or sent by the CLI.

`parse_request` turns either into one request model, or into an `Ignored` with the reason, or raises
InvalidRequest naming the problem. Nothing here calls AWS.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pushdeploy.errors import InvalidRequest
from pushdeploy.models import PATTERN_WORDS, Digest, Model, Name, Repository, Tag, is_own_tag

ECR_SOURCE = "aws.ecr"
ECR_DETAIL_TYPE = "ECR Image Action"
ACCOUNT_PATTERN = r"^\d{12}$"
REGION_PATTERN = r"^[a-z]{2}(-[a-z]+)+-\d$"
ROLLBACK_TO_PATTERN = (
    r"^(\d{1,9}|[A-Za-z0-9_-]{1,255}:\d{1,9}"
    r"|arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/[A-Za-z0-9_-]{1,255}:\d{1,9})$"
)
WORDS = PATTERN_WORDS | {
    ACCOUNT_PATTERN: "an AWS account id: 12 digits",
    REGION_PATTERN: "an AWS Region, such as us-east-1",
    ROLLBACK_TO_PATTERN: "a revision number (12), family:revision (backend:12) or a task definition ARN",
}


class EcrImageActionDetail(Model):
    """`detail` of an "ECR Image Action" event (aws-facts.md; AWS ECR EventBridge documentation)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    action_type: str = Field(alias="action-type", max_length=32)
    result: str = Field(max_length=32)
    repository_name: Repository = Field(alias="repository-name")
    image_digest: Digest = Field(alias="image-digest")
    image_tag: str | None = Field(None, alias="image-tag", max_length=300)
    manifest_media_type: str | None = Field(None, alias="manifest-media-type", max_length=256)


class EcrImageActionEvent(Model):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str = Field(max_length=64)
    source: Literal["aws.ecr"]
    detail_type: Literal["ECR Image Action"] = Field(alias="detail-type")
    account: str = Field(pattern=ACCOUNT_PATTERN)
    region: str = Field(pattern=REGION_PATTERN)
    time: datetime
    detail: EcrImageActionDetail


class DeployRequest(Model):
    """Deploy one image: from a push (repository, tag, digest known) or by hand (tag or digest to resolve)."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["deploy"] = "deploy"
    repository: Repository | None = None
    service: Name | None = None
    cluster: Name | None = None
    tag: Tag | None = None
    digest: Digest | None = None
    source: Literal["ecr-event", "manual"] = "manual"
    event_id: str | None = Field(None, max_length=64)
    account: str | None = Field(None, pattern=ACCOUNT_PATTERN)
    region: str | None = Field(None, pattern=REGION_PATTERN)
    requested_at: datetime | None = None  # the push's time; a console request is ordered by its start
    # A console request: say what the deployment would do (pushdeploy.preview), change nothing.
    dry_run: bool = False

    @model_validator(mode="after")
    def _names_something(self) -> DeployRequest:
        if not (self.repository or self.service):
            raise ValueError("a deployment names a 'service' or a 'repository'")
        if not (self.tag or self.digest):
            raise ValueError("a deployment names a 'tag' or a 'digest'")
        if self.cluster and not self.service:
            raise ValueError("'cluster' goes with 'service'")
        return self


class RollbackRequest(Model):
    """Put a service back on an earlier task definition: the previous revision, or `to`."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["rollback"]
    service: Name
    cluster: Name | None = None
    to: str | None = Field(
        None,
        pattern=ROLLBACK_TO_PATTERN,
        description="a revision number, family:revision, or a task definition ARN",
    )
    source: Literal["manual"] = "manual"


class Ignored(Model):
    model_config = ConfigDict(extra="forbid")

    action: Literal["ignore"] = "ignore"
    reason: str


Request = DeployRequest | RollbackRequest
# Fields of DeployRequest that only an ECR event fills in.
INTERNAL_FIELDS = frozenset({"source", "event_id", "account", "region", "requested_at"})


def parse_request(payload: Any) -> Request | Ignored:
    """One execution input -> a request, an Ignored with its reason, or InvalidRequest."""
    if not isinstance(payload, dict):
        raise InvalidRequest(f"the input must be a JSON object, not {type(payload).__name__}")
    if "detail-type" in payload or ("source" in payload and "detail" in payload):
        return _from_event(payload)
    if payload.get("action") == "rollback":
        return _validated(RollbackRequest, payload, "console input")
    internal = sorted(INTERNAL_FIELDS & payload.keys())
    if internal:
        raise InvalidRequest(f"console input: {', '.join(map(repr, internal))} is set by pushdeploy, leave it out")
    return _validated(DeployRequest, payload, "console input")


def _from_event(payload: dict[str, Any]) -> DeployRequest | Ignored:
    if payload.get("source") != ECR_SOURCE or payload.get("detail-type") != ECR_DETAIL_TYPE:
        raise InvalidRequest(
            f"event: expected source {ECR_SOURCE!r} and detail-type {ECR_DETAIL_TYPE!r}, "
            f"got {str(payload.get('source'))[:64]!r} and {str(payload.get('detail-type'))[:64]!r}"
        )
    event = _validated(EcrImageActionEvent, payload, "event")
    detail = event.detail
    if detail.action_type != "PUSH":
        return Ignored(reason=f"action-type is {detail.action_type[:32]}, not PUSH")
    if detail.result != "SUCCESS":
        return Ignored(reason=f"the push did not succeed (result {detail.result[:32]})")
    if detail.image_tag is None:
        return Ignored(
            reason=f"untagged push of {detail.repository_name}@{detail.image_digest}: nothing names it "
            "(a per-platform manifest of a multi-arch push, or a push by digest)"
        )
    if is_own_tag(detail.image_tag):  # ECR's event for Unlock's own PutImage
        return Ignored(reason=f"{detail.image_tag} is a tag pushdeploy keeps images with, not a release to deploy")
    request = {
        "repository": detail.repository_name,
        "tag": detail.image_tag,
        "digest": detail.image_digest,
        "source": "ecr-event",
        "event_id": event.id,
        "account": event.account,
        "region": event.region,
        "requested_at": event.time,
    }
    return _validated(DeployRequest, request, "event")


def _validated[M: BaseModel](model: type[M], payload: dict[str, Any], what: str) -> M:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise InvalidRequest(f"{what}: {describe_validation_error(exc)}") from exc


def describe_validation_error(exc: ValidationError) -> str:
    """Pydantic's errors as one line naming each bad field, without echoing huge or secret inputs."""
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in error["loc"]) or "input"
        message = error["msg"]
        if error["type"] == "string_pattern_mismatch":  # pydantic's message shows the regular expression
            message = f"should be {WORDS.get(error['ctx']['pattern'], 'in the documented form')}"
        problems.append(f"{where}: {message}")
    return "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
