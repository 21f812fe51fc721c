"""The Phase 4 service and the deployer's resources, created in moto the way template.yaml creates them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from pushdeploy_local.ecs import EcsModel
from pushdeploy_local.scenario import Scenario

LOCK_TABLE = "pushdeploy-locks"
TARGETS_PARAMETER = "/pushdeploy/targets"
ALERT_TOPIC = "pushdeploy-alerts"
CONTAINER_PORT = 3001


class Clients:
    """The local cloud's own boto3 clients (not the deployer's), each made once: one costs ~40 ms."""

    def __init__(self, region: str) -> None:
        self.region_name = region
        self._session = boto3.session.Session(region_name=region)
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(service)  # type: ignore[call-overload]
        return self._clients[service]


@dataclass
class Service:
    cluster: str
    name: str
    container: str
    repository: str
    target_group: str | None


@dataclass
class Infra:
    deployer_role: str
    targets_parameter: str
    lock_table: str
    alert_topic: str
    alert_queue: str
    registry: str
    repositories: set[str] = field(default_factory=set)
    services: list[Service] = field(default_factory=list)
    initial_digest: str = ""


def create(session: Clients, scenario: Scenario, model: EcsModel, _: Any = None) -> Infra:
    iam = session.client("iam")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    execution_role = iam.create_role(RoleName="aiuteur-ecs-task-execution-role", AssumeRolePolicyDocument=trust)
    task_role = iam.create_role(RoleName="aiuteur-ecs-task-role", AssumeRolePolicyDocument=trust)
    deployer_role = iam.create_role(RoleName="pushdeploy-local", AssumeRolePolicyDocument=trust)["Role"]["Arn"]

    sns, sqs = session.client("sns"), session.client("sqs")
    topic = sns.create_topic(Name=ALERT_TOPIC)["TopicArn"]
    queue_url = sqs.create_queue(QueueName="pushdeploy-alerts-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    session.client("dynamodb").create_table(
        TableName=LOCK_TABLE,
        KeySchema=[{"AttributeName": "service", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "service", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    account = session.client("sts").get_caller_identity()["Account"]
    infra = Infra(
        deployer_role=deployer_role,
        targets_parameter=TARGETS_PARAMETER,
        lock_table=LOCK_TABLE,
        alert_topic=topic,
        alert_queue=queue_url,
        registry=f"{account}.dkr.ecr.{session.region_name}.amazonaws.com",
    )
    defaults = scenario.defaults
    ensure_repository(session, defaults.repository, infra)
    infra.initial_digest = put_image(session, defaults.repository, scenario.initial.tag, f"{scenario.name}-initial")
    model.set_behavior(infra.initial_digest, scenario.initial.behavior)

    secrets = _secrets(session)
    network = _network(session)
    session.client("logs").create_log_group(logGroupName="/ecs/aiuteur-backend")
    ecs = session.client("ecs")
    ecs.create_cluster(clusterName=defaults.cluster, capacityProviders=["FARGATE"])
    image = f"{infra.registry}/{defaults.repository}@{infra.initial_digest}"
    for spec in scenario.all_services():
        target_group = _target_group(session, spec.name, network, spec.spec) if spec.spec.load_balanced else None
        family = spec.family
        definition = task_definition(
            family,
            spec.container,
            image,
            execution_role["Role"]["Arn"],
            task_role["Role"]["Arn"],
            secrets,
            spec.spec.load_balanced,
        )
        task_definition_arn = ecs.register_task_definition(**definition)["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(
            cluster=defaults.cluster,
            serviceName=spec.name,
            taskDefinition=task_definition_arn,
            desiredCount=spec.spec.desired_count,
            launchType="FARGATE",
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": network["subnets"],
                    "securityGroups": [network["ecs_sg"]],
                    "assignPublicIp": "ENABLED",
                }
            },
            loadBalancers=(
                [
                    {
                        "targetGroupArn": target_group,
                        "containerName": spec.container,
                        "containerPort": CONTAINER_PORT,
                    }
                ]
                if target_group
                else []
            ),
            healthCheckGracePeriodSeconds=spec.spec.grace_period_seconds if target_group else 0,
            deploymentConfiguration={
                "deploymentCircuitBreaker": {
                    "enable": spec.spec.circuit_breaker.enable,
                    "rollback": spec.spec.circuit_breaker.rollback,
                },
                "maximumPercent": 200,
                "minimumHealthyPercent": 100,
            },
            deploymentController={"type": "ECS"},
        )
        model.add_service(
            cluster=defaults.cluster,
            service=spec.name,
            container=spec.container,
            spec=spec.spec,
            target_group_arn=target_group,
        )
        infra.services.append(Service(defaults.cluster, spec.name, spec.container, defaults.repository, target_group))

    targets = {
        "targets": [
            {
                "cluster": s.cluster,
                "service": s.name,
                "container": s.container,
                "repository": s.repository,
                "tags": scenario.deployer.tags,
                "policy": scenario.deployer.policy(),
            }
            for s in infra.services
        ]
    }
    session.client("ssm").put_parameter(Name=TARGETS_PARAMETER, Type="String", Value=json.dumps(targets))
    return infra


def task_definition(
    family: str,
    container: str,
    image: str,
    execution_role: str,
    task_role: str,
    secrets: dict[str, str],
    load_balanced: bool,
) -> dict[str, Any]:
    """The Phase 4 guide's task definition (step 7c), with the container health check template.yaml uses."""
    environment = {
        "NODE_ENV": "production",
        "PORT": str(CONTAINER_PORT),
        "AWS_REGION": "us-east-1",
        "COGNITO_USER_POOL_ID": "us-east-1_XXXXXXXXX",
        "S3_VIDEOS_BUCKET": "aiuteur-videos",
        "S3_IMAGES_BUCKET": "aiuteur-images",
        "S3_ASSET_IMAGES_BUCKET": "aiuteur-asset-images",
        "GEMINI_MODEL": "gemini-2.5-flash-lite",
        "LANGSMITH_PROJECT": "Aiutuer",
        "LANGSMITH_TRACING": "true",
        "VIDEO_PROVIDER": "veo3",
        "GOOGLE_CLOUD_PROJECT": "aiuteur",
        "GOOGLE_CLOUD_LOCATION": "us-central1",
    }
    definition: dict[str, Any] = {
        "name": container,
        "image": image,
        "essential": True,
        "environment": [{"name": k, "value": v} for k, v in environment.items()],
        "secrets": [{"name": k, "valueFrom": v} for k, v in secrets.items()],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": "/ecs/aiuteur-backend",
                "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": "ecs",
            },
        },
    }
    if load_balanced:
        definition["portMappings"] = [{"containerPort": CONTAINER_PORT, "protocol": "tcp"}]
        definition["healthCheck"] = {
            # node:20-alpine has no curl (the guide's check fails on every task); wget is busybox's.
            "command": [
                "CMD-SHELL",
                f"wget -q -O /dev/null http://127.0.0.1:{CONTAINER_PORT}/api/health || exit 1",
            ],
            "interval": 30,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 60,
        }
    return {
        "family": family,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "512",
        "memory": "1024",
        "executionRoleArn": execution_role,
        "taskRoleArn": task_role,
        "containerDefinitions": [definition],
        "tags": [{"key": "app", "value": "aiuteur"}],
    }


