"""Execution names: one execution per push, whatever EventBridge redelivers and however long the tag."""

from __future__ import annotations

import re

import pytest

from pushdeploy.models import safe_execution_name
from pushdeploy.requests import DeployRequest
from pushdeploy.steps.trigger import execution_name

VALID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")  # docs/aws-facts.md, "Execution names and history"
A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64


def pushed(tag: str, digest: str, event_id: str) -> DeployRequest:
    return DeployRequest(repository="aiuteur-backend", tag=tag, digest=digest, source="ecr-event", event_id=event_id)


def test_a_redelivered_event_names_the_same_execution():
    assert execution_name(pushed("v2", A, "e-1")) == execution_name(pushed("v2", A, "e-1"))


def test_a_tag_moved_back_to_an_image_it_named_before_is_a_new_push():
    # v2 -> A, then v2 -> B, then v2 -> A again: three pushes, three events, three executions.
    names = {execution_name(pushed("v2", digest, event)) for digest, event in [(A, "e-1"), (B, "e-2"), (A, "e-3")]}
    assert len(names) == 3


@pytest.mark.parametrize("tag", ["v2", "feature-" + "x" * 120])
def test_the_digest_and_the_event_survive_any_tag_length(tag: str):
    first, second, again = pushed(tag, A, "e-1"), pushed(tag, B, "e-2"), pushed(tag, A, "e-3")
    names = [execution_name(p) for p in (first, second, again)]

    assert all(VALID.match(name) for name in names), names
    assert len(set(names)) == 3
    digests = [digest.removeprefix("sha256:")[:16] for digest in (A, B, A)]
    assert [name.split("-")[-2] for name in names] == digests


def test_a_unique_part_is_kept_whole_and_free_text_is_cut_to_fit():
    name = safe_execution_name("rollback", "s" * 100, unique="20261202T010203")
    assert len(name) == 80 and name.endswith("-20261202T010203") and name.startswith("rollback-sss")
    assert safe_execution_name("a b/c", "") == "a-b-c"
    assert safe_execution_name("", unique="") == "pushdeploy"
