"""Parsing what starts an execution: ECR events and console input."""

from __future__ import annotations

import pytest

from pushdeploy.errors import InvalidRequest
from pushdeploy.models import TAG_GLOB_PATTERN, Target
from pushdeploy.requests import (
    WORDS,
    DeployRequest,
    EcrImageActionDetail,
    EcrImageActionEvent,
    Ignored,
    RollbackRequest,
    parse_request,
)


@pytest.mark.parametrize(
    ("name", "tag"),
    [("ecr-push-tagged", "latest"), ("ecr-push-semver", "v1.4.2"), ("ecr-push-multiarch-index", "v2.0.0")],
)
def test_a_tagged_push_becomes_a_deploy_request_pinned_by_digest(event, name, tag):
    sample = event(name)

    request = parse_request(sample)

    assert isinstance(request, DeployRequest)
    assert request.tag == tag
    assert request.digest == sample["detail"]["image-digest"]
    assert request.repository == sample["detail"]["repository-name"]
    assert request.source == "ecr-event"


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("ecr-push-untagged", "untagged"),
        ("ecr-push-multiarch-amd64", "untagged"),
        ("ecr-push-failed", "did not succeed"),
        ("ecr-delete", "not PUSH"),
    ],
)
def test_pushes_that_name_nothing_deployable_are_ignored_with_the_reason(event, name, why):
    request = parse_request(event(name))

    assert isinstance(request, Ignored)
    assert why in request.reason


@pytest.mark.parametrize("tag", ["pushdeploy-good-0123456789ab-89abcdef", "pushdeploy-retired-0123456789ab-89abcdef"])
def test_the_push_event_of_a_tag_pushdeploy_keeps_images_with_deploys_nothing(event, tag):
    # ECR sends a push event for Unlock's own re-tag; deploying it could put an older image back
    sample = event("ecr-push-tagged")
    sample["detail"]["image-tag"] = tag

    request = parse_request(sample)

    assert isinstance(request, Ignored)
    assert request.reason == f"{tag} is a tag pushdeploy keeps images with, not a release to deploy"


def test_console_input_forms_of_the_readme():
    deploy = parse_request({"service": "aiuteur-backend-service", "tag": "v1.4.2"})
    by_repository = parse_request({"repository": "aiuteur-backend", "tag": "latest"})
    rollback = parse_request({"action": "rollback", "service": "aiuteur-backend-service"})

    assert isinstance(deploy, DeployRequest) and deploy.service == "aiuteur-backend-service"
    assert isinstance(by_repository, DeployRequest) and by_repository.repository == "aiuteur-backend"
    assert isinstance(rollback, RollbackRequest) and rollback.to is None


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"service": "aiuteur-backend-service"}, "'tag' or a 'digest'"),
        ({"tag": "v1"}, "'service' or a 'repository'"),
        ({"service": "svc", "tag": "v1", "colour": "red"}, "colour"),
        ({"service": "svc", "tag": "v*"}, "tag"),
        ({"service": "svc", "digest": "sha256:abc"}, "digest"),
        ({"service": "a b", "tag": "v1"}, "service"),
        ({"action": "rollback"}, "service"),
        ({"action": "rollback", "service": "svc", "to": "latest"}, "to"),
        ({"action": "explode", "service": "svc"}, "action"),
        ([1, 2], "JSON object"),
        ("deploy", "JSON object"),
        ({"service": "svc", "tag": "v1", "source": "ecr-event"}, "source"),
    ],
)
def test_invalid_console_input_names_the_problem(payload, named):
    with pytest.raises(InvalidRequest) as raised:
        parse_request(payload)

    assert named in str(raised.value)


def test_an_event_from_another_source_is_rejected(event):
    sample = event("ecr-push-tagged") | {"source": "aws.s3"}

    with pytest.raises(InvalidRequest, match=r"expected source 'aws\.ecr'"):
        parse_request(sample)


def test_a_malformed_event_names_the_bad_field(event):
    sample = event("ecr-push-tagged")
    sample["detail"]["image-digest"] = "md5:1234"

    with pytest.raises(InvalidRequest, match=r"detail\.image-digest"):
        parse_request(sample)


def test_an_event_tag_that_is_a_glob_is_rejected_not_deployed(event):
    sample = event("ecr-push-tagged")
    sample["detail"]["image-tag"] = "v*"

    with pytest.raises(InvalidRequest, match="tag"):
        parse_request(sample)


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        ({"service": "a b", "tag": "v1"}, "service: should be 1 to 255 letters, digits, '-' and '_'"),
        ({"service": "svc", "tag": "-v1"}, "tag: should be an image tag: up to 128 letters"),
        ({"service": "svc", "digest": "sha256:abc"}, "digest: should be 'sha256:' and 64 lowercase hexadecimal"),
        ({"repository": "Backend", "tag": "v1"}, "repository: should be an ECR repository name"),
        ({"action": "rollback", "service": "svc", "to": "latest"}, "to: should be a revision number (12), family"),
    ],
)
def test_a_value_of_the_wrong_form_is_described_in_words_not_as_a_regular_expression(payload, says):
    with pytest.raises(InvalidRequest) as raised:
        parse_request(payload)

    assert says in str(raised.value)
    assert "pattern" not in str(raised.value) and "^" not in str(raised.value)


def test_an_event_of_the_wrong_form_is_described_in_words(event):
    sample = event("ecr-push-tagged") | {"account": "12345", "region": "Mars"}

    with pytest.raises(InvalidRequest) as raised:
        parse_request(sample)

    assert "account: should be an AWS account id: 12 digits" in str(raised.value)
    assert "region: should be an AWS Region, such as us-east-1" in str(raised.value)


def test_every_pattern_of_a_request_or_a_target_is_described_in_words():
    models = [EcrImageActionEvent, EcrImageActionDetail, DeployRequest, RollbackRequest, Target]
    patterns = {
        getattr(metadata, "pattern", None)
        for model in models
        for field in model.model_fields.values()
        for metadata in field.metadata
    } - {None}

    assert patterns and patterns <= set(WORDS)
    assert TAG_GLOB_PATTERN in WORDS  # the pattern of each of a target's tags (inside a list)
