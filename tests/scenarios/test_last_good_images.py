"""The images of the versions verified healthy are kept from expiring: Unlock gives each a guard tag of the
service, which a lifecycle rule of higher priority keeps, and takes it off an image that left the list."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from pushdeploy.models import GUARD_PREFIX
from pushdeploy.steps.unlock import guard_tag
from pushdeploy_local import runner
from pushdeploy_local.cloud import LocalCloud
from pushdeploy_local.report import Report
from pushdeploy_local.scenario import (
    DEFAULT_CLUSTER,
    DEFAULT_REPOSITORY,
    DEFAULT_SERVICE,
    load_scenario,
    parse_scenario,
)
from tests.conftest import REPO

SERVICE = f"{DEFAULT_CLUSTER}/{DEFAULT_SERVICE}"
KEEP_GUARDED = {
    "rulePriority": 1,
    "selection": {
        "tagStatus": "tagged",
        "tagPrefixList": [GUARD_PREFIX],
        "countType": "imageCountMoreThan",
        "countNumber": 9999,
    },
    "action": {"type": "expire"},
}
KEEP_TWO_NEWEST = {
    "rulePriority": 2,
    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 2},
    "action": {"type": "expire"},
}


@dataclass
class Ended:
    report: Report
    images: dict[str, list[str]]  # digest -> tags, what ECR holds at the end
    digests: dict[str, str]  # tag pushed -> its digest
    unlocked: list[dict[str, Any]]  # every Unlock's output, in order
    executions: int


def play(scenario_data: dict[str, Any] | None = None, *, path: str | None = None) -> Ended:
    scenario = load_scenario(path) if path else parse_scenario(scenario_data)
    with LocalCloud(scenario) as cloud:
        report = runner.play(cloud)
        initial = cloud.infra.initial_digest
        ecr = cloud.session.client("ecr")
        details = ecr.describe_images(repositoryName=DEFAULT_REPOSITORY)["imageDetails"]
        unlocked = [  # the Unlock state's output, as it leaves the state
            json.loads(event["stateExitedEventDetails"]["output"])["unlocked"]
            for execution in cloud.executions
            for event in cloud.history(execution)
            if event["type"] == "TaskStateExited" and event["stateExitedEventDetails"]["name"] == "Unlock"
        ]
        executions = len(cloud.executions)
    pushed = {p.tag: p.digest for p in report.pushes if p.tag and p.digest}
    pushed[scenario.initial.tag] = initial
    return Ended(report, {i["imageDigest"]: i.get("imageTags", []) for i in details}, pushed, unlocked, executions)


@pytest.fixture(scope="module")
def example() -> Iterator[Ended]:
    # v2 healthy, v3 crashes (rolled back), v4 healthy and re-tagged release-4, then v5, v6, v7 healthy: the
    # service's list of versions verified healthy ends [v7, v6, v5, v4, v2], and v1 (what ran first) left it.
    yield play(path=str(REPO / "scenarios" / "lifecycle-keeps-last-good.json"))


def test_an_image_verified_healthy_survives_a_rule_that_expires_everything_else_older(example):
    kept = {tag for tag in ("v2", "v4", "v5") if example.digests[tag] in example.images}
    assert kept == {"v2", "v4", "v5"}
    for tag in ("v2", "v4", "v5"):
        assert guard_tag(SERVICE, example.digests[tag]) in example.images[example.digests[tag]]
    assert example.digests["v3"] not in example.images  # rolled back, never verified: expired as the rule says
    # ECR's push events for the guard tags started no deployment: one execution per push
    assert example.executions == len(example.report.pushes)
    assert example.report.iam.denied == []


def test_an_image_that_left_the_good_list_loses_its_guard_tag_and_can_expire(example):
    # Given v7's Unlock: the list [v7, v6, v5, v4, v2] no longer holds v1
    last = example.unlocked[-1]
    assert last["kept"]["released"] == [guard_tag(SERVICE, example.digests["v1"])]
    assert last["kept"]["problem"] is None
    # Then v1's image, no longer guarded, is expired by the rule that keeps the two newest
    assert example.digests["v1"] not in example.images


def test_a_tag_put_on_an_image_that_runs_deploys_as_that_image(example):
    (retag,) = [p for p in example.report.pushes if p.tag == "release-4"]
    assert retag.digest == example.digests["v4"]
    assert retag.outcome == "deployed"  # not "no longer names": the image carries both tags
    assert {"v4", "release-4"} <= set(example.images[example.digests["v4"]])


def test_a_repository_with_immutable_tags_still_keeps_the_good_images():
    ended = play(
        {
            "name": "immutable-keeps-last-good",
            "repository": {
                "tag_mutability": "IMMUTABLE",
                "lifecycle_policy": {"rules": [KEEP_GUARDED, KEEP_TWO_NEWEST]},
            },
            "deployer": {"watch_seconds": 0},
            "pushes": [
                {"at_seconds": 0, "tag": "v2"},
                {"at_seconds": 600, "tag": "v3"},
                {"at_seconds": 1200, "tag": "v4"},
            ],
        }
    )
    assert [p.outcome for p in ended.report.pushes] == ["deployed", "deployed", "deployed"]
    assert all(u["kept"]["problem"] is None for u in ended.unlocked)
    for tag in ("v1", "v2", "v3", "v4"):  # every version verified healthy (v1 ran first) keeps its image
        assert guard_tag(SERVICE, ended.digests[tag]) in ended.images[ended.digests[tag]]


def test_a_tag_that_cannot_be_put_leaves_the_deploy_deployed_and_says_so():
    ended = play(
        {
            "name": "guard-denied",
            "iam": {"remove": [{"function": "UnlockFunction", "action": "ecr:PutImage"}]},
            "deployer": {"watch_seconds": 0},
            "pushes": [{"at_seconds": 0, "tag": "v2"}],
        }
    )
    (push,) = ended.report.pushes
    assert push.outcome == "deployed"
    (unlocked,) = ended.unlocked
    assert unlocked["released"] is True and unlocked["good"].endswith(":2")
    assert (
        "AccessDenied" in unlocked["kept"]["problem"] and "a rollback to it would fail" in unlocked["kept"]["problem"]
    )
    (alert,) = ended.report.alerts
    assert "deployed" in alert.subject
    assert "An image pushdeploy would roll back to may expire (ECR lifecycle rules)" in alert.message


def test_without_a_rule_that_keeps_them_a_rollback_to_an_expired_image_cannot_pull_it():
    # Given a policy that keeps only the newest image: v3's push expires v2, which the service runs
    ended = play(
        {
            "name": "rollback-to-an-expired-image",
            "repository": {
                "lifecycle_policy": {
                    "rules": [
                        {
                            **KEEP_TWO_NEWEST,
                            "rulePriority": 1,
                            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
                        }
                    ]
                }
            },
            "deployer": {"watch_seconds": 0},
            "pushes": [{"at_seconds": 0, "tag": "v2"}, {"at_seconds": 600, "tag": "v3", "behavior": {"kind": "crash"}}],
        }
    )
    # Then v3 fails and the rollback to v2 cannot start a task, as on ECS (CannotPullContainerError)
    assert [p.outcome for p in ended.report.pushes] == ["deployed", "rollback_failed"]
    assert ended.digests["v2"] not in ended.images
    assert "CannotPullContainerError" in ended.report.alerts[-1].message
