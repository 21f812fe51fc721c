"""Hook: ListTaskDefinitions sorts and pages as ECS does.

ECS lists a family's revisions by family name and then ascending revision (`sort` ASC, the default), the
newest last; `sort` DESC reverses both; at most `maxResults` (1-100, default 100) come back, with a
`nextToken` for the rest (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTaskDefinitions.html).
moto 5.2.5's `list_task_definitions` ignores `sort`, `maxResults` and `nextToken` and returns every
revision in registration order, so "the newest revision" (`sort=DESC, maxResults=1`) read the oldest.
This hook calls moto's and orders and pages its answer.

On a moto upgrade, check that `list_task_definitions(self)` still returns an `ActionResult` over a dict
with `taskDefinitionArns`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, cast
from unittest import mock

from moto.core.responses import ActionResult
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.responses import EC2ContainerServiceResponse

DEFAULT_MAX_RESULTS = 100


def _order(arn: str) -> tuple[str, int]:
    family, revision = arn.rsplit("/", 1)[-1].rsplit(":", 1)
    return family, int(revision)


@contextlib.contextmanager
def install() -> Iterator[None]:
    """While active, ListTaskDefinitions honours `sort`, `maxResults` and `nextToken`."""
    original = EC2ContainerServiceResponse.list_task_definitions

    def list_task_definitions(response: EC2ContainerServiceResponse) -> ActionResult:
        arns = sorted(cast(dict[str, Any], original(response).result)["taskDefinitionArns"], key=_order)
        sort = response._get_param("sort", "ASC")
        if sort not in ("ASC", "DESC"):
            raise InvalidParameterException(f"sort must be ASC or DESC, not {sort!r}")
        if sort == "DESC":
            arns.reverse()
        limit = int(response._get_param("maxResults", DEFAULT_MAX_RESULTS))
        if not 1 <= limit <= DEFAULT_MAX_RESULTS:
            raise InvalidParameterException("maxResults must be between 1 and 100")
        start = int(response._get_param("nextToken") or 0)
        page: dict[str, Any] = {"taskDefinitionArns": arns[start : start + limit]}
        if start + limit < len(arns):
            page["nextToken"] = str(start + limit)
        return ActionResult(page)

    with mock.patch.object(EC2ContainerServiceResponse, "list_task_definitions", list_task_definitions):
        yield
