"""No secret value ever appears in a log line, an alert, or an execution's input, output or history."""

from __future__ import annotations

import json

from pushdeploy.taskdef import READ_ONLY_FIELDS
from pushdeploy_local.cloud import LocalCloud
from pushdeploy_local.runner import ecr_event
from pushdeploy_local.scenario import Crash, Push, parse_scenario

PLANTED_ENVIRONMENT = "sk_live_PLANTED0123456789abcdef"
PLANTED_SECRET = "PLANTED-database-password-4242"


def test_planted_secrets_appear_in_no_output():
    with LocalCloud(parse_scenario({"pushes": []})) as cloud:
        # Given a service whose task definition carries a key in its environment and a secret
        ecs = cloud.session.client("ecs")
        cloud.session.client("secretsmanager").put_secret_value(
            SecretId="aiuteur/database-url", SecretString=PLANTED_SECRET
        )
        current = ecs.describe_task_definition(taskDefinition="aiuteur-backend:1", include=["TAGS"])
        definition = {k: v for k, v in current["taskDefinition"].items() if k not in READ_ONLY_FIELDS}
        definition["containerDefinitions"][0]["environment"].append(
            {"name": "STRIPE_SECRET_KEY", "value": PLANTED_ENVIRONMENT}
        )
        ecs.register_task_definition(**definition, tags=current["tags"])
        ecs.update_service(
            cluster="aiuteur-cluster", service="aiuteur-backend-service", taskDefinition="aiuteur-backend:2"
        )
        cloud.run_until(300)

        # When a bad image is deployed, rolled back and alerted
        digest = cloud.push_image("aiuteur-backend", "v2", Crash(kind="crash"))
        cloud.deliver(ecr_event(cloud, Push(tag="v2"), digest, index=1))
        cloud.run_until_done(3600)

        # Then the key and the secret are in nothing the deployer wrote
        alerts = cloud.alerts()
        assert len(alerts) == 1
        registered = ecs.describe_task_definition(taskDefinition="aiuteur-backend:3")["taskDefinition"]
        assert PLANTED_ENVIRONMENT in json.dumps(registered)  # the copy keeps the environment itself
        outputs = [
            "\n".join(cloud.printed),
            json.dumps(alerts),
            *(json.dumps(cloud.history(e), default=str) for e in cloud.executions),
            *(json.dumps(cloud.describe(e), default=str) for e in cloud.executions),
        ]
        for output in outputs:
            assert PLANTED_ENVIRONMENT not in output
            assert PLANTED_SECRET not in output
        assert any('"level"' in line for line in cloud.printed)  # the logs were searched, not empty
