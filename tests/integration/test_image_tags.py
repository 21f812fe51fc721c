"""The ECR adapter's tagging on the local cloud's ECR: the re-tag recipe adds a tag to the same image, a tag
already there is left as it is, and an image no longer in ECR is named."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from pushdeploy.adapters import aws, ecr
from pushdeploy_local.moto_hooks import ecr_images

REPO = "aiuteur-backend"
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 1,
            "digest": "sha256:" + "1" * 64,
        },
        "layers": [],
    }
)
DIGEST = "sha256:" + hashlib.sha256(MANIFEST.encode()).hexdigest()
GONE = "sha256:" + "f" * 64


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    aws.client.cache_clear()
    with mock_aws(), ecr_images.install():
        client = boto3.client("ecr")
        client.create_repository(repositoryName=REPO, imageTagMutability="IMMUTABLE")
        client.put_image(repositoryName=REPO, imageManifest=MANIFEST, imageTag="v1")
        yield client
    aws.client.cache_clear()


def tags(client: object) -> list[str]:
    (image,) = client.describe_images(repositoryName=REPO)["imageDetails"]  # type: ignore[attr-defined]
    assert image["imageDigest"] == DIGEST
    return sorted(image["imageTags"])


def test_a_tag_is_added_to_the_same_image_once_and_a_missing_image_is_named(client):
    assert ecr.add_tags(REPO, {"keep-1": DIGEST, "keep-gone": GONE}) == [GONE]
    assert tags(client) == ["keep-1", "v1"]
    calls: list[str] = []
    client.meta.events.register("before-call.ecr", lambda model, **_: calls.append(model.name))
    assert ecr.add_tags(REPO, {"keep-1": DIGEST}, ecr=client) == []  # already there: read, nothing put
    assert calls == ["BatchGetImage"]


def test_removing_a_tag_leaves_the_image_with_its_others_and_a_tag_not_there_is_no_failure(client):
    ecr.add_tags(REPO, {"keep-1": DIGEST})
    assert ecr.remove_tags(REPO, ["keep-1", "never-there"]) == []
    assert tags(client) == ["v1"]
