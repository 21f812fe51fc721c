"""ECS's blue/green, linear and canary deployments, driven and observed only through the ECS, ELBv2 and Lambda
APIs (boto3 against moto, the model behind it): CreateService's strategy fields and their errors, the
lifecycle stages on the virtual clock, the listener rules' weights, the hook Lambda's invocations and what
its answers do, rollback by weight, bake time, StopServiceDeployment and ContinueServiceDeployment."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from pushdeploy_local.ecs import EcsModel
from pushdeploy_local.moto_hooks import ecs_deployments, ecs_service_deployments, target_health
from pushdeploy_local.moto_hooks.lambda_invoke import route_invocations
from pushdeploy_local.scenario import ServiceSpec, Unhealthy
from tests.integration.test_moto_hooks import lambda_function
from tests.unit.localcloud.ecs.fakes import ACCOUNT, CLUSTER, CONTAINER, REGION, SERVICE, V2
from tests.unit.localcloud.ecs.test_moto_view import _no_default_amis, _register, client

__all__ = ["_no_default_amis"]  # its autouse fixture applies here too

MINUTE = 60.0


@dataclass
class Bed:
    ecs: Any
    elbv2: Any
    model: EcsModel
    blue_group: str
    green_group: str
    production_rule: str
    test_rule: str
    hook_arn: str
    role: str
    v2: str
    calls: list[dict[str, Any]] = field(default_factory=list)  # every event the hook received
    answer: Callable[[dict[str, Any]], Any] = lambda event: {"hookStatus": "SUCCEEDED"}

    def deploy(self) -> str:
        """UpdateService to v2; the new service deployment's ARN."""
        self.ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=self.v2)
        [brief, *_] = self.ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE)["serviceDeployments"]
        return str(brief["serviceDeploymentArn"])

    def describe(self, arn: str) -> dict[str, Any]:
        return dict(self.ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0])

    def weights(self, rule: str) -> dict[str, int]:
        [described] = self.elbv2.describe_rules(RuleArns=[rule])["Rules"]
        [forward] = [a for a in described["Actions"] if a["Type"] == "forward"]
        groups = forward["ForwardConfig"]["TargetGroups"]
        return {g["TargetGroupArn"]: g["Weight"] for g in groups}

    def stages(self, arn: str, until: float, every: float = 5.0) -> list[tuple[float, str, str]]:
        """(instant, lifecycleStage, status) at each change, stepping the clock by `every` seconds."""
        seen: list[tuple[float, str, str]] = []
        t = self.model.now
        while t <= until:
            self.model.advance_to(t)
            described = self.describe(arn)
            now = (described["lifecycleStage"], described["status"])
            if not seen or seen[-1][1:] != now:
                seen.append((t, *now))
            t += every
        return seen

    def running(self, group: str) -> int:
        found = self.elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
        return sum(1 for d in found if d["TargetHealth"]["State"] == "healthy")


def hook(role: str, arn: str, stages: list[str], **more: Any) -> dict[str, Any]:
    return {"hookTargetArn": arn, "roleArn": role, "lifecycleStages": stages, **more}