def _secrets(session: Clients) -> dict[str, str]:
    """The guide's secrets; the local values are placeholders, never real credentials."""
    client = session.client("secretsmanager")
    names = {
        "DATABASE_URL": "aiuteur/database-url",
        "GOOGLE_AI_API_KEY": "aiuteur/google-ai-api-key",
        "LANGSMITH_API_KEY": "aiuteur/langsmith-api-key",
    }
    return {
        env: client.create_secret(Name=name, SecretString="local-placeholder")["ARN"] for env, name in names.items()
    }


def _network(session: Clients) -> dict[str, Any]:
    ec2 = session.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]]
    alb_sg = ec2.create_security_group(GroupName="aiuteur-alb-sg", Description="ALB", VpcId=vpc)["GroupId"]
    ecs_sg = ec2.create_security_group(GroupName="aiuteur-ecs-sg", Description="ECS tasks", VpcId=vpc)["GroupId"]
    elbv2 = session.client("elbv2")
    alb = elbv2.create_load_balancer(
        Name="aiuteur-alb", Subnets=subnets[:2], SecurityGroups=[alb_sg], Type="application"
    )["LoadBalancers"][0]["LoadBalancerArn"]
    return {"vpc": vpc, "subnets": subnets[:2], "ecs_sg": ecs_sg, "alb": alb}


def _target_group(session: Clients, service: str, network: dict[str, Any], spec: Any) -> str:
    elbv2 = session.client("elbv2")
    name = "aiuteur-backend-tg" if service == "aiuteur-backend-service" else f"{service[:28]}-tg"
    group = elbv2.create_target_group(
        Name=name,
        Protocol="HTTP",
        Port=CONTAINER_PORT,
        VpcId=network["vpc"],
        TargetType="ip",
        HealthCheckPath="/api/health",
        HealthCheckIntervalSeconds=spec.health_check.interval_seconds,
        HealthyThresholdCount=spec.health_check.healthy_threshold,
        UnhealthyThresholdCount=spec.health_check.unhealthy_threshold,
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.modify_target_group_attributes(
        TargetGroupArn=group,
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": str(spec.deregistration_delay_seconds)}],
    )
    listeners = elbv2.describe_listeners(LoadBalancerArn=network["alb"])["Listeners"]
    if not listeners:
        elbv2.create_listener(
            LoadBalancerArn=network["alb"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
        )
    return str(group)


def ensure_repository(session: Clients, repository: str, infra: Infra) -> None:
    if repository not in infra.repositories:
        session.client("ecr").create_repository(repositoryName=repository)
        infra.repositories.add(repository)


def put_image(session: Clients, repository: str, tag: str | None, seed: str, digest: str | None = None) -> str:
    """Push a distinct image (or one whose digest an event already names)."""
    layer = hashlib.sha256(seed.encode()).hexdigest()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1,
                "digest": f"sha256:{layer}",
            },
            "layers": [],
        }
    )
    # The registry's digest is the manifest's sha256 (moto 5.2.5 hashes an empty string unless told).
    args: dict[str, Any] = {
        "repositoryName": repository,
        "imageManifest": manifest,
        "imageDigest": digest or "sha256:" + hashlib.sha256(manifest.encode()).hexdigest(),
    }
    if tag:
        args["imageTag"] = tag
    return str(session.client("ecr").put_image(**args)["image"]["imageId"]["imageDigest"])


def published_alerts(session: Clients, infra: Infra) -> list[dict[str, Any]]:
    """Every SNS message published to the alert topic, read from the SQS queue subscribed to it."""
    sqs = session.client("sqs")
    found: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=infra.alert_queue, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return found
        for message in batch:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=infra.alert_queue, ReceiptHandle=message["ReceiptHandle"])
