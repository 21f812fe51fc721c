"""The targets in SSM: the stack's document and one parameter per target under it (pushdeploy.adapters.ssm)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from pushdeploy.adapters import ssm
from pushdeploy.errors import InvalidRequest
from pushdeploy.models import Target, TargetsConfig

PARAMETER = "/pushdeploy/targets"
OWN = {"cluster": "c", "service": "api", "container": "app", "repository": "backend"}


def target(n: int) -> Target:
    return Target(cluster="c", service=f"svc-{n:03d}", container="app", repository="backend", tags=["v*", "release-*"])


@pytest.fixture
def client():
    with mock_aws():
        client = boto3.client("ssm", region_name="us-east-1")
        client.put_parameter(Name=PARAMETER, Type="String", Value=json.dumps({"targets": [OWN]}))
        yield client


def test_hundreds_of_targets_fit_one_standard_parameter_each_and_read_back_with_the_document(client):
    applied = ssm.apply_targets(PARAMETER, TargetsConfig(targets=[target(n) for n in range(300)]), ssm=client)

    loaded = ssm.load_targets(PARAMETER, ssm=client)

    assert len(applied.written) == 300 and loaded.targets[0].key == "c/api"
    assert {t.key for t in loaded.targets[1:]} == {f"c/svc-{n:03d}" for n in range(300)}
    values = [p["Value"] for p in client.get_parameters_by_path(Path=PARAMETER, Recursive=True)["Parameters"]]
    assert values and max(len(v) for v in values) < 4096  # each fits a Standard parameter (Intelligent-Tiering)


def test_apply_writes_what_changed_deletes_what_the_file_drops_and_leaves_the_rest(client):
    ssm.apply_targets(PARAMETER, TargetsConfig(targets=[target(1), target(2)]), ssm=client)
    changed = target(2).model_copy(update={"tags": ["*"]})

    applied = ssm.apply_targets(PARAMETER, TargetsConfig(targets=[changed, target(3)]), ssm=client)

    assert applied.written == [f"{PARAMETER}/c/svc-002", f"{PARAMETER}/c/svc-003"]
    assert applied.deleted == [f"{PARAMETER}/c/svc-001"] and applied.unchanged == []
    assert [t.tags for t in ssm.load_targets(PARAMETER, ssm=client).targets if t.service == "svc-002"] == [["*"]]


def test_a_service_of_the_stacks_document_cannot_be_listed_again(client):
    with pytest.raises(InvalidRequest, match="c/api: already in the stack's own targets document"):
        ssm.apply_targets(PARAMETER, TargetsConfig(targets=[Target(**OWN)]), ssm=client)
    assert client.get_parameters_by_path(Path=PARAMETER, Recursive=True)["Parameters"] == []  # nothing written


def test_a_target_parameter_that_is_not_where_its_name_says_is_refused(client):
    client.put_parameter(Name=f"{PARAMETER}/c/other", Type="String", Value=target(1).model_dump_json())

    with pytest.raises(InvalidRequest, match="describes c/svc-001: it belongs in '/pushdeploy/targets/c/svc-001'"):
        ssm.load_targets(PARAMETER, ssm=client)


def test_a_service_in_the_document_and_under_it_is_listed_twice(client):
    client.put_parameter(Name=f"{PARAMETER}/c/api", Type="String", Value=Target(**OWN).model_dump_json())

    with pytest.raises(InvalidRequest, match="twice"):
        ssm.load_targets(PARAMETER, ssm=client)


def test_no_document_and_nothing_under_it_is_named():
    with mock_aws():
        client = boto3.client("ssm", region_name="us-east-1")
        with pytest.raises(InvalidRequest, match="does not exist and has no target under it"):
            ssm.load_targets(PARAMETER, ssm=client)