@contextlib.contextmanager
def bed(configuration: Callable[[Bed], dict[str, Any]], *, desired: int = 2) -> Iterator[Bed]:
    """moto with the Phase 4 service on v1 behind an ALB whose production and test listener rules forward to
    the blue target group, a hook function, the service created with `configuration(bed)` as its
    deploymentConfiguration; the model runs it and routes the hook's invocations to `Bed.answer`."""
    with mock_aws():
        ec2, ecs, elbv2 = client("ec2"), client("ecs"), client("elbv2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"][
                "SubnetId"
            ]
            for i, z in ((1, "a"), (2, "b"))
        ]
        group = ec2.create_security_group(GroupName="ecs", Description="ecs", VpcId=vpc)["GroupId"]
        blue, green = (
            elbv2.create_target_group(Name=name, Protocol="HTTP", Port=3001, VpcId=vpc, TargetType="ip")[
                "TargetGroups"
            ][0]["TargetGroupArn"]
            for name in ("aiuteur-blue", "aiuteur-green")
        )
        balancer = elbv2.create_load_balancer(Name="aiuteur", Subnets=subnets, SecurityGroups=[group])
        balancer_arn = balancer["LoadBalancers"][0]["LoadBalancerArn"]
        rules = []
        for port in (80, 8080):  # production, test
            listener = elbv2.create_listener(
                LoadBalancerArn=balancer_arn,
                Protocol="HTTP",
                Port=port,
                DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
            )["Listeners"][0]["ListenerArn"]
            forward = {
                "TargetGroups": [{"TargetGroupArn": blue, "Weight": 100}, {"TargetGroupArn": green, "Weight": 0}]
            }
            rules.append(
                elbv2.create_rule(
                    ListenerArn=listener,
                    Priority=1,
                    Conditions=[{"Field": "path-pattern", "Values": ["/*"]}],
                    Actions=[{"Type": "forward", "ForwardConfig": forward}],
                )["Rules"][0]["RuleArn"]
            )
        # a role (the infrastructure role, and the hook's) and the hook's function
        role, hook_arn = lambda_function(boto3.session.Session(region_name=REGION))
        ecs.create_cluster(clusterName=CLUSTER)
        v1, v2 = (_register(ecs, digest) for digest in ("sha256:" + "1" * 64, V2))
        b = Bed(ecs, elbv2, EcsModel(ACCOUNT, REGION), blue, green, rules[0], rules[1], hook_arn, role, v2)

        def route(name: str, event: Any) -> Any:
            b.calls.append(event)
            return b.answer(event)

        with (
            ecs_deployments.install(b.model),
            target_health.install(b.model),
            ecs_service_deployments.install(b.model),
            route_invocations(route),
        ):
            ecs.create_service(
                cluster=CLUSTER,
                serviceName=SERVICE,
                taskDefinition=v1,
                desiredCount=desired,
                launchType="FARGATE",
                networkConfiguration={"awsvpcConfiguration": {"subnets": subnets[:1], "securityGroups": [group]}},
                loadBalancers=[balancer_of(b)],
                deploymentConfiguration=configuration(b),
            )
            b.model.add_service(
                cluster=CLUSTER,
                service=SERVICE,
                container=CONTAINER,
                spec=ServiceSpec(desired_count=desired),
                target_group_arn=blue,
            )
            yield b


def balancer_of(b: Bed, **advanced: Any) -> dict[str, Any]:
    return {
        "targetGroupArn": b.blue_group,
        "containerName": CONTAINER,
        "containerPort": 3001,
        "advancedConfiguration": {
            "alternateTargetGroupArn": b.green_group,
            "productionListenerRule": b.production_rule,
            "testListenerRule": b.test_rule,
            "roleArn": b.role,
            **advanced,
        },
    }


