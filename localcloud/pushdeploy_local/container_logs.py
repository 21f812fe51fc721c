"""The awslogs log driver of the local cloud: what the model's containers print goes to CloudWatch Logs.

A task definition whose container uses the awslogs driver sends each line to the stream
`<awslogs-stream-prefix>/<container>/<task id>` of `awslogs-group`; the driver creates the stream, and
the group must exist unless `awslogs-create-group` is true
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html). A container with
another driver, or none, leaves nothing in CloudWatch Logs; nor, here, one without a stream prefix (AWS
then names the stream after the container's id, which nothing in pushdeploy reads).
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from pushdeploy import taskdef
from pushdeploy.models import LogLocation
from pushdeploy_local.ecs.state import LogLine


class AwsLogsDriver:
    def __init__(self, ecs: Any, logs: Any, epoch: datetime) -> None:
        self._ecs, self._logs, self._epoch = ecs, logs, epoch
        # (task definition, container) -> where it logs (the core's own reading), and awslogs-create-group
        self._locations: dict[tuple[str, str], tuple[LogLocation | None, bool]] = {}
        self._streams: set[tuple[str, str]] = set()

    def write(self, lines: list[LogLine]) -> None:
        """Each stream's new lines in one PutLogEvents call, oldest first."""
        batches: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for line in lines:
            location, create_group = self._location(line.task_definition, line.container)
            if location is None:
                continue
            key = (location.group, location.stream(line.task_id))
            if key not in self._streams:
                if create_group:
                    self._create_group(location.group)
                self._logs.create_log_stream(logGroupName=key[0], logStreamName=key[1])
                self._streams.add(key)
            at = self._epoch + timedelta(seconds=line.at)
            batches.setdefault(key, []).append({"timestamp": int(at.timestamp() * 1000), "message": line.text})
        for (group, stream), events in batches.items():
            self._logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)

    def _location(self, task_definition: str, container: str) -> tuple[LogLocation | None, bool]:
        key = (task_definition, container)
        if key not in self._locations:
            described = self._ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
            found: dict[str, Any] = next((c for c in described["containerDefinitions"] if c["name"] == container), {})
            options = (found.get("logConfiguration") or {}).get("options") or {}
            self._locations[key] = (
                taskdef.log_location(described, container),
                options.get("awslogs-create-group") == "true",
            )
        return self._locations[key]

    def _create_group(self, group: str) -> None:
        with contextlib.suppress(self._logs.exceptions.ResourceAlreadyExistsException):
            self._logs.create_log_group(logGroupName=group)
