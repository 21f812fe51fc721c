"""Hostile and malformed input: every entry gets an error (or an `ignored` reason) that names the
problem, and no AWS write call happens. One local-cloud run sends them all, as users and AWS would."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest

from pushdeploy_local.report import Report
from tests.conftest import load_event
from tests.scenarios.conftest import run, writes

SERVICE = "aiuteur-backend-service"


def event(**detail: Any) -> dict[str, Any]:
    sample = copy.deepcopy(load_event("ecr-push-tagged"))
    sample["detail"].update(detail)
    return sample


def event_without(field: str) -> dict[str, Any]:
    sample = copy.deepcopy(load_event("ecr-push-tagged"))
    sample["detail"].pop(field)
    return sample


def event_with(**top: Any) -> dict[str, Any]:
    """The sample with top-level fields changed, and a digest of its own (the same push is deduplicated)."""
    sample = copy.deepcopy(load_event("ecr-push-tagged")) | top
    if isinstance(sample.get("detail"), dict) and sample["detail"]:
        sample["detail"] = sample["detail"] | {
            "image-digest": "sha256:" + hashlib.sha256(str(top).encode()).hexdigest()
        }
    return sample


# (entry, the outcome, a piece of the reason that names the problem)
CASES: list[tuple[dict[str, Any], str, str]] = [
    # -- events -------------------------------------------------------------------------------------
    ({"event": event_with(detail={})}, "ignored", "detail.action-type"),
    ({"event": event_without("image-digest")}, "rejected", "detail.image-digest"),
    ({"event": event(**{"image-digest": "md5:0123456789abcdef"})}, "rejected", "detail.image-digest"),
    ({"event": event(**{"image-digest": "sha256:" + "a" * 63})}, "rejected", "detail.image-digest"),
    ({"event": event(**{"image-digest": "sha256:" + "A" * 64})}, "rejected", "detail.image-digest"),
    ({"event": event(**{"image-digest": "sha256:" + "a" * 64 + "; rm -rf /"})}, "rejected", "detail.image-digest"),
    ({"event": event(**{"image-tag": "v*"})}, "rejected", "tag"),
    ({"event": event(**{"image-tag": "v[0-9]"})}, "rejected", "tag"),
    ({"event": event(**{"image-tag": "x" * 10_000})}, "rejected", "image-tag"),
    ({"event": event(**{"image-tag": "vé-ünï"})}, "rejected", "tag"),
    ({"event": event(**{"image-tag": "v1\u0000"})}, "rejected", "tag"),
    ({"event": event(**{"image-tag": "../../etc/passwd"})}, "rejected", "tag"),
    ({"event": event(**{"image-tag": 42})}, "rejected", "image-tag"),
    ({"event": event(**{"repository-name": "r" * 10_000})}, "ignored", "detail.repository-name"),
    ({"event": event(**{"repository-name": "aiuteur-frontend"})}, "ignored", "detail.repository-name"),
    ({"event": event(**{"action-type": "DELETE"})}, "ignored", "detail.action-type"),
    ({"event": event(result="FAILURE")}, "ignored", "detail.result"),
    ({"event": event_without("image-tag")}, "ignored", "detail.image-tag"),
    ({"event": event_with(source="aws.s3")}, "ignored", "source"),
    ({"event": event_with(**{"detail-type": "ECR Image Scan"})}, "ignored", "detail-type"),
    ({"event": event_with(account="999999999999")}, "rejected", "account 999999999999"),
    ({"event": event_with(region="eu-west-1")}, "rejected", "region eu-west-1"),
    ({"event": event_with(account="12345")}, "rejected", "account"),
    ({"event": event_with(time="yesterday")}, "rejected", "time"),
    # -- console input ------------------------------------------------------------------------------
    ({"input": {}}, "rejected", "'service' or a 'repository'"),
    ({"input": {"service": 123, "tag": "v1"}}, "rejected", "service"),
    ({"input": {"service": "s" * 10_000, "tag": "v1"}}, "rejected", "service"),
    ({"input": {"service": "ünïcödé", "tag": "v1"}}, "rejected", "service"),
    ({"input": {"service": SERVICE, "tag": ["v1"]}}, "rejected", "tag"),
    ({"input": {"service": SERVICE, "tag": "v1; rm -rf /"}}, "rejected", "tag"),
    ({"input": {"service": SERVICE, "digest": "sha256:" + "g" * 64}}, "rejected", "digest"),
    ({"input": {"service": SERVICE, "tag": "v1", "cluster": "other-cluster"}}, "rejected", "unknown service"),
    ({"input": {"service": "x-service", "tag": "v1"}}, "rejected", "unknown service 'x-service'"),
    ({"input": {"repository": "aiuteur-frontend", "tag": "v1"}}, "rejected", "no target follows aiuteur-frontend"),
    ({"input": {"service": SERVICE, "tag": "v1", "source": "ecr-event"}}, "rejected", "'source' is set by pushdeploy"),
    ({"input": {"service": SERVICE, "tag": "v1", "requested_at": "2030-01-01T00:00:00Z"}}, "rejected", "requested_at"),
    ({"input": {"action": "ROLLBACK", "service": SERVICE}}, "rejected", "action"),
    ({"input": {"action": "rollback", "service": SERVICE, "to": "latest"}}, "rejected", "to"),
    ({"input": {"action": "rollback", "service": SERVICE, "to": "0"}}, "rejected", "cannot be read"),
    (
        {
            "input": {
                "action": "rollback",
                "service": SERVICE,
                "to": "arn:aws:ecs:us-east-1:123456789012:task-definition/other-family:1",
            }
        },
        "rejected",
        "task definition",
    ),
]


@pytest.fixture(scope="module")
def report() -> Report:
    pushes = [{"at_seconds": index, **entry} for index, (entry, _, _) in enumerate(CASES)]
    return run("hostile", pushes)


def test_there_are_at_least_thirty_cases():
    assert len(CASES) >= 30


@pytest.mark.parametrize(("index", "outcome", "named"), [(i, o, n) for i, (_, o, n) in enumerate(CASES)])
def test_each_input_is_refused_naming_the_problem(report, index, outcome, named):
    push = report.pushes[index]

    assert push.outcome == outcome, push.reason
    assert named in push.reason
    assert len(push.reason) < 2000  # a 10 kB input is not echoed back


def test_no_input_wrote_anything(report):
    assert writes(report) == {}
    assert report.final.tag == "v1" and report.final.task_definition.endswith(":1")
    assert report.alerts == []