def blue_green(b: Bed, *, bake: int = 2, hooks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": bake, "lifecycleHooks": hooks or []}


# ---------------------------------------------------------------------------- the configuration


def test_describe_services_returns_the_strategy_fields_as_given() -> None:
    def canary(b: Bed) -> dict[str, Any]:
        return {
            "strategy": "CANARY",
            "bakeTimeInMinutes": 3,
            "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5},
            "lifecycleHooks": [hook(b.role, b.hook_arn, ["PRODUCTION_TRAFFIC_SHIFT"], hookDetails={"policy": "x"})],
        }

    with bed(canary) as b:
        [service] = b.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"]
        configuration = service["deploymentConfiguration"]
        assert configuration["strategy"] == "CANARY"
        assert configuration["canaryConfiguration"] == {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5}
        assert configuration["lifecycleHooks"][0]["lifecycleStages"] == ["PRODUCTION_TRAFFIC_SHIFT"]
        assert service["loadBalancers"][0]["advancedConfiguration"]["alternateTargetGroupArn"] == b.green_group


@pytest.mark.parametrize(
    ("change", "names"),
    [
        ({"strategy": "SIDEWAYS"}, "deploymentConfiguration.strategy 'SIDEWAYS'"),
        ({"strategy": "BLUE_GREEN"}, "bakeTimeInMinutes is required with the BLUE_GREEN strategy"),
        ({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1441}, "bakeTimeInMinutes must be between 0 and 1440"),
        (
            {"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 2.0}},
            "stepPercent must be a multiple of 0.1 from 3.0",
        ),
        (
            {"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 5.05}},
            "canaryPercent must be a multiple of 0.1",
        ),
        (
            {"strategy": "CANARY", "lifecycleHooks": [{"lifecycleStages": ["POST_SCALE_UP"], "roleArn": "r"}]},
            "lifecycleHooks[0].hookTargetArn is required for an AWS_LAMBDA lifecycle hook",
        ),
        (
            {
                "strategy": "CANARY",
                "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["PRODUCTION_TRAFFIC_SHIFT"]}],
            },
            "PAUSE hooks cannot be configured at the PRODUCTION_TRAFFIC_SHIFT stage",
        ),
        (
            {
                "strategy": "CANARY",
                "lifecycleHooks": [{"hookTargetArn": "f", "roleArn": "r", "lifecycleStages": ["BAKE_TIME"]}],
            },
            "lifecycleStages: 'BAKE_TIME' is not one of",
        ),
    ],
)
def test_update_service_refuses_a_bad_strategy_with_invalid_parameter_exception(
    change: dict[str, Any], names: str
) -> None:
    with bed(blue_green) as b:
        with pytest.raises(ClientError) as refused:
            b.ecs.update_service(cluster=CLUSTER, service=SERVICE, deploymentConfiguration=change)
        assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
        assert names in refused.value.response["Error"]["Message"]


def test_a_traffic_shifting_strategy_needs_the_advanced_configuration_and_its_role() -> None:
    with bed(blue_green) as b:
        without_role = balancer_of(b, roleArn="")
        with pytest.raises(ClientError) as refused:
            b.ecs.update_service(cluster=CLUSTER, service=SERVICE, loadBalancers=[without_role])
        assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
        assert "advancedConfiguration.roleArn is required with the BLUE_GREEN strategy" in str(refused.value)
        plain = {k: v for k, v in balancer_of(b).items() if k != "advancedConfiguration"}
        with pytest.raises(ClientError, match=r"requires loadBalancers\[\]\.advancedConfiguration"):
            b.ecs.update_service(cluster=CLUSTER, service=SERVICE, loadBalancers=[plain])


# ---------------------------------------------------------------------------- the lifecycle


def test_blue_green_walks_its_stages_shifts_test_then_production_traffic_and_bakes_before_clean_up() -> None:
    stages = ["POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"]
    with bed(lambda b: blue_green(b, bake=2, hooks=[hook(b.role, b.hook_arn, stages)])) as b:
        arn = b.deploy()

        seen = b.stages(arn, until=10 * MINUTE)

        # Then: the stages in ECS's order, the deployment SUCCESSFUL after the 2-minute bake
        assert [s for _, s, _ in seen] == ["SCALE_UP", "BAKE_TIME", "CLEAN_UP", "CLEAN_UP"]
        assert seen[-1][2] == "SUCCESSFUL"
        bake_start = next(t for t, s, _ in seen if s == "BAKE_TIME")
        clean_up = next(t for t, s, _ in seen if s == "CLEAN_UP")
        assert clean_up - bake_start == pytest.approx(2 * MINUTE, abs=5)
        # the hook saw each configured stage once, with the documented payload
        assert [c["lifecycleStage"] for c in b.calls] == stages
        shift = b.calls[2]
        assert shift["resourceArn"] == arn
        details = shift["executionDetails"]
        green_revision = details["targetServiceRevisionArn"]
        assert details["productionTrafficWeights"][green_revision] == 100
        assert details["testTrafficWeights"] == {}
        assert b.calls[1]["executionDetails"]["testTrafficWeights"][green_revision] == 100
        # both listener rules now forward everything to the green target group, where the new tasks serve
        assert b.weights(b.production_rule) == {b.green_group: 100, b.blue_group: 0}
        assert b.weights(b.test_rule) == {b.green_group: 100, b.blue_group: 0}
        assert (b.running(b.green_group), b.running(b.blue_group)) == (2, 0)
        [service] = b.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"]
        assert service["taskDefinition"] == b.v2
        assert [d["rolloutState"] for d in service["deployments"]] == ["COMPLETED"]


def test_blue_tasks_keep_serving_through_the_bake_time() -> None:
    with bed(lambda b: blue_green(b, bake=5)) as b:
        arn = b.deploy()
        b.stages(arn, until=3 * MINUTE)

        assert b.describe(arn)["lifecycleStage"] == "BAKE_TIME"
        assert b.weights(b.production_rule) == {b.green_group: 100, b.blue_group: 0}
        assert (b.running(b.green_group), b.running(b.blue_group)) == (2, 2)


def test_a_canary_shifts_its_percentage_bakes_then_shifts_the_rest() -> None:
    def canary(b: Bed) -> dict[str, Any]:
        return {
            "strategy": "CANARY",
            "bakeTimeInMinutes": 0,
            "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5},
        }

    with bed(canary) as b:
        b.deploy()
        history = []
        for t in range(0, 12 * 60, 30):
            b.model.advance_to(float(t))
            history.append((t, b.weights(b.production_rule)[b.green_group]))

        shifted = {weight: min(t for t, w in history if w == weight) for _, weight in history}
        assert sorted(shifted) == [0, 10, 100]
        assert shifted[100] - shifted[10] == pytest.approx(5 * MINUTE, abs=30)


def test_a_linear_deployment_shifts_in_equal_steps_with_a_bake_between_each() -> None:
    def linear(b: Bed) -> dict[str, Any]:
        return {
            "strategy": "LINEAR",
            "bakeTimeInMinutes": 0,
            "linearConfiguration": {"stepPercent": 25.0, "stepBakeTimeInMinutes": 1},
            "lifecycleHooks": [hook(b.role, b.hook_arn, ["PRODUCTION_TRAFFIC_SHIFT"])],
        }

    with bed(linear) as b:
        b.deploy()
        b.model.advance_to(15 * MINUTE)

        weights = [c["executionDetails"]["productionTrafficWeights"] for c in b.calls]
        green = b.calls[0]["executionDetails"]["targetServiceRevisionArn"]
        assert [w[green] for w in weights] == [25, 50, 75, 100]
        assert all(sum(w.values()) == 100 for w in weights)


def test_a_hook_in_progress_is_called_again_after_its_callback_delay_with_its_details() -> None:
    with bed(lambda b: blue_green(b, hooks=[hook(b.role, b.hook_arn, ["POST_SCALE_UP"], hookDetails={"n": 0})])) as b:

        def answer(event: dict[str, Any]) -> Any:
            n = event["hookDetails"]["n"]
            if n < 2:
                return {"hookStatus": "IN_PROGRESS", "callBackDelay": 45, "hookDetails": {"n": n + 1}}
            return {"hookStatus": "SUCCEEDED"}

        b.answer = answer
        arn = b.deploy()
        seen = b.stages(arn, until=5 * MINUTE, every=1.0)

        assert [c["hookDetails"] for c in b.calls] == [{"n": 0}, {"n": 1}, {"n": 2}]
        post_scale_up = next(t for t, s, _ in seen if s == "POST_SCALE_UP")
        after = next(t for t, s, _ in seen if t > post_scale_up and s != "POST_SCALE_UP")
        assert after - post_scale_up == pytest.approx(90, abs=1)  # two callback delays of 45 s


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (lambda event: {"hookStatus": "FAILED"}, "the hook returned FAILED"),
        (lambda event: {"status": "ok"}, "no valid hookStatus"),
        (lambda event: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_a_failed_invalid_or_erroring_hook_rolls_back_by_weight(answer: Callable[[Any], Any], reason: str) -> None:
    stages = ["TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"]
    with bed(lambda b: blue_green(b, hooks=[hook(b.role, b.hook_arn, stages)])) as b:
        b.answer = lambda event: (
            answer(event) if event["lifecycleStage"] == "POST_PRODUCTION_TRAFFIC_SHIFT" else {"hookStatus": "SUCCEEDED"}
        )
        arn = b.deploy()
        seen = b.stages(arn, until=10 * MINUTE)

        described = b.describe(arn)
        assert described["status"] == "ROLLBACK_SUCCESSFUL"
        assert reason in described["rollback"]["reason"]
        assert "ROLLBACK_IN_PROGRESS" in [status for _, _, status in seen]
        assert described["rollback"]["serviceRevisionArn"] == described["sourceServiceRevisions"][0]["arn"]
        # traffic is back on blue, the green tasks are gone, blue still serves
        assert b.weights(b.production_rule) == {b.green_group: 0, b.blue_group: 100}
        assert b.weights(b.test_rule) == {b.green_group: 0, b.blue_group: 100}
        assert (b.running(b.green_group), b.running(b.blue_group)) == (0, 2)
        # the rollback ran the traffic-shift hooks again, with blue at 100
        rollback_calls = b.calls[3:]
        assert [c["lifecycleStage"] for c in rollback_calls] == ["PRODUCTION_TRAFFIC_SHIFT", "TEST_TRAFFIC_SHIFT"]
        green = rollback_calls[0]["executionDetails"]["targetServiceRevisionArn"]
        assert rollback_calls[0]["executionDetails"]["productionTrafficWeights"][green] == 0
        [service] = b.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"]
        assert service["taskDefinition"] != b.v2


def test_a_hook_that_stays_in_progress_past_its_timeout_rolls_back() -> None:
    timeout = {"timeoutInMinutes": 2}
    with bed(
        lambda b: blue_green(b, hooks=[hook(b.role, b.hook_arn, ["POST_SCALE_UP"], timeoutConfiguration=timeout)])
    ) as b:
        b.answer = lambda event: {"hookStatus": "IN_PROGRESS"}
        arn = b.deploy()
        b.stages(arn, until=6 * MINUTE)

        described = b.describe(arn)
        assert described["status"] == "ROLLBACK_SUCCESSFUL"
        assert "timed out" in described["rollback"]["reason"]
        assert 3 <= len(b.calls) <= 6  # every 30 s (the default callBackDelay) for 2 minutes


def test_stop_service_deployment_rolls_back_during_the_bake_and_refuses_a_finished_one() -> None:
    with bed(lambda b: blue_green(b, bake=10)) as b:
        arn = b.deploy()
        b.stages(arn, until=3 * MINUTE)
        assert b.describe(arn)["lifecycleStage"] == "BAKE_TIME"

        b.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
        b.stages(arn, until=5 * MINUTE)

        assert b.describe(arn)["status"] == "ROLLBACK_SUCCESSFUL"
        assert b.weights(b.production_rule) == {b.green_group: 0, b.blue_group: 100}
        with pytest.raises(ClientError) as refused:
            b.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
        assert refused.value.response["Error"]["Code"] == "ConflictException"
        with pytest.raises(ClientError) as missing:
            b.ecs.stop_service_deployment(serviceDeploymentArn=arn + "x", stopType="ROLLBACK")
        assert missing.value.response["Error"]["Code"] == "ServiceDeploymentNotFoundException"


def test_a_pause_hook_waits_for_continue_service_deployment() -> None:
    pause = {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}
    with bed(lambda b: blue_green(b, hooks=[pause])) as b:
        arn = b.deploy()
        b.stages(arn, until=20 * MINUTE, every=60.0)
        described = b.describe(arn)
        assert described["lifecycleStage"] == "POST_TEST_TRAFFIC_SHIFT"
        [detail] = described["lifecycleHookDetails"]
        assert (detail["targetType"], detail["status"]) == ("PAUSE", "AWAITING_ACTION")

        b.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=detail["hookId"], action="CONTINUE")
        b.stages(arn, until=30 * MINUTE, every=60.0)

        assert b.describe(arn)["status"] == "SUCCESSFUL"


def test_green_tasks_that_fail_their_health_checks_trip_the_circuit_breaker_and_roll_back() -> None:
    with bed(blue_green) as b:
        b.model.set_behavior(V2, Unhealthy(kind="unhealthy"))
        arn = b.deploy()
        b.stages(arn, until=30 * MINUTE, every=30.0)

        described = b.describe(arn)
        assert described["status"] == "ROLLBACK_SUCCESSFUL"
        assert described["rollback"]["reason"] == "ECS deployment circuit breaker: tasks failed to start."
        assert b.weights(b.production_rule)[b.blue_group] == 100


def test_the_deployment_state_changes_are_ecs_deployment_state_change_events() -> None:
    with bed(blue_green) as b:
        b.deploy()
        b.model.advance_to(10 * MINUTE)

        events = [e for e in b.model.drain_events() if e["detail-type"] == "ECS Deployment State Change"]
        assert [e["detail"]["eventName"] for e in events] == [
            "SERVICE_DEPLOYMENT_IN_PROGRESS",
            "SERVICE_DEPLOYMENT_COMPLETED",
        ]
        assert events[0]["resources"] == [f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{SERVICE}"]


def test_a_newer_deployment_supersedes_one_in_progress_and_reconciles_first() -> None:
    with bed(lambda b: blue_green(b, bake=10, hooks=[hook(b.role, b.hook_arn, ["RECONCILE_SERVICE"])])) as b:
        first = b.deploy()
        b.stages(first, until=3 * MINUTE)
        assert b.describe(first)["lifecycleStage"] == "BAKE_TIME"

        # When: another deployment starts during the first one's bake
        b.ecs.update_service(cluster=CLUSTER, service=SERVICE, forceNewDeployment=True)
        [newest, older] = b.ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE)["serviceDeployments"]

        # Then the first stops, its traffic back on blue; the new one reconciles (its hook runs) and completes
        assert (older["serviceDeploymentArn"], older["status"]) == (first, "STOPPED")
        assert [c["lifecycleStage"] for c in b.calls] == ["RECONCILE_SERVICE"]
        assert b.calls[0]["resourceArn"] == newest["serviceDeploymentArn"]
        assert b.weights(b.production_rule) == {b.green_group: 0, b.blue_group: 100}
        b.stages(newest["serviceDeploymentArn"], until=20 * MINUTE, every=30.0)
        assert b.describe(newest["serviceDeploymentArn"])["status"] == "SUCCESSFUL"
        assert b.weights(b.production_rule) == {b.green_group: 100, b.blue_group: 0}
        assert (b.running(b.green_group), b.running(b.blue_group)) == (2, 0)
