"""What a rollback without a destination returns to: the newest version verified healthy, never a bad one."""

from __future__ import annotations

import re

import pytest

from pushdeploy.errors import InvalidRequest
from pushdeploy.models import GUARD_PREFIX, TAG_PATTERN
from pushdeploy.steps.plan import rollback_destination
from pushdeploy.steps.unlock import GOOD_KEPT, guard_tag, remembered

FAMILY = "arn:aws:ecs:us-east-1:123456789012:task-definition/aiuteur-backend"
V1, V2, V3 = (f"{FAMILY}:{n}" for n in (1, 2, 3))


def test_a_verified_version_goes_first_and_a_bad_one_left_running_never_enters():
    # v2 verified healthy over v1 (the seed); then v3 failed and its rollback failed, leaving v3
    # running; v4 is deployed over v3: v3 is not added, the verified ones stay.
    v4 = f"{FAMILY}:4"
    assert remembered(V2, (V1,)) == [V2, V1]
    assert remembered(v4, (V2, V1)) == [v4, V2, V1]


def test_a_version_verified_again_moves_to_the_front_once():
    assert remembered(V1, (V3, V1)) == [V1, V3]


def test_only_the_newest_are_kept():
    many = tuple(f"{FAMILY}:{n}" for n in range(20, 10, -1))
    assert remembered(V1, many) == [V1, *many[: GOOD_KEPT - 1]]


def test_bad_v2_rolled_back_good_v3_deployed_then_rollback_goes_to_v1_not_v2():
    good = (V1,)  # what ran before pushdeploy's first change (the Lock step's seed)
    good = tuple(remembered(V1, good))  # v2 failed: rolled back to v1, healthy again
    good = tuple(remembered(V3, good))  # v3 deployed and healthy
    assert rollback_destination(None, current_arn=V3, good=good) == V1


def test_without_a_verified_earlier_version_a_rollback_asks_for_to():
    with pytest.raises(InvalidRequest, match=r"verified healthy by pushdeploy.*'to'"):
        rollback_destination(None, current_arn=V2, good=(V2,))


@pytest.mark.parametrize(("to", "expected"), [("7", "aiuteur-backend:7"), (V1, V1), ("other:3", "other:3")])
def test_a_named_destination_is_taken_as_given(to: str, expected: str):
    assert rollback_destination(to, current_arn=V3, good=(V2,)) == expected


def test_a_guard_tag_is_a_valid_tag_of_one_image_and_one_service():
    digest = "sha256:" + "ab" * 32
    tag = guard_tag("aiuteur-cluster/aiuteur-backend-service", digest)
    assert re.fullmatch(TAG_PATTERN, tag) and tag.startswith(f"{GUARD_PREFIX}{'ab' * 6}-")
    assert tag == guard_tag("aiuteur-cluster/aiuteur-backend-service", digest)  # the same every time
    assert tag != guard_tag("aiuteur-cluster/aiuteur-worker", digest)  # a service of its own
    assert tag != guard_tag("aiuteur-cluster/aiuteur-backend-service", "sha256:" + "cd" * 32)
