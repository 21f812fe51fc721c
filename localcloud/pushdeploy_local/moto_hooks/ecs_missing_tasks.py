"""Hook: DescribeTasks reports a task it no longer knows under `failures`, reason MISSING, as ECS does.

ECS keeps a stopped task describable for about an hour, then forgets it: DescribeTasks answers for it
with `{"arn": ..., "reason": "MISSING"}` in `failures` (aws-facts.md, "ECS task lifecycle";
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html). moto's
`EC2ContainerServiceResponse.describe_tasks` always answers `failures: []`; this hook calls it and adds
a MISSING failure for every requested task it did not return (the ECS model forgets stopped tasks
through `pushdeploy_local.ecs.moto_view`).

On a moto upgrade, check that `describe_tasks(self)` still reads the `tasks` parameter with
`_get_param` and still returns an `ActionResult` over a dict with `tasks` (moto Tasks) and `failures`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, cast
from unittest import mock

from moto.core.responses import ActionResult
from moto.ecs.responses import EC2ContainerServiceResponse


@contextlib.contextmanager
def install() -> Iterator[None]:
    """While active, DescribeTasks lists the tasks it cannot find under `failures` as MISSING."""
    original = EC2ContainerServiceResponse.describe_tasks

    def describe_tasks(response: EC2ContainerServiceResponse) -> ActionResult:
        answer = original(response)
        result = cast(dict[str, Any], answer.result)
        found = {task.task_arn for task in result["tasks"]} | {task.task_arn.split("/")[-1] for task in result["tasks"]}
        requested = [str(t) for t in response._get_param("tasks", [])]
        missing = [t for t in requested if t not in found and t.split("/")[-1] not in found]
        return ActionResult({**result, "failures": [{"arn": t, "reason": "MISSING"} for t in missing]})

    with mock.patch.object(EC2ContainerServiceResponse, "describe_tasks", describe_tasks):
        yield
