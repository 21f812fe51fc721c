"""Amazon ECR: resolve a tag to its digest, check that a pushed digest is still what its tag names, and tag
images (the re-tag recipe, https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-retag.html)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from pushdeploy.adapters.aws import client, error_code, translate_throttling
from pushdeploy.errors import InvalidRequest
from pushdeploy.models import Image

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient


@translate_throttling
def find_image(
    repository: str, *, tag: str | None = None, digest: str | None = None, ecr: ECRClient | None = None
) -> tuple[Image, list[str]]:
    """The image that `tag` (or `digest`) names now, and every tag it carries."""
    ecr = ecr or client("ecr")
    image_id = {"imageDigest": digest} if digest else {"imageTag": tag}
    try:
        answer = ecr.describe_images(repositoryName=repository, imageIds=[image_id])  # type: ignore[list-item]
    except ClientError as exc:
        code = error_code(exc)
        if code == "RepositoryNotFoundException":
            raise InvalidRequest(f"repository {repository!r} does not exist in ECR") from exc
        if code in ("ImageNotFoundException", "InvalidParameterException"):
            what = f"digest {digest}" if digest else f"tag {tag!r}"
            raise InvalidRequest(f"{what} is not in ECR repository {repository!r}") from exc
        raise
    found = answer["imageDetails"][0]
    region = ecr.meta.region_name
    registry = f"{found['registryId']}.dkr.ecr.{region}.amazonaws.com"
    image = Image(repository=repository, registry=registry, digest=found["imageDigest"], tag=tag)
    return image, list(found.get("imageTags", []))


@translate_throttling
def add_tags(repository: str, tags: dict[str, str], *, ecr: ECRClient | None = None) -> list[str]:
    """Give each image its tag (`tags`: tag -> digest) as AWS's re-tag recipe does: BatchGetImage of its
    manifest, then PutImage of the same manifest, and digest, under the tag. A tag already on its image stays
    as it is (one BatchGetImage tells both). Returns the digests ECR no longer has (expired or deleted)."""
    if not tags:
        return []
    ecr = ecr or client("ecr")
    digests = list(dict.fromkeys(tags.values()))
    asked = [{"imageTag": tag} for tag in tags] + [{"imageDigest": digest} for digest in digests]
    answer = ecr.batch_get_image(repositoryName=repository, imageIds=asked)  # type: ignore[arg-type]
    tagged = {(i["imageId"].get("imageTag"), i["imageId"]["imageDigest"]) for i in answer["images"]}
    manifests = {i["imageId"]["imageDigest"]: i for i in answer["images"]}  # any answer for a digest carries it
    for tag, digest in tags.items():
        if (tag, digest) in tagged or digest not in manifests:
            continue
        found = manifests[digest]
        media_type = (
            {"imageManifestMediaType": found["imageManifestMediaType"]} if "imageManifestMediaType" in found else {}
        )
        try:
            ecr.put_image(
                repositoryName=repository,
                imageManifest=found["imageManifest"],
                imageDigest=digest,  # ECR refuses a manifest that is not this image's rather than make another
                imageTag=tag,
                **media_type,
            )
        except ClientError as exc:
            if error_code(exc) != "ImageAlreadyExistsException":  # tagged since the read: what was wanted
                raise
    return [digest for digest in digests if digest not in manifests]


@translate_throttling
def remove_tags(repository: str, tags: list[str], *, ecr: ECRClient | None = None) -> list[str]:
    """Take each tag off its image (BatchDeleteImage by tag removes that tag only, but ECR deletes an image
    with its last tag: give it another first). Returns what failed, each named; a tag that is not there is
    what was wanted."""
    if not tags:
        return []
    ecr = ecr or client("ecr")
    answer = ecr.batch_delete_image(repositoryName=repository, imageIds=[{"imageTag": tag} for tag in tags])
    return [
        f"{f['imageId'].get('imageTag')}: {f.get('failureCode')} {f.get('failureReason', '')}".strip()
        for f in answer.get("failures", [])
        if f.get("failureCode") != "ImageNotFound"
    ]
