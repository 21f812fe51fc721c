"""The lock item's record of what was verified healthy: seeded by the first deploy only, never overwritten."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from pushdeploy.adapters import aws, dynamodb

TABLE, SERVICE = "pushdeploy-locks", "aiuteur-cluster/aiuteur-backend-service"
V1, V2 = "aiuteur-backend:1", "aiuteur-backend:2"


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    aws.client.cache_clear()
    with mock_aws():
        boto3.client("dynamodb").create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "service", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "service", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield
    aws.client.cache_clear()


def hold(execution: str, running: str | None) -> None:
    assert dynamodb.note_push(TABLE, SERVICE, execution, f"2026-12-02T00:00:0{execution[-1]}|{execution}")
    assert dynamodb.take(TABLE, SERVICE, execution, now=0, expires_at=10**10, running=running)
    assert dynamodb.release(TABLE, SERVICE, execution)


def test_the_first_deploy_seeds_what_ran_before_and_later_ones_do_not_overwrite_it(table: None) -> None:
    hold("exec-1", running=V1)
    hold("exec-2", running=V2)  # a later deploy: the record is pushdeploy's from now on
    assert dynamodb.read(TABLE, SERVICE).good == (V1,)


def test_a_first_rollback_seeds_nothing_it_moves_away_from_what_runs(table: None) -> None:
    hold("exec-1", running=None)
    assert dynamodb.read(TABLE, SERVICE).good == ()
