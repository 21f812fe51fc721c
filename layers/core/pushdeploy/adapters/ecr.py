"""Amazon ECR: resolve a tag to its digest, and check that a pushed digest is still what its tag names."""

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
