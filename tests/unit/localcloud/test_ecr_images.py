"""ECR in the local cloud keeps one image per digest, moves tags and expires images as AWS documents
(image-retag.html, API_PutImage.html, API_BatchGetImage.html, LifecyclePolicies.html)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import time_machine
from botocore.exceptions import ClientError
from moto import mock_aws

from pushdeploy_local.moto_hooks import ecr_images

REPO = "aiuteur-backend"
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def manifest(seed: str) -> str:
    config = {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1}
    config["digest"] = "sha256:" + hashlib.sha256(seed.encode()).hexdigest()
    return json.dumps(
        {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "config": config}
    )


A, B, C = manifest("a"), manifest("b"), manifest("c")
COUNT = {"countType": "imageCountMoreThan", "countNumber": 1}


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ecr(clock: time_machine.Coordinates) -> Iterator[object]:
    with mock_aws(), ecr_images.install():
        client = boto3.client("ecr", region_name="us-east-1")
        client.create_repository(repositoryName=REPO)
        yield client


def images(ecr: object) -> dict[str, list[str]]:
    """Each image's digest -> its tags."""
    return {
        i["imageDigest"]: sorted(i.get("imageTags", []))
        for i in ecr.describe_images(repositoryName=REPO)["imageDetails"]
    }  # type: ignore[attr-defined]


def put(ecr: object, body: str, tag: str) -> None:
    ecr.put_image(repositoryName=REPO, imageManifest=body, imageTag=tag)  # type: ignore[attr-defined]


def lifecycle(ecr: object, *rules: dict[str, object]) -> None:
    policy = {
        "rules": [{"rulePriority": n, "selection": s, "action": {"type": "expire"}} for n, s in enumerate(rules, 1)]
    }
    ecr.put_lifecycle_policy(repositoryName=REPO, lifecyclePolicyText=json.dumps(policy))  # type: ignore[attr-defined]


def test_a_digest_is_the_sha256_of_its_manifest_and_a_second_tag_names_the_same_image(ecr):
    put(ecr, A, "v1")
    put(ecr, A, "release-1")
    assert images(ecr) == {ecr_images.digest_of(A): ["release-1", "v1"]}
    assert ecr_images.digest_of(A) == "sha256:" + hashlib.sha256(A.encode()).hexdigest()
    described = ecr.describe_images(repositoryName=REPO, imageIds=[{"imageTag": "release-1"}])["imageDetails"]
    assert described[0]["imageTags"] == ["v1", "release-1"]


def test_a_tag_moved_to_another_image_leaves_the_first_one_and_comes_back(ecr):
    put(ecr, A, "v1")
    put(ecr, A, "stable")
    put(ecr, B, "v1")  # v1 moves to B; A keeps `stable`
    assert images(ecr) == {ecr_images.digest_of(A): ["stable"], ecr_images.digest_of(B): ["v1"]}
    put(ecr, A, "v1")  # and back: B is left untagged, still in the repository
    assert images(ecr) == {ecr_images.digest_of(A): ["stable", "v1"], ecr_images.digest_of(B): []}
    got = ecr.batch_get_image(repositoryName=REPO, imageIds=[{"imageTag": "v1"}])["images"]
    assert got[0]["imageId"] == {"imageTag": "v1", "imageDigest": ecr_images.digest_of(A)}


def test_an_immutable_repository_refuses_a_moved_tag_and_takes_a_new_one_on_the_same_image(ecr):
    ecr.create_repository(repositoryName="immutable", imageTagMutability="IMMUTABLE")
    ecr.put_image(repositoryName="immutable", imageManifest=A, imageTag="v1")
    with pytest.raises(ClientError) as refused:
        ecr.put_image(repositoryName="immutable", imageManifest=B, imageTag="v1")
    assert refused.value.response["Error"]["Code"] == "ImageTagAlreadyExistsException"
    ecr.put_image(repositoryName="immutable", imageManifest=A, imageTag="kept")
    tags = ecr.describe_images(repositoryName="immutable")["imageDetails"][0]["imageTags"]
    assert tags == ["v1", "kept"]


def test_the_same_manifest_under_a_tag_it_has_is_already_there(ecr):
    put(ecr, A, "v1")
    with pytest.raises(ClientError) as refused:
        put(ecr, A, "v1")
    assert refused.value.response["Error"]["Code"] == "ImageAlreadyExistsException"


def test_a_digest_that_is_not_the_manifests_is_refused(ecr):
    with pytest.raises(ClientError) as refused:
        ecr.put_image(repositoryName=REPO, imageManifest=A, imageTag="v1", imageDigest=ecr_images.digest_of(B))
    assert refused.value.response["Error"]["Code"] == "ImageDigestDoesNotMatchException"


def test_batch_get_image_answers_each_id_as_asked_and_names_each_failure(ecr):
    put(ecr, A, "v1")
    put(ecr, B, "v2")
    asked = [
        {"imageDigest": ecr_images.digest_of(B)},
        {"imageTag": "gone"},
        {"imageTag": "v1", "imageDigest": ecr_images.digest_of(B)},
    ]
    answer = ecr.batch_get_image(repositoryName=REPO, imageIds=asked)
    assert [i["imageId"] for i in answer["images"]] == [{"imageDigest": ecr_images.digest_of(B)}]
    assert answer["images"][0]["imageManifest"] == B
    assert [(f["imageId"], f["failureCode"]) for f in answer["failures"]] == [
        ({"imageTag": "gone"}, "ImageNotFound"),
        ({"imageTag": "v1", "imageDigest": ecr_images.digest_of(B)}, "ImageTagDoesNotMatchDigest"),
    ]


