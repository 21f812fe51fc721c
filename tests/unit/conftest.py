"""Unit tests are pure logic: any attempt to open a network connection fails the test."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("unit tests must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield


@pytest.fixture
def cloudwatch() -> Iterator[Any]:
    """moto's CloudWatch with the local cloud's DescribeAlarms filters: alarms api-5xx (in ALARM) and
    api-latency (OK)."""
    import boto3  # the local cloud and moto, only for the tests that ask for them
    from moto import mock_aws

    from pushdeploy_local.cloud import put_alarm
    from pushdeploy_local.moto_hooks import cloudwatch_alarms

    with mock_aws(), cloudwatch_alarms.install():
        client = boto3.client("cloudwatch", region_name="us-east-1")
        for name in ("api-5xx", "api-latency"):
            put_alarm(client, name)
        client.set_alarm_state(AlarmName="api-5xx", StateValue="ALARM", StateReason="test")
        yield client
