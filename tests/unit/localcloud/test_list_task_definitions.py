"""ListTaskDefinitions in the local cloud sorts and pages as ECS documents (API_ListTaskDefinitions.html)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from pushdeploy_local.moto_hooks import ecs_list_task_definitions


@pytest.fixture
def ecs():
    with mock_aws(), ecs_list_task_definitions.install():
        client = boto3.client("ecs", region_name="us-east-1")
        for family in ("web", "api"):
            for memory in ("512", "1024", "2048"):
                client.register_task_definition(
                    family=family, containerDefinitions=[{"name": "a", "image": "x"}], memory=memory
                )
        yield client


def revisions(arns: list[str]) -> list[str]:
    return [arn.rsplit("/", 1)[-1] for arn in arns]


def test_by_default_families_by_name_and_revisions_ascending_the_newest_last(ecs):
    assert revisions(ecs.list_task_definitions()["taskDefinitionArns"]) == [
        "api:1", "api:2", "api:3", "web:1", "web:2", "web:3"
    ]  # fmt: skip


def test_desc_with_one_result_is_the_newest_revision_of_the_family(ecs):
    answer = ecs.list_task_definitions(familyPrefix="web", sort="DESC", maxResults=1)
    assert revisions(answer["taskDefinitionArns"]) == ["web:3"]
    rest = ecs.list_task_definitions(familyPrefix="web", nextToken=answer["nextToken"], sort="DESC", maxResults=5)
    assert revisions(rest["taskDefinitionArns"]) == ["web:2", "web:1"]


def test_pages_follow_the_next_token_to_the_end(ecs):
    pages = list(ecs.get_paginator("list_task_definitions").paginate(PaginationConfig={"PageSize": 4}))
    assert [len(p["taskDefinitionArns"]) for p in pages] == [4, 2]
    assert "nextToken" not in pages[-1]


def test_max_results_out_of_range_is_refused(ecs):
    with pytest.raises(ClientError, match="maxResults"):
        ecs.list_task_definitions(maxResults=101)
