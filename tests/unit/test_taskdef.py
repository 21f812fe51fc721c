"""The registered task definition is the current one with only the image changed."""

from __future__ import annotations

import pytest

from pushdeploy.errors import InvalidRequest
from pushdeploy.taskdef import READ_ONLY_FIELDS, container_image, same_definition, with_image

CURRENT = {
    "taskDefinitionArn": "arn:aws:ecs:us-east-1:1:task-definition/aiuteur-backend:4",
    "family": "aiuteur-backend",
    "revision": 4,
    "status": "ACTIVE",
    "registeredAt": "2026-11-20T09:00:00Z",
    "compatibilities": ["EC2", "FARGATE"],
    "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"}],
    "cpu": "512",
    "memory": "1024",
    "executionRoleArn": "arn:aws:iam::1:role/exec",
    "taskRoleArn": "arn:aws:iam::1:role/task",
    "containerDefinitions": [
        {
            "name": "aiuteur-backend",
            "image": "1.dkr.ecr.us-east-1.amazonaws.com/aiuteur-backend:latest",
            "environment": [{"name": "NODE_ENV", "value": "production"}],
            "secrets": [{"name": "DATABASE_URL", "valueFrom": "arn:aws:secretsmanager:us-east-1:1:secret:db"}],
        },
        {"name": "sidecar", "image": "public.ecr.aws/x/sidecar:1"},
    ],
}
NEW_IMAGE = "1.dkr.ecr.us-east-1.amazonaws.com/aiuteur-backend@sha256:" + "a" * 64


def test_only_the_target_containers_image_changes():
    derived = with_image(CURRENT, "aiuteur-backend", NEW_IMAGE)

    assert container_image(derived, "aiuteur-backend") == NEW_IMAGE
    assert container_image(derived, "sidecar") == "public.ecr.aws/x/sidecar:1"
    backend = derived["containerDefinitions"][0]
    assert backend["secrets"] == CURRENT["containerDefinitions"][0]["secrets"]
    assert backend["environment"] == CURRENT["containerDefinitions"][0]["environment"]
    for key in ("cpu", "memory", "executionRoleArn", "taskRoleArn", "family"):
        assert derived[key] == CURRENT[key]


def test_read_only_fields_are_not_sent_back_and_the_input_is_untouched():
    derived = with_image(CURRENT, "aiuteur-backend", NEW_IMAGE)

    assert not set(READ_ONLY_FIELDS) & set(derived)
    assert CURRENT["containerDefinitions"][0]["image"].endswith(":latest")


def test_a_missing_container_is_named_with_the_ones_that_exist():
    with pytest.raises(
        InvalidRequest, match=r"container 'api' is not in .*aiuteur-backend:4.*aiuteur-backend, sidecar"
    ):
        with_image(CURRENT, "api", NEW_IMAGE)


def test_same_definition_ignores_registration_metadata():
    derived = with_image(CURRENT, "aiuteur-backend", NEW_IMAGE)
    registered = derived | {"taskDefinitionArn": "arn:...:5", "revision": 5, "status": "ACTIVE"}

    assert same_definition(registered, derived)
    assert not same_definition(CURRENT, derived)
