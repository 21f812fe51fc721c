"""pushdeploy's lifecycle hook (pushdeploy.steps.hook): its answers to ECS's payloads, judged from stubbed metric
windows, on moto's SSM, DynamoDB, ECS and ELBv2 (the service's blue/green load balancer and listener rules)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pushdeploy.adapters import aws, dynamodb
from pushdeploy.errors import Throttled
from pushdeploy.judge import Window
from pushdeploy.models import MetricEvidence
from pushdeploy.steps.hook import HookEvent, hook

REGION, ACCOUNT = "us-east-1", "123456789012"
PARAMETER, TABLE = "/pushdeploy/targets", "locks"
SERVICE_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/aiuteur-cluster/api"
DEPLOYMENT = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-deployment/aiuteur-cluster/api/Abc123"
REVISION = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-revision/aiuteur-cluster/api/0127"
OLD_REVISION = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-revision/aiuteur-cluster/api/7865"
T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
JUDGE = {"min_requests": 200, "looks": 3}
HEALTHY = Window(requests=3000, errors=3, p99_seconds=0.2, slow=30)


def payload(stage: str = "PRODUCTION_TRAFFIC_SHIFT", deployment: str = DEPLOYMENT) -> dict[str, Any]:
    """ECS's payload (deployment-lifecycle-hooks.html, "Lifecycle payloads")."""
    return {
        "executionId": "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE",
        "lifecycleStage": stage,
        "resourceArn": deployment,
        "executionDetails": {
            "serviceArn": SERVICE_ARN,
            "targetServiceRevisionArn": REVISION,
            "testTrafficWeights": {},
            "productionTrafficWeights": {REVISION: 10, OLD_REVISION: 90},
        },
    }


class World:
    """The service's blue/green load balancer: `blue` serves production, `green` is the new version's group."""

    def __init__(self) -> None:
        self.elbv2 = boto3.client("elbv2", region_name=REGION)
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"][
                "SubnetId"
            ]
            for i, z in enumerate("ab")
        ]
        self.balancer = self.elbv2.create_load_balancer(Name="alb", Subnets=subnets)["LoadBalancers"][0][
            "LoadBalancerArn"
        ]
        self.blue, self.green = (
            self.elbv2.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")[
                "TargetGroups"
            ][0]["TargetGroupArn"]
            for name in ("blue", "green")
        )
        self.production = self._rule(80, {self.blue: 90, self.green: 10})
        self.test = self._rule(8080, {self.blue: 0, self.green: 100})
        ecs = boto3.client("ecs", region_name=REGION)
        ecs.create_cluster(clusterName="aiuteur-cluster")
        ecs.register_task_definition(family="api", containerDefinitions=[{"name": "app", "image": "i", "memory": 128}])
        ecs.create_service(
            cluster="aiuteur-cluster",
            serviceName="api",
            taskDefinition="api",
            desiredCount=1,
            loadBalancers=[
                {
                    "targetGroupArn": self.blue,
                    "containerName": "app",
                    "containerPort": 80,
                    "advancedConfiguration": {
                        "alternateTargetGroupArn": self.green,
                        "productionListenerRule": self.production,
                        "testListenerRule": self.test,
                        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/ecs-lb",
                    },
                }
            ],
        )
        target = {
            "cluster": "aiuteur-cluster",
            "service": "api",
            "container": "app",
            "repository": "backend",
            "strategy": {"kind": "canary", "canary_percent": 10},
            "policy": {"judge": JUDGE},
        }
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name=PARAMETER, Type="String", Value=json.dumps({"targets": [target]})
        )
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName=TABLE,
            AttributeDefinitions=[{"AttributeName": "service", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "service", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.asked: list[tuple[str, str, str, datetime, datetime]] = []

    def _rule(self, port: int, weights: dict[str, int]) -> str:
        listener = self.elbv2.create_listener(
            LoadBalancerArn=self.balancer,
            Protocol="HTTP",
            Port=port,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": self.blue}],
        )["Listeners"][0]["ListenerArn"]
        groups = [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in weights.items()]
        return self.elbv2.create_rule(
            ListenerArn=listener,
            Priority=1,
            Conditions=[{"Field": "path-pattern", "Values": ["/*"]}],
            Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}],
        )["Rules"][0]["RuleArn"]

    def windows(self, stable: Window, new: Window) -> Any:
        """A stubbed `cloudwatch.stable_and_new_windows` that answers these windows and remembers each question."""

        def read(balancer: str, stable_group: str, new_group: str, start: datetime, end: datetime):
            self.asked.append((balancer, stable_group, new_group, start, end))
            return stable, new

        return read

    def judgement(self) -> MetricEvidence:
        recorded = dynamodb.read(TABLE, "aiuteur-cluster/api").judgement
        assert recorded is not None
        return MetricEvidence.model_validate_json(recorded)


