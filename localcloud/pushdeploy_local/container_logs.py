"""The awslogs log driver of the local cloud: what the model's containers print goes to CloudWatch Logs.

A task definition whose container uses the awslogs driver sends each line to the stream
`<awslogs-stream-prefix>/<container>/<task id>` of `awslogs-group`; the driver creates the stream, and
the group must exist unless `awslogs-create-group` is true
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html). A container with
another driver, or none, leaves nothing in CloudWatch Logs.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from pushdeploy_local.ecs.state import LogLine


class AwsLogsDriver:
    def __init__(self, ecs: Any, logs: Any, epoch: datetime) -> None:
        self._ecs, self._logs, self._epoch = ecs, logs, epoch
        self._options: dict[tuple[str, str], dict[str, str] | None] = {}
        self._streams: set[tuple[str, str]] = set()

    def write(self, lines: list[LogLine]) -> None:
        for line in lines:
            options = self._awslogs(line.task_definition, line.container)
            if options is None:
                continue
            group = options["awslogs-group"]
            stream = f"{options['awslogs-stream-prefix']}/{line.container}/{line.task_id}"
            if (group, stream) not in self._streams:
                if options.get("awslogs-create-group") == "true":
                    self._create_group(group)
                self._logs.create_log_stream(logGroupName=group, logStreamName=stream)
                self._streams.add((group, stream))
            at = self._epoch + timedelta(seconds=line.at)
            self._logs.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": int(at.timestamp() * 1000), "message": line.text}],
            )

    def _awslogs(self, task_definition: str, container: str) -> dict[str, str] | None:
        key = (task_definition, container)
        if key not in self._options:
            described = self._ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
            found: dict[str, Any] = next((c for c in described["containerDefinitions"] if c["name"] == container), {})
            configuration = found.get("logConfiguration") or {}
            self._options[key] = configuration.get("options") if configuration.get("logDriver") == "awslogs" else None
        return self._options[key]

    def _create_group(self, group: str) -> None:
        with contextlib.suppress(self._logs.exceptions.ResourceAlreadyExistsException):
            self._logs.create_log_group(logGroupName=group)
