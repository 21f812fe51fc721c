"""The functions' roles as deployed (the SAM transform, resolved), evaluated as IAM evaluates them."""

from __future__ import annotations

from pushdeploy_local.iam.calls import Where, requests_of
from pushdeploy_local.iam.policy import Decision, Request, decide
from pushdeploy_local.iam.stack import ACCOUNT, REGION, role_policies


def test_register_may_tag_a_new_revision_of_any_family_but_only_while_registering_it():
    # A target of another family (a worker that runs the same image) registers and tags like the first.
    register = role_policies().roles["RegisterFunction"]
    where = Where(ACCOUNT, REGION, {}, lambda family: 2)
    for family in ("aiuteur-backend", "aiuteur-worker"):
        asks = requests_of(
            "ecs",
            "RegisterTaskDefinition",
            {"family": family, "tags": [{"key": "app", "value": "aiuteur"}]},
            where,
        )
        assert [decide(r, register.policies) for r in asks] == [Decision.ALLOWED, Decision.ALLOWED]
    later = Request.of("ecs:TagResource", f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/aiuteur-worker:2")
    assert decide(later, register.policies) is Decision.NO_IDENTITY_ALLOW