def test_a_count_rule_expires_the_oldest_and_the_expired_image_is_gone_from_every_read(ecr, clock):
    for tag, body in (("v1", A), ("v2", B), ("v3", C)):
        put(ecr, body, tag)
        clock.shift(timedelta(minutes=1))
    lifecycle(ecr, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 2})
    assert set(images(ecr)) == {ecr_images.digest_of(B), ecr_images.digest_of(C)}
    answer = ecr.batch_get_image(repositoryName=REPO, imageIds=[{"imageDigest": ecr_images.digest_of(A)}])
    assert answer["images"] == []
    assert answer["failures"][0]["failureCode"] == "ImageNotFound"
    with pytest.raises(ClientError) as gone:
        ecr.describe_images(repositoryName=REPO, imageIds=[{"imageTag": "v1"}])
    assert gone.value.response["Error"]["Code"] == "ImageNotFoundException"


def test_an_age_rule_expires_on_the_clock_and_a_retag_does_not_make_an_image_younger(ecr, clock):
    put(ecr, A, "v1")
    lifecycle(
        ecr,
        {
            "tagStatus": "tagged",
            "tagPatternList": ["v*"],
            "countType": "sinceImagePushed",
            "countUnit": "days",
            "countNumber": 14,
        },
    )
    clock.shift(timedelta(days=14))
    put(ecr, A, "v1-again")  # re-tagged at day 14: its push time stays day 0
    assert images(ecr) == {ecr_images.digest_of(A): ["v1", "v1-again"]}
    clock.shift(timedelta(seconds=1))
    assert images(ecr) == {}


def test_images_a_higher_priority_rule_selects_are_never_expired_by_a_lower_one(ecr, clock):
    # Given the oldest image carries a keeping tag, and a rule that expires all but the newest after it
    put(ecr, A, "v1")
    put(ecr, A, "keep-a")
    for tag, body in (("v2", B), ("v3", C)):
        clock.shift(timedelta(minutes=1))
        put(ecr, body, tag)
    lifecycle(
        ecr,
        {"tagStatus": "tagged", "tagPrefixList": ["keep-"], "countType": "imageCountMoreThan", "countNumber": 9999},
        {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
    )
    # Then the kept image stays (the `any` rule still counts it), and only v2 expires
    assert images(ecr) == {ecr_images.digest_of(A): ["keep-a", "v1"], ecr_images.digest_of(C): ["v3"]}


def test_removing_a_tag_of_an_image_with_two_removes_only_that_tag_and_the_last_tag_the_image(ecr):
    put(ecr, A, "v1")
    put(ecr, A, "keep-a")
    ecr.batch_delete_image(repositoryName=REPO, imageIds=[{"imageTag": "keep-a"}])
    assert images(ecr) == {ecr_images.digest_of(A): ["v1"]}
    ecr.batch_delete_image(repositoryName=REPO, imageIds=[{"imageTag": "v1"}])
    assert images(ecr) == {}


@pytest.mark.parametrize(
    ("rules", "named"),
    [
        (
            [{"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
             {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1}],
            "tagStatus any must have the highest rulePriority",
        ),
        (
            [{"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
             {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1}],
            "only one rule may select untagged images",
        ),
        ([{"tagStatus": "tagged", **COUNT}], "tagPrefixList or a tagPatternList"),
        ([{"tagStatus": "tagged", "tagPatternList": ["*a*b*c*d*e"], **COUNT}], "at most 4 wildcards"),
        ([{"tagStatus": "any", "countType": "sinceImagePushed", "countNumber": 1}], "countUnit (days) goes with"),
    ],
)  # fmt: skip
def test_a_policy_aws_refuses_is_refused_and_named(ecr, rules, named):
    with pytest.raises(ClientError) as refused:
        lifecycle(ecr, *rules)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
    assert named in refused.value.response["Error"]["Message"]


def test_each_image_that_leaves_the_repository_is_heard_of_once(clock):
    gone: list[str] = []
    with mock_aws(), ecr_images.install(on_gone=gone.append):
        ecr = boto3.client("ecr", region_name="us-east-1")
        ecr.create_repository(repositoryName=REPO)
        for tag, body in (("v1", A), ("v2", B), ("v3", C)):
            put(ecr, body, tag)
            clock.shift(timedelta(minutes=1))
        lifecycle(ecr, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 2})
        images(ecr)  # expires v1
        ecr.batch_delete_image(repositoryName=REPO, imageIds=[{"imageTag": "v3"}])  # its last tag: deleted
        images(ecr)
    assert gone == [ecr_images.digest_of(A), ecr_images.digest_of(C)]


def test_of_two_images_pushed_in_one_second_the_later_push_is_the_newer(ecr):
    put(ecr, A, "v1")
    put(ecr, B, "v2")  # the same second: push times are whole seconds
    lifecycle(ecr, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1})
    assert images(ecr) == {ecr_images.digest_of(B): ["v2"]}
