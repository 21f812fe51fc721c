"""The local cloud is template.yaml's stack: built from the SAM transform, resource by resource, in moto.

A change to the template shows in the local cloud with no change to `localcloud/`; a scenario
overrides only what it names.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto import mock_aws

from pushdeploy.adapters import ssm
from pushdeploy_local import scenario as scenario_module
from pushdeploy_local.cloud import REGION, Clients, LocalCloud, default_network
from pushdeploy_local.iam.policy import Decision, Request, decide
from pushdeploy_local.iam.stack import ACCOUNT, stack_iam
from pushdeploy_local.scenario import parse_scenario
from pushdeploy_local.stack import PSEUDO, Template, source, transformed
from pushdeploy_local.stack.build import physical_name
from pushdeploy_local.stack.local import build_scenario_stack

NO_PUSHES = parse_scenario({"pushes": []})


def task_definition(cloud: LocalCloud, service: str = "aiuteur-backend-service") -> dict[str, Any]:
    ecs = cloud.session.client("ecs")
    found = ecs.describe_services(cluster="aiuteur-cluster", services=[service])["services"][0]
    return dict(ecs.describe_task_definition(taskDefinition=found["taskDefinition"])["taskDefinition"])


def target_group(cloud: LocalCloud, arn: str) -> dict[str, Any]:
    return dict(cloud.session.client("elbv2").describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0])


def test_a_change_to_the_template_shows_in_the_local_cloud() -> None:
    # Given template.yaml with another container port, a fifth secret and another health check
    template = source()
    resources = template["Resources"]
    template["Parameters"]["ContainerPort"]["Default"] = 8080
    template["Parameters"]["HealthCheckPath"]["Default"] = "/healthz"
    resources["SentryDsnSecret"] = json.loads(json.dumps(resources["DatabaseUrlSecret"]))
    resources["SentryDsnSecret"]["Properties"]["Name"] = {"Fn::Sub": "${AppName}/sentry-dsn"}
    container = resources["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    container["Secrets"].append({"Name": "SENTRY_DSN", "ValueFrom": {"Ref": "SentryDsnSecret"}})
    container["HealthCheck"]["Command"] = ["CMD-SHELL", "nc -z 127.0.0.1 8080 || exit 1"]
    resources["TargetGroup"]["Properties"]["HealthCheckIntervalSeconds"] = 10

    with LocalCloud(NO_PUSHES, template) as cloud:
        # Then the task definition, the target group and the model are the changed template's
        [definition] = task_definition(cloud)["containerDefinitions"]
        assert definition["portMappings"][0]["containerPort"] == 8080
        assert definition["healthCheck"]["command"] == ["CMD-SHELL", "nc -z 127.0.0.1 8080 || exit 1"]
        secrets = {s["name"]: s["valueFrom"] for s in definition["secrets"]}
        sentry = cloud.session.client("secretsmanager").describe_secret(SecretId="aiuteur/sentry-dsn")
        assert secrets["SENTRY_DSN"] == sentry["ARN"]
        [main] = cloud.infra.services
        group = target_group(cloud, str(main.target_group))
        assert (group["Port"], group["HealthCheckPath"], group["HealthCheckIntervalSeconds"]) == (8080, "/healthz", 10)
        assert main.spec.health_check.interval_seconds == 10  # the ECS/ALB model probes as the target group says


def test_the_base_infrastructure_is_the_templates() -> None:
    with LocalCloud(NO_PUSHES) as cloud:
        definition = task_definition(cloud)
        assert definition["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"}
        assert (definition["cpu"], definition["memory"]) == ("512", "1024")
        [container] = definition["containerDefinitions"]
        secrets = cloud.session.client("secretsmanager").list_secrets()["SecretList"]
        assert sorted(s["Name"] for s in secrets) == [
            "aiuteur/database-url",
            "aiuteur/google-ai-api-key",
            "aiuteur/google-credentials",
            "aiuteur/langsmith-api-key",
        ]
        assert {s["valueFrom"] for s in container["secrets"]} == {s["ARN"] for s in secrets}
        assert container["healthCheck"]["command"][1].startswith(
            "wget -q -O /dev/null http://127.0.0.1:3001/api/health"
        )
        # The initial image is the template's `${Repository.RepositoryUri}:${InitialImageTag}`, pinned by digest
        assert container["image"] == f"{cloud.infra.registry}/aiuteur-backend:v1@{cloud.infra.initial_digest}"
        assert definition["executionRoleArn"].endswith(":role/aiuteur-ecs-task-execution-role")
        listeners = cloud.session.client("elbv2").describe_listeners(LoadBalancerArn=cloud.stack.ref("LoadBalancer"))
        assert listeners["Listeners"][0]["DefaultActions"][0]["TargetGroupArn"] == cloud.infra.services[0].target_group


def test_each_function_runs_as_its_own_role_with_the_transforms_policies() -> None:
    with LocalCloud(NO_PUSHES) as cloud:
        lam, iam = cloud.session.client("lambda"), cloud.session.client("iam")
        roles = {}
        for logical_id, function in cloud.functions.items():
            role = cloud.stack.role_of(logical_id)
            assert role == f"{logical_id}Role"
            roles[logical_id] = lam.get_function(FunctionName=function.name)["Configuration"]["Role"]
            assert roles[logical_id] == cloud.stack.attribute(role, "Arn")
        assert len(set(roles.values())) == len(roles) == 12  # one per function of functions/
        assert cloud.stack.role_of("DeployStateMachine") == "DeployStateMachineRole"

        # The role in moto holds the documents `policies` gives, resolved to the stack's physical names
        plan_role = cloud.stack.ref("PlanFunctionRole")
        statements = [s for d in cloud.stack.policies("PlanFunctionRole") for s in d["Statement"]]
        read_last_good = next(s for s in statements if s.get("Sid") == "ReadLastGood")
        assert read_last_good["Resource"].endswith(f":table/{cloud.infra.lock_table}")
        [inline] = iam.list_role_policies(RoleName=plan_role)["PolicyNames"]
        stored = iam.get_role_policy(RoleName=plan_role, PolicyName=inline)["PolicyDocument"]
        assert stored["Statement"] == cloud.stack.policies("PlanFunctionRole")[0]["Statement"]
        attached = iam.list_attached_role_policies(RoleName=plan_role)["AttachedPolicies"]
        assert {p["PolicyName"] for p in attached} == {"AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"}


def test_resources_the_template_does_not_name_get_cloudformations_names() -> None:
    with LocalCloud(NO_PUSHES) as cloud:
        assert cloud.infra.lock_table == physical_name("pushdeploy", "LockTable")
        assert cloud.infra.lock_table.startswith("pushdeploy-LockTable-")
        assert cloud.functions["PlanFunction"].name == physical_name("pushdeploy", "PlanFunction")
        machine = physical_name("pushdeploy", "DeployStateMachine", 80)  # the template leaves it unnamed
        assert cloud.infra.state_machine.endswith(f":stateMachine:{machine}")
        assert cloud.infra.targets_parameter == "/pushdeploy/targets"
        assert set(cloud.stack.not_created.values()) and "Dashboard" in cloud.stack.not_created
        # The handlers import with the stack's physical names
        assert cloud.functions["NotifyFunction"].environment["ALERT_TOPIC_ARN"] == cloud.infra.alert_topic
        topic = cloud.session.client("sns").get_topic_attributes(TopicArn=cloud.infra.alert_topic)["Attributes"]
        assert topic["KmsMasterKeyId"] == cloud.stack.ref("AlertTopicKey")
        assert "ExecutionFailedRulePublishes" in topic["Policy"]


def test_a_scenario_overrides_only_what_it_names() -> None:
    scenario = parse_scenario(
        {
            "service": {"grace_period_seconds": 15, "health_check": {"healthy_threshold": 5}, "desired_count": 2},
            "extra_services": [{"name": "aiuteur-worker-service", "load_balanced": False}],
            "pushes": [],
        }
    )
    with LocalCloud(scenario) as cloud:
        ecs = cloud.session.client("ecs")
        main, worker = cloud.infra.services
        described = ecs.describe_services(cluster=main.cluster, services=[main.name])["services"][0]
        assert (described["healthCheckGracePeriodSeconds"], described["desiredCount"]) == (15, 2)
        group = target_group(cloud, str(main.target_group))
        # named: the healthy threshold; not named: the interval, the template's
        assert (group["HealthyThresholdCount"], group["HealthCheckIntervalSeconds"]) == (5, 30)
        assert (main.spec.health_check.healthy_threshold, main.spec.grace_period_seconds) == (5, 15)

        # The worker is a copy of the template's service without a load balancer
        assert worker.target_group is None
        [container] = task_definition(cloud, "aiuteur-worker-service")["containerDefinitions"]
        assert not container.get("portMappings") and "healthCheck" not in container
        assert task_definition(cloud, "aiuteur-worker-service")["family"] == "aiuteur-worker"

        # An extra service is a target under the stack's document, a parameter of its own
        client = cloud.session.client("ssm")
        document = json.loads(client.get_parameter(Name=cloud.infra.targets_parameter)["Parameter"]["Value"])
        assert [t["service"] for t in document["targets"]] == ["aiuteur-backend-service"]
        loaded = ssm.load_targets(cloud.infra.targets_parameter, ssm=client)
        assert [t.service for t in loaded.targets] == ["aiuteur-backend-service", "aiuteur-worker-service"]
        client.get_parameter(Name=f"{cloud.infra.targets_parameter}/aiuteur-cluster/aiuteur-worker-service")


def test_without_a_named_deployer_the_targets_document_is_the_templates() -> None:
    with LocalCloud(NO_PUSHES) as cloud:
        value = cloud.session.client("ssm").get_parameter(Name=cloud.infra.targets_parameter)["Parameter"]["Value"]
        expected = Template(source(), {"VpcId": "vpc-1", "SubnetIds": ["subnet-1"]}).resolve(
            source()["Resources"]["TargetsParameter"]["Properties"]["Value"]
        )
        assert json.loads(value) == json.loads(expected)


@pytest.mark.parametrize(
    ("default", "parameter"),
    [
        ("DEFAULT_REPOSITORY", "RepositoryName"),
        ("DEFAULT_CLUSTER", "ClusterName"),
        ("DEFAULT_SERVICE", "ServiceName"),
        ("DEFAULT_CONTAINER", "ContainerName"),
        ("DEFAULT_FAMILY", "TaskFamily"),
    ],
)
def test_the_scenario_defaults_are_the_templates_names(default: str, parameter: str) -> None:
    assert getattr(scenario_module, default) == Template(source()).parameter(parameter)


def test_a_change_to_one_transformed_template_does_not_reach_the_next() -> None:
    changed, _ = transformed()
    del changed["Resources"]["TaskStoppedRule"]
    fresh, _ = transformed()
    assert "TaskStoppedRule" in fresh["Resources"]


def test_a_disabled_rule_delivers_nothing() -> None:
    template = source()
    template["Resources"]["TaskStoppedRule"]["Properties"]["State"] = "DISABLED"
    with LocalCloud(NO_PUSHES, template) as cloud:
        stopped = {"source": "aws.ecs", "detail-type": "ECS Task State Change", "detail": {"lastStatus": "STOPPED"}}
        assert cloud.publish(stopped) == []
        assert (
            cloud.session.client("events").describe_rule(Name=cloud.stack.ref("TaskStoppedRule"))["State"] == "DISABLED"
        )


def test_a_stack_named_with_128_characters_builds_and_its_lock_may_read_the_deployers_executions() -> None:
    # CloudFormation takes stack names of up to 128 characters; a state machine's name is at most 80
    # (Step Functions' CreateStateMachine; moto refuses a longer one with InvalidName as AWS does).
    long_name = "pushdeploy-" + "x" * 117
    with mock_aws():
        clients = Clients(REGION)
        built = build_scenario_stack(
            NO_PUSHES,
            clients,
            template=None,
            network=default_network(clients),
            initial_image="v1@sha256:" + "0" * 64,
            pseudo={**PSEUDO, "AWS::StackName": long_name},
        )
        machine = str(built.output("StateMachineArn"))
        name = machine.rsplit(":", 1)[1]
        assert 0 < len(name) <= 80

        # The Lock function's role, as built, may describe the deployer's executions and no other's
        lock = stack_iam(built.evaluator).roles["LockFunction"]
        execution = machine.replace(":stateMachine:", ":execution:") + ":aiuteur-backend-v2"
        other = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:another-machine:aiuteur-backend-v2"
        assert decide(Request.of("states:DescribeExecution", execution), lock.policies) is Decision.ALLOWED
        assert decide(Request.of("states:DescribeExecution", other), lock.policies) is Decision.NO_IDENTITY_ALLOW
        # and IAM holds that policy on the role (an AWS::IAM::Policy of the template, put into the role)
        role = str(built.ref("LockFunctionRole"))
        assert "AskWhetherTheHolderStillRuns" in clients.client("iam").list_role_policies(RoleName=role)["PolicyNames"]
        statements = [s for d in built.policies("LockFunctionRole") for s in d["Statement"]]
        assert any(s.get("Sid") == "AskWhetherTheHolderStillRuns" for s in statements)


def test_service_deployment_builds_the_blue_green_stack_and_gives_the_target_its_strategy() -> None:
    # Given a scenario whose Phase 4 service deploys canary
    scenario = parse_scenario(
        {
            "service": {"deployment": {"strategy": "canary", "canary_percent": 10, "canary_bake_seconds": 300}},
            "pushes": [],
        }
    )

    with LocalCloud(scenario) as cloud:
        # Then the service names its alternate target group and the two listener rules (DeploymentStrategy=BLUE_GREEN)
        ecs, elbv2 = cloud.session.client("ecs"), cloud.session.client("elbv2")
        service = ecs.describe_services(cluster="aiuteur-cluster", services=["aiuteur-backend-service"])["services"][0]
        [balancer] = service["loadBalancers"]
        advanced = balancer["advancedConfiguration"]
        for rule in (advanced["productionListenerRule"], advanced["testListenerRule"]):
            [described] = elbv2.describe_rules(RuleArns=[rule])["Rules"]
            groups = described["Actions"][0]["ForwardConfig"]["TargetGroups"]
            assert {(g["TargetGroupArn"], g["Weight"]) for g in groups} == {
                (balancer["targetGroupArn"], 100),
                (advanced["alternateTargetGroupArn"], 0),
            }
        # and the hook exists, and the target carries the scenario's strategy
        functions = [f["FunctionName"] for f in cloud.session.client("lambda").list_functions()["Functions"]]
        assert any("HookFunction" in name for name in functions)
        [target] = ssm.load_targets(cloud.stack.output("TargetsParameterName"), ssm=cloud.session.client("ssm")).targets
        assert target.strategy is not None
        assert target.strategy.deployment_configuration()["canaryConfiguration"] == {
            "canaryPercent": 10.0,
            "canaryBakeTimeInMinutes": 5,
        }
