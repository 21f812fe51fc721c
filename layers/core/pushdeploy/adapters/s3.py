"""Amazon S3: the Plan's items, which the Deploy Map reads itself (ItemReader)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pushdeploy.adapters.aws import client, translate_throttling

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@translate_throttling
def put_json(bucket: str, key: str, document: str, *, s3: S3Client | None = None) -> None:
    """Write `document` at `key`, encrypted as the bucket's default encryption says (none is asked here, so the
    bucket's own applies: PutObject, https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html)."""
    s3 = s3 or client("s3")
    s3.put_object(Bucket=bucket, Key=key, Body=document.encode(), ContentType="application/json")
