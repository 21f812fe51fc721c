"""A dry run (`"dry_run": true`, `pushdeploy plan`): what a deployment would do, and nothing changed."""

from __future__ import annotations

import json

from pushdeploy import taskdef
from pushdeploy.outcome import DescribedExecution, Outcome
from pushdeploy.steps.plan import PlanOutput
from pushdeploy_local.cloud import LocalCloud
from pushdeploy_local.runner import ecr_event
from pushdeploy_local.scenario import Healthy, Push, parse_scenario

SERVICE = "aiuteur-cluster/aiuteur-backend-service"
WRITES = ("ecs:RegisterTaskDefinition", "ecs:UpdateService", "ecs:TagResource", "dynamodb:UpdateItem")


def deploy(cloud: LocalCloud, tag: str) -> str:
    digest = cloud.push_image("aiuteur-backend", tag, Healthy())
    cloud.deliver(ecr_event(cloud, Push(tag=tag), digest, index=len(cloud.executions) + 1))
    cloud.run_until_done(3600)
    return digest


def dry_run(cloud: LocalCloud, tag: str) -> tuple[dict, PlanOutput]:
    execution = cloud.start_execution(
        {"service": "aiuteur-backend-service", "tag": tag, "dry_run": True}, f"plan-{tag}"
    )
    cloud.run_until_done(cloud.clock.now + 600)
    described = cloud.describe(execution)
    return described, PlanOutput.model_validate_json(described["output"])


def test_a_dry_run_says_what_the_deploy_would_do_and_writes_nothing():
    with LocalCloud(parse_scenario({"pushes": []})) as cloud:
        ecs = cloud.session.client("ecs")
        deploy(cloud, "v2")  # verified healthy: v1 and v2 are in the service's record now
        digest = cloud.push_image("aiuteur-backend", "rc3", Healthy())  # a tag no target watches by default?
        lock_before = cloud.session.client("dynamodb").scan(TableName=cloud.infra.lock_table)["Items"]
        revisions_before = ecs.list_task_definitions(familyPrefix="aiuteur-backend")["taskDefinitionArns"]
        calls_before = dict(cloud.usage.api_calls)

        described, answer = dry_run(cloud, "rc3")

        summary = DescribedExecution.model_validate(described).summary()
        assert summary.outcome == Outcome.PLANNED
        assert f"aiuteur-backend:rc3@{digest}" in summary.reason and "nothing was changed" in summary.reason
        (preview,) = answer.previews
        assert preview.service == SERVICE
        assert preview.runs.endswith(":2") and preview.image.endswith(f"@{digest}")
        assert [c.field for c in preview.would_register] == ["containerDefinitions[aiuteur-backend].image"]
        assert preview.rollback_to is not None and preview.rollback_to.endswith(":1")
        assert preview.rollback_image_in_ecr is True and preview.lock == "free" and preview.warnings == []
        # and nothing was written: no lock, no registration, no update
        calls = {k: v - calls_before.get(k, 0) for k, v in cloud.usage.api_calls.items()}
        assert not any(calls.get(write) for write in WRITES), calls
        assert ecs.list_task_definitions(familyPrefix="aiuteur-backend")["taskDefinitionArns"] == revisions_before
        assert cloud.session.client("dynamodb").scan(TableName=cloud.infra.lock_table)["Items"] == lock_before
        states = {
            e["stateEnteredEventDetails"]["name"]
            for e in cloud.history(described["executionArn"])
            if "stateEnteredEventDetails" in e
        }
        assert states == {"Plan", "Route", "DryRun"}


def test_a_dry_run_warns_of_a_rollback_image_gone_from_ecr_and_of_a_revision_edited_outside_pushdeploy():
    with LocalCloud(parse_scenario({"pushes": []})) as cloud:
        ecs, ecr = cloud.session.client("ecs"), cloud.session.client("ecr")
        deploy(cloud, "v2")
        # A lifecycle rule expired v1's image; someone registered revision 3 by hand with more memory.
        ecr.batch_delete_image(repositoryName="aiuteur-backend", imageIds=[{"imageDigest": cloud.infra.initial_digest}])
        running = ecs.describe_task_definition(taskDefinition="aiuteur-backend:2")["taskDefinition"]
        same = taskdef.with_image(running, "aiuteur-backend", running["containerDefinitions"][0]["image"])
        ecs.register_task_definition(**{**same, "memory": "2048"})
        cloud.push_image("aiuteur-backend", "v3", Healthy())

        _, answer = dry_run(cloud, "v3")

        (preview,) = answer.previews
        assert preview.rollback_to.endswith(":1") and preview.rollback_image_in_ecr is False
        assert preview.newest.endswith(":3")
        assert {"field": "memory", "before": "1024", "after": "2048"} in [c.model_dump() for c in preview.edited_since]
        assert any("no longer in ECR" in w for w in preview.warnings)
        assert any("differs from the running revision (memory)" in w for w in preview.warnings)
        assert json.loads(json.dumps(answer.model_dump(mode="json")))["action"] == "dry_run"
