"""A target outside the stack's IAM scope is refused by name before any call it would fail (pushdeploy.scope)."""

from __future__ import annotations

import json

from pushdeploy import taskdef
from pushdeploy.adapters import stepfunctions
from pushdeploy.outcome import DescribedChild, DescribedExecution, Outcome, results_of_children
from pushdeploy.steps.plan import PlanOutput
from pushdeploy_local.cloud import LocalCloud
from pushdeploy_local.runner import ecr_event
from pushdeploy_local.scenario import Healthy, Push, parse_scenario

SERVICE = "aiuteur-backend-service"


def summary(cloud: LocalCloud, execution: str):
    """How the push ended, each target's result read from its child execution."""
    children = stepfunctions.child_executions(execution, sfn=cloud.session.client("stepfunctions"))
    results = results_of_children(DescribedChild.model_validate(c) for c in children)
    return DescribedExecution.model_validate(cloud.describe(execution)).summary(results)


def test_a_target_in_another_cluster_is_refused_naming_the_scope_and_nothing_is_called():
    with LocalCloud(parse_scenario({"pushes": []})) as cloud:
        # Given a target under the document that names a cluster the stack's policies do not cover
        other = {"cluster": "payments", "service": "api", "container": "app", "repository": "aiuteur-backend"}
        cloud.session.client("ssm").put_parameter(
            Name=f"{cloud.infra.targets_parameter}/payments/api", Type="String", Value=json.dumps(other)
        )

        digest = cloud.push_image("aiuteur-backend", "v2", Healthy())
        cloud.deliver(ecr_event(cloud, Push(tag="v2"), digest, index=1))
        cloud.run_until_done(3600)

        (execution,) = cloud.executions
        ended = summary(cloud, execution)
        assert ended.outcome == Outcome.REJECTED
        assert "outside the stack's IAM scope: payments/api (cluster 'payments'" in ended.reason
        assert "ClusterName" in ended.reason
        assert cloud.iam.denied == []  # refused by the Plan, not by IAM mid-execution
        assert "ecs:RegisterTaskDefinition" not in cloud.usage.api_calls


def test_a_task_role_the_deployer_cannot_pass_fails_the_target_before_registering_and_the_plan_says_so():
    with LocalCloud(parse_scenario({"pushes": []})) as cloud:
        ecs = cloud.session.client("ecs")
        # Given the service moved, outside pushdeploy, to a task definition with a role of its own
        running = ecs.describe_task_definition(taskDefinition="aiuteur-backend:1")["taskDefinition"]
        image = running["containerDefinitions"][0]["image"]
        other_role = "arn:aws:iam::123456789012:role/someone-elses-role"
        moved = {**taskdef.with_image(running, "aiuteur-backend", image), "taskRoleArn": other_role}
        arn = ecs.register_task_definition(**moved)["taskDefinition"]["taskDefinitionArn"]
        ecs.update_service(cluster="aiuteur-cluster", service=SERVICE, taskDefinition=arn)
        cloud.run_until_done(cloud.clock.now + 600)
        digest = cloud.push_image("aiuteur-backend", "v3", Healthy())

        # When a dry run looks, then the push deploys
        planned = cloud.start_execution({"service": SERVICE, "tag": "v3", "dry_run": True}, "plan-v3")
        cloud.run_until_done(cloud.clock.now + 600)
        cloud.deliver(ecr_event(cloud, Push(tag="v3"), digest, index=1))
        cloud.run_until_done(cloud.clock.now + 3600)

        # Then the plan names the role, and the push fails that target without registering or updating
        (preview,) = PlanOutput.model_validate_json(cloud.describe(planned)["output"]).previews
        assert preview.outside_scope == (f"taskRoleArn {other_role} (iam:PassRole covers only the stack's task roles)",)
        assert any("outside the stack's IAM scope" in w for w in preview.warnings)
        pushed = next(e for e in cloud.executions if e != planned)
        ended = summary(cloud, pushed)
        assert ended.outcome == Outcome.FAILED and other_role in ended.reason
        assert cloud.iam.denied == []
        assert len(ecs.list_task_definitions(familyPrefix="aiuteur-backend")["taskDefinitionArns"]) == 2
        assert (
            ecs.describe_services(cluster="aiuteur-cluster", services=[SERVICE])["services"][0]["taskDefinition"] == arn
        )