@pytest.fixture(scope="module")
def built() -> Iterator[World]:
    """One world for the module (moto's load balancer takes seconds to set up); each test clears its record."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        aws.client.cache_clear()
        with mock_aws():
            yield World()
        aws.client.cache_clear()


@pytest.fixture
def world(built: World) -> World:
    boto3.client("dynamodb", region_name=REGION).delete_item(
        TableName=TABLE, Key={"service": {"S": "aiuteur-cluster/api"}}
    )
    built.asked.clear()
    return built


def ask(world: World, stable: Window, new: Window, *, stage: str = "PRODUCTION_TRAFFIC_SHIFT", at: datetime = T0):
    return hook(payload(stage), PARAMETER, TABLE, windows=world.windows(stable, new), now=at)


def test_a_clean_canary_with_enough_requests_succeeds_and_its_evidence_names_both_groups(world):
    answer = ask(world, HEALTHY, Window(requests=400, errors=0, slow=4))

    assert answer.answer() == {"hookStatus": "SUCCEEDED"}
    # The stable group is the one the production rule gives most traffic; the load balancer is the rule's.
    [(balancer, stable, new, start, end)] = world.asked
    assert (balancer, stable, new, start, end) == (world.balancer, world.blue, world.green, T0, T0)
    evidence = world.judgement()
    assert (evidence.hook_status, evidence.stage, evidence.looks) == ("SUCCEEDED", "PRODUCTION_TRAFFIC_SHIFT", 1)
    assert evidence.judgement is not None and evidence.judgement.new.requests == 400
    assert evidence.judgement.old.errors == 3


def test_a_canary_answering_a_fifth_of_its_requests_5xx_fails_and_says_why(world):
    answer = ask(world, HEALTHY, Window(requests=400, errors=80, slow=4))

    assert answer.answer() == {"hookStatus": "FAILED"}
    evidence = world.judgement()
    assert evidence.hook_status == "FAILED"
    assert evidence.reason.startswith("degraded: 5XX rate: new 20.00% vs stable 0.10%")


def test_too_few_requests_ask_to_be_called_again_one_metric_period_later_from_the_same_start(world):
    few = Window(requests=50, errors=0, slow=0)

    first = ask(world, HEALTHY, few)
    second = ask(world, HEALTHY, few, at=T0 + timedelta(seconds=60))

    assert first.answer() == second.answer() == {"hookStatus": "IN_PROGRESS", "callBackDelay": 60}
    # The window grows from the deployment's first call: the second look starts where the first did.
    assert [(start, end) for *_, start, end in world.asked] == [(T0, T0), (T0, T0 + timedelta(seconds=60))]
    assert world.judgement().looks == 2
    assert world.judgement().reason.startswith("insufficient: the new version answered fewer than 200")


def test_still_too_few_requests_after_the_policys_looks_fails(world):
    few = Window(requests=50, errors=0, slow=0)
    answers = [ask(world, HEALTHY, few, at=T0 + timedelta(seconds=60 * i)).hookStatus for i in range(3)]

    assert answers == ["IN_PROGRESS", "IN_PROGRESS", "FAILED"]
    assert "still too few requests to judge after 3 looks" in world.judgement().reason


def test_after_a_failed_judgement_the_rollbacks_calls_succeed_and_keep_the_evidence(world):
    ask(world, HEALTHY, Window(requests=400, errors=80, slow=4))

    again = ask(world, HEALTHY, Window(requests=400, errors=0, slow=4), stage="PRODUCTION_TRAFFIC_SHIFT")

    assert again.hookStatus == "SUCCEEDED"
    assert world.judgement().hook_status == "FAILED"  # what decided stays for the Check and the alert
    assert len(world.asked) == 1


def test_no_test_traffic_on_the_new_version_passes_the_test_stage_once_the_baseline_is_in(world):
    answer = ask(world, HEALTHY, Window(requests=0, errors=0), stage="POST_TEST_TRAFFIC_SHIFT")

    assert answer.hookStatus == "SUCCEEDED"
    # The test rule forwards to the new version: green is new, even though the production rule gives it 10 %.
    [(_, stable, new, *_)] = world.asked
    assert (stable, new) == (world.blue, world.green)


def test_a_new_deployment_starts_its_own_window(world):
    ask(world, HEALTHY, Window(requests=50, errors=0), at=T0)
    other = DEPLOYMENT.replace("Abc123", "Def456")

    hook(
        payload(deployment=other),
        PARAMETER,
        TABLE,
        windows=world.windows(HEALTHY, HEALTHY),
        now=T0 + timedelta(hours=1),
    )

    assert world.asked[-1][3] == T0 + timedelta(hours=1)
    assert (world.judgement().service_deployment, world.judgement().looks) == (other, 1)


@pytest.mark.parametrize("stage", ["PRE_SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT"])
def test_stages_without_traffic_on_the_new_version_succeed_unjudged(world, stage):
    assert ask(world, HEALTHY, HEALTHY, stage=stage).hookStatus == "SUCCEEDED"
    assert world.asked == []


def test_metrics_that_cannot_be_read_are_asked_for_again(world):
    def throttled(*_: object) -> tuple[Window, Window]:
        raise Throttled("GetMetricData: Throttling")

    answer = hook(payload(), PARAMETER, TABLE, windows=throttled, now=T0)

    assert answer.answer() == {"hookStatus": "IN_PROGRESS", "callBackDelay": 60}
    assert "the metrics could not be read" in world.judgement().reason


@pytest.mark.parametrize(
    ("event", "why"),
    [
        ({"hello": "world"}, "not an ECS lifecycle hook payload"),
        ({**payload(), "lifecycleStage": "SOMETHING_NEW"}, "unknown lifecycle stage 'SOMETHING_NEW'"),
        (
            {**payload(), "executionDetails": {"serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/c/x"}},
            "no target names service c/x",
        ),
    ],
)
def test_unexpected_input_fails_safely_with_its_reason(world, event, why):
    answer = hook(event, PARAMETER, TABLE, windows=world.windows(HEALTHY, HEALTHY), now=T0)

    assert answer.answer() == {"hookStatus": "FAILED"}
    assert why in answer.reason
    assert world.asked == []


def test_the_payload_model_reads_ecs_documented_fields():
    event = HookEvent.model_validate(payload())
    assert (event.service_key, event.lifecycle_stage) == ("aiuteur-cluster/api", "PRODUCTION_TRAFFIC_SHIFT")
    assert event.execution_details.production_traffic_weights == {REVISION: 10, OLD_REVISION: 90}
