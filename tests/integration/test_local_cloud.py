"""The real handlers and the real ASL on the local cloud, looked at from inside."""

from __future__ import annotations

import json

import pytest

from pushdeploy.adapters import stepfunctions
from pushdeploy_local.cloud import LocalCloud
from pushdeploy_local.runner import ecr_event
from pushdeploy_local.scenario import Healthy, Push, parse_scenario

READ_ONLY = {"taskDefinitionArn", "revision", "registeredAt", "registeredBy", "status"}


def deploy(cloud: LocalCloud, tag: str) -> str:
    digest = cloud.push_image("aiuteur-backend", tag, Healthy())
    cloud.deliver(ecr_event(cloud, Push(tag=tag), digest, index=1))
    cloud.run_until_done(3600)
    return digest


def test_the_registered_task_definition_differs_from_the_current_one_only_in_the_image():
    with LocalCloud(parse_scenario({"pushes": []})) as cloud:
        ecs = cloud.session.client("ecs")

        digest = deploy(cloud, "v2")

        before = ecs.describe_task_definition(taskDefinition="aiuteur-backend:1", include=["TAGS"])
        after = ecs.describe_task_definition(taskDefinition="aiuteur-backend:2", include=["TAGS"])
        old, new = before["taskDefinition"], after["taskDefinition"]
        assert new["containerDefinitions"][0].pop("image") == f"{cloud.infra.registry}/aiuteur-backend@{digest}"
        assert old["containerDefinitions"][0].pop("image").endswith("@" + cloud.infra.initial_digest)
        assert {k: v for k, v in new.items() if k not in READ_ONLY} == {
            k: v for k, v in old.items() if k not in READ_ONLY
        }
        assert after["tags"] == before["tags"]
        for key in ("environment", "secrets", "logConfiguration", "healthCheck"):
            assert new["containerDefinitions"][0][key] == old["containerDefinitions"][0][key]


def test_running_the_same_push_twice_registers_once():
    with LocalCloud(parse_scenario({"pushes": []})) as cloud:
        deploy(cloud, "v2")
        ecs = cloud.session.client("ecs")
        history = cloud.history(cloud.executions[0])
        register_input = next(
            json.loads(e["lambdaFunctionScheduledEventDetails"]["input"])
            for e in history
            if e["type"] == "LambdaFunctionScheduled"
            and "RegisterFunction" in e["lambdaFunctionScheduledEventDetails"]["resource"]
        )

        again = cloud.invoke("RegisterFunction", register_input)

        assert again["reused"] is True
        assert again["task_definition"].endswith("aiuteur-backend:2")
        assert again["previous_task_definition"].endswith("aiuteur-backend:1")
        assert len(ecs.list_task_definitions(familyPrefix="aiuteur-backend")["taskDefinitionArns"]) == 2


def test_a_target_whose_container_is_not_in_the_task_definition_fails_naming_it_and_changes_nothing():
    with LocalCloud(parse_scenario({"pushes": []})) as cloud:
        ssm = cloud.session.client("ssm")
        targets = json.loads(ssm.get_parameter(Name=cloud.infra.targets_parameter)["Parameter"]["Value"])
        targets["targets"][0]["container"] = "api"
        ssm.put_parameter(Name=cloud.infra.targets_parameter, Value=json.dumps(targets), Overwrite=True)

        execution = cloud.start_execution({"service": "aiuteur-backend-service", "tag": "v1"}, "wrong-container")
        cloud.run_until_done(600)

        described = cloud.describe(execution)
        # The target's result is its child execution's: it failed, its cause the result.
        (child,) = stepfunctions.child_executions(execution, sfn=cloud.session.client("stepfunctions"))
        assert child["status"] == "FAILED" and child["error"] == "TargetFailed"
        result = json.loads(child["cause"])
        assert described["status"] == "FAILED" and described["error"] == "DeploymentFailed"
        assert described["cause"].startswith("1 of 1 targets failed, 0 timed out and 0 were aborted;")
        assert result["outcome"] == "failed"
        assert "container 'api' is not in task definition" in result["reason"]
        assert "(it has: aiuteur-backend)" in result["reason"]
        assert not {"ecs:RegisterTaskDefinition", "ecs:UpdateService"} & set(cloud.usage.api_calls)
        (alert,) = cloud.alerts()
        assert "container 'api'" in alert["Message"] and "The service was not changed" in alert["Message"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda t: t["targets"][0].update(colour="red"), "colour"),
        (lambda t: t["targets"].append(dict(t["targets"][0])), "twice"),
        (lambda t: t["targets"][0].update(tags=["v[0-9]"]), "tags"),
        (lambda t: t.update(targets="aiuteur-backend-service"), "targets"),
    ],
    ids=["unknown-field", "duplicate-service", "bracket-glob", "not-a-list"],
)
def test_a_bad_targets_configuration_fails_the_plan_naming_it_and_changes_nothing(change, named):
    with LocalCloud(parse_scenario({"pushes": []})) as cloud:
        ssm = cloud.session.client("ssm")
        targets = json.loads(ssm.get_parameter(Name=cloud.infra.targets_parameter)["Parameter"]["Value"])
        change(targets)
        ssm.put_parameter(Name=cloud.infra.targets_parameter, Value=json.dumps(targets), Overwrite=True)

        execution = cloud.start_execution({"service": "aiuteur-backend-service", "tag": "v1"}, "bad-targets")
        cloud.run_until_done(600)

        described = cloud.describe(execution)
        assert described["error"] == "InvalidRequest"
        assert "targets parameter '/pushdeploy/targets'" in described["cause"] and named in described["cause"]
        assert not {"ecs:RegisterTaskDefinition", "ecs:UpdateService", "dynamodb:UpdateItem"} & set(
            cloud.usage.api_calls
        )


def test_a_register_that_ran_before_the_update_is_reused_not_registered_again():
    # Register succeeded, then its answer was lost (a crash after the call): the retry must find the
    # revision it registered, the family's newest, and reuse it (ListTaskDefinitions sort=DESC, max 1).
    with LocalCloud(parse_scenario({"pushes": []})) as cloud:
        ecs = cloud.session.client("ecs")
        digest = cloud.push_image("aiuteur-backend", "v2", Healthy())
        item = {
            "kind": "deploy",
            "target": {
                "cluster": "aiuteur-cluster",
                "service": "aiuteur-backend-service",
                "container": "aiuteur-backend",
                "repository": "aiuteur-backend",
            },
            "task_definition": ecs.describe_services(cluster="aiuteur-cluster", services=["aiuteur-backend-service"])[
                "services"
            ][0]["taskDefinition"],
            "image": {"repository": "aiuteur-backend", "registry": cloud.infra.registry, "digest": digest, "tag": "v2"},
            "requested_at": "2026-11-20T09:00:00Z",
        }

        first = cloud.invoke("RegisterFunction", {"item": item})
        again = cloud.invoke("RegisterFunction", {"item": item})

        assert (first["reused"], again["reused"]) == (False, True)
        assert again["task_definition"] == first["task_definition"]
        assert len(ecs.list_task_definitions(familyPrefix="aiuteur-backend")["taskDefinitionArns"]) == 2
