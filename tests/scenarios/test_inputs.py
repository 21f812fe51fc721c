"""What users and AWS really send: the sample events of tests/fixtures/events, duplicates, and bad input."""

from __future__ import annotations

import pytest

from tests.conftest import load_event
from tests.scenarios.conftest import run, writes

IGNORABLE = ["ecr-push-untagged", "ecr-push-multiarch-amd64", "ecr-push-failed", "ecr-delete", "ecr-push-other-repo"]


def test_every_ignorable_sample_event_is_ignored_without_touching_the_service():
    report = run("ignorable", [{"at_seconds": i, "event": load_event(name)} for i, name in enumerate(IGNORABLE)])

    assert [p.outcome for p in report.pushes] == ["ignored"] * len(IGNORABLE)
    assert all(p.executions == 0 and p.reason for p in report.pushes)
    assert writes(report) == {}
    assert report.final.tag == "v1" and report.alerts == []


@pytest.mark.parametrize("name", ["ecr-push-tagged", "ecr-push-semver", "ecr-push-multiarch-index"])
def test_a_tagged_sample_push_deploys_its_digest(name):
    event = load_event(name)

    report = run(name, [{"at_seconds": 0, "event": event}])

    (push,) = report.pushes
    assert push.outcome == "deployed", push.reason
    assert report.final.image.endswith("@" + event["detail"]["image-digest"])


def test_a_duplicated_event_starts_one_execution_and_deploys_once():
    report = run("duplicate", [{"at_seconds": 0, "tag": "v2", "duplicate": 3}])

    (push,) = report.pushes
    assert push.executions == 1 and push.outcome == "deployed"
    assert report.api_calls["ecs:RegisterTaskDefinition"] == 1
    assert report.api_calls["states:StartExecution"] == 3  # two were answered "already exists"


def test_a_manual_deployment_from_the_console_deploys_the_tag():
    report = run("manual", [{"at_seconds": 0, "tag": "v2", "manual": True}])

    assert report.pushes[0].outcome == "deployed" and report.final.tag == "v2"


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"service": "no-such-service", "tag": "v1"}, "unknown service 'no-such-service'"),
        ({"service": "aiuteur-backend-service", "tag": "v9"}, "tag 'v9' is not in ECR repository 'aiuteur-backend'"),
        ({"repository": "aiuteur-backend", "tag": "v1", "colour": "red"}, "colour"),
        ({"service": "aiuteur-backend-service"}, "'tag' or a 'digest'"),
        ({"action": "rollback", "service": "aiuteur-backend-service"}, "no version of aiuteur-backend other than"),
    ],
)
def test_invalid_console_input_is_rejected_naming_the_problem_and_changes_nothing(payload, named):
    report = run("invalid-input", [{"at_seconds": 0, "input": payload}])

    (push,) = report.pushes
    assert push.outcome == "rejected"
    assert named in push.reason
    assert writes(report) == {}
    assert report.final.tag == "v1" and report.final.task_definition.endswith(":1")


def test_a_malformed_event_is_rejected_naming_the_field():
    event = load_event("ecr-push-tagged")
    event["detail"]["image-digest"] = "sha256:not-hex"

    report = run("malformed", [{"at_seconds": 0, "event": event}])

    (push,) = report.pushes
    assert push.outcome == "rejected" and push.executions == 0
    assert "detail.image-digest" in push.reason
    assert writes(report) == {}
