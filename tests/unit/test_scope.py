"""Targets outside the stack's IAM scope are named before anything runs (pushdeploy.scope)."""

from __future__ import annotations

from pushdeploy.models import Target
from pushdeploy.scope import Scope

EXECUTION_ROLE = "arn:aws:iam::123456789012:role/exec"
TASK_ROLE = "arn:aws:iam::123456789012:role/task"
SCOPE = Scope(
    cluster="aiuteur-cluster", repositories=("aiuteur-backend", "aiuteur-jobs"), task_roles=(EXECUTION_ROLE, TASK_ROLE)
)


def target(**changes: str) -> Target:
    fields = {"cluster": "aiuteur-cluster", "service": "api", "container": "app", "repository": "aiuteur-backend"}
    return Target(**{**fields, **changes})


def test_a_target_inside_the_scope_has_nothing_outside():
    assert SCOPE.outside(target()) == []
    assert SCOPE.outside(target(repository="aiuteur-jobs")) == []


def test_another_cluster_and_an_unwatched_repository_are_named_with_the_parameter_to_change():
    assert SCOPE.outside(target(cluster="other", repository="payments")) == [
        "cluster 'other' (the stack's policies cover cluster 'aiuteur-cluster': ClusterName)",
        "repository 'payments' (the stack watches aiuteur-backend, aiuteur-jobs: WatchedRepositories)",
    ]


def test_a_role_the_deployer_cannot_pass_is_named():
    definition = {"executionRoleArn": EXECUTION_ROLE, "taskRoleArn": "arn:aws:iam::1:role/x"}

    assert SCOPE.roles_outside(definition) == [
        "taskRoleArn arn:aws:iam::1:role/x (iam:PassRole covers only the stack's task roles)"
    ]
    assert SCOPE.roles_outside({"executionRoleArn": EXECUTION_ROLE}) == []
