"""The ECS/ALB model observed the way the deployer observes it: through boto3 calls to moto.

The behaviour (`ecs.behaviour`) and its picture in moto (`ecs.moto_view`, and the two hooks that read
moto through it) together: every DescribeServices, DescribeTasks and DescribeTargetHealth answer, and
the task state-change events, checked against the rules. The rules alone, without moto, are in
test_behaviour.py.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.elbv2.models import FakeTargetGroup

from pushdeploy_local.ecs import DEFAULT_EPOCH, EcsModel
from pushdeploy_local.moto_hooks import ecs_deployments, ecs_missing_tasks, target_health
from pushdeploy_local.scenario import (
    Behavior,
    CircuitBreaker,
    Crash,
    HealthCheck,
    LateCrash,
    PullError,
    ServiceSpec,
    Unhealthy,
)
from tests.unit.localcloud.ecs.fakes import (
    ACCOUNT,
    CLUSTER,
    CONTAINER,
    REGION,
    REPOSITORY,
    SERVICE,
    V1,
    V2,
    task_state_changes,
)


@dataclass
class Bed:
    ecs: Any
    elbv2: Any
    model: EcsModel
    target_group: str | None
    v1: str  # task definition ARNs
    v2: str

    def service(self) -> dict[str, Any]:
        return self.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]

    def deployments(self) -> list[dict[str, Any]]:
        return self.service()["deployments"]

    def tasks(self, *, started_by: str | None = None, desired_status: str = "RUNNING") -> list[dict[str, Any]]:
        args: dict[str, Any] = {"cluster": CLUSTER, "desiredStatus": desired_status}
        if started_by:
            args["startedBy"] = started_by
        arns = self.ecs.list_tasks(**args)["taskArns"]
        if not arns:
            return []
        return sorted(self.ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"], key=lambda t: t["createdAt"])

    def health(self) -> dict[str, tuple[str, str | None]]:
        found = self.elbv2.describe_target_health(TargetGroupArn=self.target_group)["TargetHealthDescriptions"]
        return {d["Target"]["Id"]: (d["TargetHealth"]["State"], d["TargetHealth"].get("Reason")) for d in found}

    def health_of(self, ip: str) -> dict[str, Any]:
        found = self.elbv2.describe_target_health(TargetGroupArn=self.target_group, Targets=[{"Id": ip}])
        return found["TargetHealthDescriptions"][0]["TargetHealth"]

    def deploy(self, behavior: Behavior | None = None) -> str:
        """UpdateService to v2 (behaving as `behavior`); returns the new deployment's id."""
        if behavior is not None:
            self.model.set_behavior(V2, behavior)
        self.ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=self.v2)
        return str(self.deployments()[0]["id"])

    def messages(self) -> list[str]:
        return [event["message"] for event in self.service()["events"]]


@pytest.fixture(autouse=True)
def _no_default_amis(monkeypatch: pytest.MonkeyPatch) -> None:
    # moto's EC2 backend loads ~2,600 AMIs on creation; these tests use none (halves their run time).
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


@functools.cache
def client(service: str, region: str = REGION) -> Any:
    """One boto3 client per service for the whole module: creating one costs ~0.1 s. moto answers
    whichever client calls while a mock_aws() is active."""
    return boto3.client(service, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")


def ip_of(task: dict[str, Any]) -> str:
    details = task["attachments"][0]["details"]
    return next(d["value"] for d in details if d["name"] == "privateIPv4Address")


@contextlib.contextmanager
def bed(spec: ServiceSpec | None = None, *, health_check: dict[str, Any] | None = None) -> Iterator[Bed]:
    """moto with the Phase 4 service (v1 running, v2 registered), adopted by the model, hooks installed;
    `health_check`: the container definition's healthCheck, if any."""
    spec = spec or ServiceSpec()
    with mock_aws():
        ec2, ecs, elbv2 = client("ec2"), client("ecs"), client("elbv2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        # moto creates an awsvpc task's ENI only in a VPC with DNS hostnames (the default VPC has them).
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(GroupName="ecs", Description="ecs", VpcId=vpc)["GroupId"]
        ecs.create_cluster(clusterName=CLUSTER)
        v1, v2 = (_register(ecs, digest, health_check) for digest in (V1, V2))
        target_group = None
        if spec.load_balanced:
            target_group = elbv2.create_target_group(
                Name="aiuteur-backend-tg", Protocol="HTTP", Port=3001, VpcId=vpc, TargetType="ip"
            )["TargetGroups"][0]["TargetGroupArn"]
        ecs.create_service(
            cluster=CLUSTER,
            serviceName=SERVICE,
            taskDefinition=v1,
            desiredCount=spec.desired_count,
            launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}},
            loadBalancers=(
                [{"targetGroupArn": target_group, "containerName": CONTAINER, "containerPort": 3001}]
                if target_group
                else []
            ),
        )
        model = EcsModel(ACCOUNT, REGION)
        with ecs_deployments.install(model), target_health.install(model):
            model.add_service(
                cluster=CLUSTER,
                service=SERVICE,
                container=CONTAINER,
                spec=spec,
                target_group_arn=target_group,
            )
            yield Bed(ecs=ecs, elbv2=elbv2, model=model, target_group=target_group, v1=v1, v2=v2)


def _register(ecs: Any, digest: str, health_check: dict[str, Any] | None = None) -> str:
    check = {"healthCheck": health_check} if health_check else {}
    return ecs.register_task_definition(
        family="aiuteur-backend",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="512",
        memory="1024",
        containerDefinitions=[
            {
                "name": CONTAINER,
                "image": f"{REPOSITORY}@{digest}",
                "essential": True,
                "portMappings": [{"containerPort": 3001}],
                **check,
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]


# ---------------------------------------------------------------------------- steady state


def test_an_adopted_service_is_steady_with_healthy_targets() -> None:
    with bed() as b:
        service = b.service()
        assert service["runningCount"] == 1 and service["pendingCount"] == 0
        assert service["taskDefinition"] == b.v1
        [deployment] = service["deployments"]
        assert (deployment["status"], deployment["rolloutState"]) == ("PRIMARY", "COMPLETED")
        [task] = b.tasks(started_by=deployment["id"])
        assert (task["lastStatus"], task["group"]) == ("RUNNING", f"service:{SERVICE}")
        assert b.health() == {ip_of(task): ("healthy", None)}
        assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {
            "enable": True,
            "rollback": True,
        }
        assert b.model.settled()
        assert b.model.next_change_at() is None


# ---------------------------------------------------------------------------- rolling deployment


def test_healthy_rollout_completes_and_the_old_task_drains_then_stops() -> None:
    with bed() as b:
        [old_task] = b.tasks()
        old_deployment = b.deployments()[0]["id"]

        # When: UpdateService to v2 (healthy)
        new_deployment = b.deploy()

        # Then a second deployment, PRIMARY and IN_PROGRESS, with its task starting
        primary, active = b.deployments()
        assert (primary["id"], primary["status"], primary["rolloutState"]) == (
            new_deployment,
            "PRIMARY",
            "IN_PROGRESS",
        )
        assert primary["taskDefinition"] == b.v2 and primary["pendingCount"] == 1
        assert (active["id"], active["status"]) == (old_deployment, "ACTIVE")
        assert new_deployment.startswith("ecs-svc/") and new_deployment[8:].isdigit()
        [new_task] = b.tasks(started_by=new_deployment)
        assert new_task["lastStatus"] == "PROVISIONING"

        b.model.advance_to(30)  # RUNNING; target registering
        [new_task] = b.tasks(started_by=new_deployment)
        assert new_task["lastStatus"] == "RUNNING" and "startedAt" in new_task
        assert b.health_of(ip_of(new_task))["Reason"] == "Elb.RegistrationInProgress"

        b.model.advance_to(40)  # first check passed, one more needed
        assert b.health()[ip_of(new_task)] == ("initial", "Elb.InitialHealthChecking")

        b.model.advance_to(70)  # healthy_threshold 2 x interval 30: healthy; the old target drains
        assert b.health() == {
            ip_of(new_task): ("healthy", None),
            ip_of(old_task): ("draining", "Target.DeregistrationInProgress"),
        }
        [draining] = b.tasks(started_by=old_deployment, desired_status="STOPPED")
        assert (draining["lastStatus"], draining["desiredStatus"]) == ("DEACTIVATING", "STOPPED")
        assert b.deployments()[0]["rolloutState"] == "IN_PROGRESS"

        b.model.advance_to(100)  # deregistration delay 30 s over: stopped, deployment completed
        [stopped] = b.tasks(started_by=old_deployment, desired_status="STOPPED")
        assert stopped["lastStatus"] == "STOPPED"
        assert stopped["stoppedReason"] == f"Scaling activity initiated by (deployment {old_deployment})"
        assert stopped["stopCode"] == "ServiceSchedulerInitiated"
        assert b.health() == {ip_of(new_task): ("healthy", None)}
        assert b.health_of(ip_of(old_task))["State"] == "unused"
        [deployment] = b.deployments()
        assert (deployment["id"], deployment["rolloutState"]) == (new_deployment, "COMPLETED")
        assert deployment["rolloutStateReason"] == f"ECS deployment {new_deployment} completed."
        messages = b.messages()
        assert messages[:2] == [
            f"(service {SERVICE}) has reached a steady state.",
            f"(service {SERVICE}) deployment {new_deployment} deployment completed.",
        ]
        assert f"(service {SERVICE}) has stopped 1 running tasks: (task {old_task['taskArn'].split('/')[-1]})." in (
            messages
        )
        assert b.model.settled()
        state = b.model.service_state(CLUSTER, SERVICE)
        assert (state.task_definition, state.running_count, state.healthy) == (b.v2, 1, True)


def test_next_change_at_names_each_instant_of_a_rollout() -> None:
    with bed() as b:
        b.deploy()
        instants = []
        while (instant := b.model.next_change_at()) is not None:
            instants.append(instant)
            b.model.advance_to(instant)
        # PENDING, ACTIVATING + registered, RUNNING, first check, healthy (old drains), drained (completed),
        # the old task forgotten an hour after it stopped
        assert instants == [5.0, 28.0, 30.0, 40.0, 70.0, 100.0, 3700.0]
        assert b.model.now == 3700.0 and b.model.settled()


def test_update_service_without_a_new_task_definition_creates_no_deployment() -> None:
    with bed() as b:
        b.ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=b.v1)
        b.ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=1)
        assert len(b.deployments()) == 1
        assert b.service()["runningCount"] == 1

        first = b.deploy()
        b.ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=b.v2)  # the same, again
        deployments = b.deployments()
        assert deployments[0]["id"] == first and len(deployments) == 2


def test_a_worker_service_without_load_balancer_is_healthy_once_running() -> None:
    with bed(ServiceSpec(load_balanced=False)) as b:
        [old_task] = b.tasks()
        deployment = b.deploy()
        b.model.advance_to(30)
        # No target to drain: the old task stops as soon as the new one is RUNNING.
        [stopped] = b.tasks(desired_status="STOPPED")
        assert stopped["taskArn"] == old_task["taskArn"] and stopped["lastStatus"] == "STOPPED"
        [done] = b.deployments()
        assert (done["id"], done["rolloutState"], done["runningCount"]) == (deployment, "COMPLETED", 1)
        assert b.model.target_health("any", ip_of(old_task)) is None
        assert b.model.settled()


def test_desired_count_three_replaces_all_three_tasks() -> None:
    with bed(ServiceSpec(desired_count=3)) as b:
        old = {t["taskArn"] for t in b.tasks()}
        assert len(old) == 3 and b.service()["runningCount"] == 3
        deployment = b.deploy()
        assert b.deployments()[0]["pendingCount"] == 3

        b.model.advance_to(70)
        assert b.service()["runningCount"] == 3  # the new ones; the old are DEACTIVATING
        states = sorted(state for state, _ in b.health().values())
        assert states == ["draining"] * 3 + ["healthy"] * 3

        b.model.advance_to(100)
        assert {t["taskArn"] for t in b.tasks(desired_status="STOPPED")} == old
        [done] = b.deployments()
        assert (done["id"], done["rolloutState"], done["runningCount"]) == (deployment, "COMPLETED", 3)


# ---------------------------------------------------------------------------- failures


def test_a_crashing_image_is_replaced_again_and_again_without_tripping_the_breaker() -> None:
    with bed() as b:
        deployment = b.deploy(Crash(kind="crash", crash_after_seconds=5, exit_code=1))
        b.model.advance_to(35)
        [crashed] = b.tasks(started_by=deployment, desired_status="STOPPED")
        assert crashed["lastStatus"] == "STOPPED"
        assert crashed["stoppedReason"] == "Essential container in task exited"
        assert crashed["stopCode"] == "EssentialContainerExited"
        assert crashed["containers"][0]["exitCode"] == 1
        assert b.health()[ip_of(crashed)] == ("draining", "Target.DeregistrationInProgress")

        b.model.advance_to(50)  # the scheduler's next pass: a replacement
        [replacement] = b.tasks(started_by=deployment)
        assert replacement["taskArn"] != crashed["taskArn"]

        # Much later: still crashing, never counted (containers-roadmap #1206), no rollback.
        b.model.advance_to(600)
        assert len(b.tasks(started_by=deployment, desired_status="STOPPED")) >= 10
        primary, active = b.deployments()
        assert (primary["id"], primary["rolloutState"], primary["failedTasks"]) == (
            deployment,
            "IN_PROGRESS",
            0,
        )
        assert active["runningCount"] == 1 and b.service()["taskDefinition"] == b.v2
        assert not b.model.settled()


def test_a_late_crash_happens_after_the_deployment_completed() -> None:
    with bed() as b:
        deployment = b.deploy(LateCrash(kind="late_crash", crash_after_seconds=120, exit_code=137))
        b.model.advance_to(100)
        assert b.deployments()[0]["rolloutState"] == "COMPLETED"

        b.model.advance_to(150)  # RUNNING at 30 + 120 s
        [crashed] = b.tasks(started_by=deployment, desired_status="STOPPED")
        assert crashed["containers"][0]["exitCode"] == 137
        assert crashed["stopCode"] == "EssentialContainerExited"
        [deployment_view] = b.deployments()
        assert deployment_view["rolloutState"] == "COMPLETED" and deployment_view["failedTasks"] == 0

        b.model.advance_to(165)
        assert len(b.tasks(started_by=deployment)) == 1


def test_an_unhealthy_target_is_stopped_by_ecs_after_the_unhealthy_threshold_and_grace() -> None:
    with bed() as b:
        deployment = b.deploy(Unhealthy(kind="unhealthy"))
        b.model.advance_to(70)
        [task] = b.tasks(started_by=deployment)
        assert b.health()[ip_of(task)] == ("initial", "Elb.InitialHealthChecking")

        b.model.advance_to(100)  # third failed check (unhealthy_threshold 3), grace (60 s) over
        health = b.health_of(ip_of(task))
        assert health == {
            "State": "draining",
            "Reason": "Target.DeregistrationInProgress",
            "Description": "Target deregistration is in progress",
        }
        [stopping] = b.tasks(started_by=deployment, desired_status="STOPPED")
        assert stopping["stoppedReason"] == f"Task failed ELB health checks in (target-group {b.target_group})"
        assert stopping["stopCode"] == "ServiceSchedulerInitiated"
        assert b.deployments()[0]["failedTasks"] == 1
        assert any("is unhealthy in (target-group" in message for message in b.messages())


def test_an_unhealthy_target_waits_out_a_long_grace_period() -> None:
    with bed(ServiceSpec(grace_period_seconds=200)) as b:
        deployment = b.deploy(Unhealthy(kind="unhealthy"))
        b.model.advance_to(100)
        [task] = b.tasks(started_by=deployment)
        assert b.health_of(ip_of(task)) == {
            "State": "unhealthy",
            "Reason": "Target.ResponseCodeMismatch",
            "Description": "Health checks failed with these codes: [502]",
        }
        assert b.model.next_change_at() == 230.0  # RUNNING at 30 + grace 200

        b.model.advance_to(230)
        [stopped] = b.tasks(started_by=deployment, desired_status="STOPPED")
        assert stopped["stoppedReason"].startswith("Task failed ELB health checks")


def test_unhealthy_tasks_trip_the_breaker_at_the_third_failure() -> None:
    spec = ServiceSpec(health_check=HealthCheck(interval_seconds=10, healthy_threshold=2, unhealthy_threshold=2))
    with bed(spec) as b:
        deployment = b.deploy(Unhealthy(kind="unhealthy"))
        # Each task: RUNNING, unhealthy 20 s later, stopped when the 60 s grace ends, replaced 15 s
        # later. Stops at 90, 195 and 300; the third is the threshold (stage 2, health checks).
        b.model.advance_to(299)
        assert b.deployments()[0]["failedTasks"] == 2
        b.model.advance_to(300)
        rollback, failed, _ = b.deployments()
        assert (failed["id"], failed["rolloutState"], failed["failedTasks"]) == (deployment, "FAILED", 3)
        assert rollback["taskDefinition"] == b.v1

        b.model.advance_to(1000)
        [done] = b.deployments()
        assert (done["id"], done["rolloutState"]) == (rollback["id"], "COMPLETED")
        assert len(b.tasks(started_by=deployment, desired_status="STOPPED")) == 3


def test_pull_errors_trip_the_circuit_breaker_and_ecs_rolls_back() -> None:
    with bed() as b:
        original = b.deployments()[0]["id"]
        deployment = b.deploy(PullError(kind="pull_error", start_seconds=20))

        b.model.advance_to(20)
        [failed_task] = b.tasks(started_by=deployment, desired_status="STOPPED")
        assert failed_task["lastStatus"] == "STOPPED" and "startedAt" not in failed_task
        reason = (
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
            f"failed to resolve ref {REPOSITORY}@{V2}: not found"
        )
        assert failed_task["stoppedReason"] == reason and failed_task["stopCode"] == "TaskFailedToStart"
        [container] = failed_task["containers"]
        assert container["reason"] == reason and "exitCode" not in container
        assert b.deployments()[0]["failedTasks"] == 1

        # Failures at 20, 55, 90 (replacement 15 s after each): the threshold is 3 for desired 1.
        b.model.advance_to(89)
        assert b.deployments()[0]["rolloutState"] == "IN_PROGRESS"
        b.model.advance_to(90)
        rollback, failed, _ = b.deployments()
        assert (failed["id"], failed["status"], failed["rolloutState"]) == (deployment, "ACTIVE", "FAILED")
        assert failed["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
        assert failed["failedTasks"] == 3
        assert (rollback["status"], rollback["taskDefinition"]) == ("PRIMARY", b.v1)
        assert b.service()["taskDefinition"] == b.v1
        assert b.messages()[:3] == [
            f"(service {SERVICE}) has started 1 tasks: (task "
            + b.tasks(started_by=rollback["id"])[0]["taskArn"].split("/")[-1]
            + ").",
            f"(service {SERVICE}) rolling back to deployment {original}.",
            f"(service {SERVICE}) deployment {deployment} deployment failed: tasks failed to start.",
        ]

        b.model.advance_to(190)  # the rollback's task is healthy at 160, the old one drained by 190
        [done] = b.deployments()
        assert (done["id"], done["rolloutState"]) == (rollback["id"], "COMPLETED")
        assert b.model.settled() and b.model.service_state(CLUSTER, SERVICE).healthy


def test_without_rollback_a_failed_deployment_stalls() -> None:
    with bed(ServiceSpec(circuit_breaker=CircuitBreaker(enable=True, rollback=False))) as b:
        deployment = b.deploy(PullError(kind="pull_error"))
        b.model.advance_to(90)
        primary, old = b.deployments()
        assert (primary["id"], primary["status"], primary["rolloutState"]) == (
            deployment,
            "PRIMARY",
            "FAILED",
        )
        assert old["runningCount"] == 1
        # No more launches: what happens next is the first failed task (stopped at 20 s) leaving the API
        assert b.model.next_change_at() == 20 + 3600
        assert b.model.settled()
        # The old task still serves: healthy, but the PRIMARY is the failed deployment's task definition.
        state = b.model.service_state(CLUSTER, SERVICE)
        assert (state.task_definition, state.rollout_state, state.running_count) == (b.v2, "FAILED", 1)


def test_without_circuit_breaker_pull_errors_go_on_forever_ever_more_throttled() -> None:
    with bed(ServiceSpec(circuit_breaker=CircuitBreaker(enable=False, rollback=False))) as b:
        deployment = b.deploy(PullError(kind="pull_error"))
        b.model.advance_to(400)
        [primary, _] = b.deployments()
        assert primary["id"] == deployment
        # Failed at 20, 55, 90; then throttled (service-throttle-logic.html): 140, 220, 360
        assert primary["rolloutState"] == "IN_PROGRESS" and primary["failedTasks"] == 6
        stopped = b.tasks(started_by=deployment, desired_status="STOPPED")
        assert [t["stoppedAt"] - stopped[0]["stoppedAt"] for t in stopped] == [
            timedelta(seconds=s) for s in (0, 35, 70, 120, 200, 340)
        ]
        assert f"(service {SERVICE}) is unable to consistently start tasks successfully." in b.messages()
        assert b.model.next_change_at() is not None  # and it retries forever


def test_the_breaker_threshold_grows_with_desired_count() -> None:
    # 0.5 x desired, clamped to [3, 200]: desired 8 -> 4 failures
    with bed(ServiceSpec(desired_count=8, load_balanced=False)) as b:
        deployment = b.deploy(PullError(kind="pull_error"))
        b.model.advance_to(20)  # 8 tasks fail at once
        assert b.deployments()[1]["rolloutState"] == "FAILED"
        assert len(b.tasks(started_by=deployment, desired_status="STOPPED")) == 8

    with bed(ServiceSpec(desired_count=1, load_balanced=False)) as b:
        b.deploy(PullError(kind="pull_error"))
        b.model.advance_to(55)  # two failures: below the minimum of 3
        assert b.deployments()[0]["rolloutState"] == "IN_PROGRESS"


def test_a_new_deployment_supersedes_one_in_progress() -> None:
    with bed() as b:
        superseded = b.deploy()
        b.model.advance_to(35)
        # The deployer rolls back by hand: UpdateService to v1 again.
        b.ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=b.v1)
        newest = b.deployments()[0]
        assert newest["taskDefinition"] == b.v1 and len(b.deployments()) == 3
        [stopped] = b.tasks(started_by=superseded, desired_status="STOPPED")
        assert stopped["stoppedReason"] == f"Scaling activity initiated by (deployment {superseded})"
        b.model.advance_to(200)
        [done] = b.deployments()
        assert (done["id"], done["rolloutState"], done["taskDefinition"]) == (newest["id"], "COMPLETED", b.v1)


def test_the_model_cannot_go_back_in_time() -> None:
    with bed() as b:
        b.model.advance_to(10)
        with pytest.raises(ValueError, match="cannot go back"):
            b.model.advance_to(5)


# ---------------------------------------------------------------------------- the moto hooks


def test_ecs_deployments_hook_tells_the_model_about_update_service_in_its_region() -> None:
    with mock_aws():
        ecs = client("ecs")
        ecs.create_cluster(clusterName=CLUSTER)
        v1, v2 = (_register(ecs, digest) for digest in (V1, V2))
        ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition=v1, desiredCount=1)
        # Without the hook moto keeps a single deployment: the behaviour the hook replaces.
        ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=v2)
        assert len(ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["deployments"]) == 1

        calls: list[tuple[str, str, bool]] = []

        class Recorder:
            account_id, region = ACCOUNT, REGION

            def on_update_service(self, cluster: str, service: str, *, force_new_deployment: bool) -> None:
                calls.append((cluster, service, force_new_deployment))

        other = client("ecs", "eu-west-1")
        other.create_cluster(clusterName=CLUSTER)
        other.register_task_definition(family="f", containerDefinitions=[{"name": "c", "image": "i", "memory": 512}])
        other.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition="f", desiredCount=1)
        with ecs_deployments.install(Recorder()):  # type: ignore[arg-type]
            ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=v1, forceNewDeployment=True)
            other.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition="f")  # not the model's region
        assert calls == [(CLUSTER, SERVICE, True)]

        # Uninstalled on exit.
        ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=v2)
        assert len(calls) == 1


def test_target_health_hook_answers_for_model_targets_and_leaves_the_rest_to_moto() -> None:
    original = FakeTargetGroup.health_for
    with bed(ServiceSpec(grace_period_seconds=300)) as b:
        assert b.target_group is not None
        b.elbv2.register_targets(TargetGroupArn=b.target_group, Targets=[{"Id": "10.9.9.9", "Port": 3001}])
        deployment = b.deploy(Unhealthy(kind="unhealthy"))
        b.model.advance_to(100)  # the third failed check; grace 300 s keeps it running
        [task] = b.tasks(started_by=deployment)
        health = b.health()
        assert health[ip_of(task)] == ("unhealthy", "Target.ResponseCodeMismatch")  # the model's answer
        assert health["10.9.9.9"] == ("healthy", None)  # moto's own, for a target the model does not know
        assert b.model.target_health(b.target_group, "10.9.9.9") is None
        assert b.health_of(ip_of(task))["Description"] == "Health checks failed with these codes: [502]"
        assert b.health_of("10.8.8.8")["State"] == "unavailable"  # moto's answer for an unknown IP
    assert FakeTargetGroup.health_for is original  # uninstalled on exit


# ---------------------------------------------------------------------------- EventBridge events


def changes(events: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(task id, lastStatus, desiredStatus) of each task state-change event, in order."""
    return [(e["resources"][0].split("/")[-1], e["detail"]["lastStatus"], e["detail"]["desiredStatus"]) for e in events]


def as_described(detail: dict[str, Any]) -> dict[str, Any]:
    """An event's detail with its ISO 8601 timestamps parsed, as boto3 parses DescribeTasks; no updatedAt."""
    return {
        key: datetime.fromisoformat(value) if key.endswith("At") else value
        for key, value in detail.items()
        if key != "updatedAt"
    }


def test_a_crashing_task_emits_a_stopped_event_that_agrees_with_describe_tasks() -> None:
    with bed() as b:
        assert b.model.drain_events() == []  # the adopted task was running before the scenario
        deployment = b.deploy(Crash(kind="crash", crash_after_seconds=5, exit_code=1))

        # When the new task starts (30 s) and its container exits 5 s later
        b.model.advance_to(35)
        events = task_state_changes(b.model.drain_events())

        [crashed] = b.tasks(started_by=deployment, desired_status="STOPPED")
        task_id = crashed["taskArn"].split("/")[-1]
        assert changes(events) == [
            (task_id, "PROVISIONING", "RUNNING"),
            (task_id, "PENDING", "RUNNING"),
            (task_id, "ACTIVATING", "RUNNING"),
            (task_id, "RUNNING", "RUNNING"),
            (task_id, "RUNNING", "STOPPED"),  # desiredStatus first
            (task_id, "STOPPING", "STOPPED"),
            (task_id, "DEPROVISIONING", "STOPPED"),
            (task_id, "STOPPED", "STOPPED"),
        ]
        stopped = events[-1]
        assert stopped["detail-type"] == "ECS Task State Change" and stopped["source"] == "aws.ecs"
        assert (stopped["account"], stopped["region"], stopped["version"]) == (ACCOUNT, REGION, "0")
        assert stopped["resources"] == [crashed["taskArn"]]
        assert stopped["time"] == "2026-01-01T00:00:35Z"
        detail = stopped["detail"]
        assert detail["stoppedReason"] == "Essential container in task exited"
        assert detail["stopCode"] == "EssentialContainerExited"
        assert detail["startedBy"] == deployment and detail["group"] == f"service:{SERVICE}"
        assert detail["taskDefinitionArn"] == b.v2 and detail["launchType"] == "FARGATE"
        [container] = detail["containers"]
        assert (container["name"], container["lastStatus"], container["exitCode"]) == (CONTAINER, "STOPPED", 1)
        assert (detail["stoppedAt"], detail["updatedAt"]) == ("2026-01-01T00:00:35Z", "2026-01-01T00:00:35Z")
        # Then the event says what DescribeTasks says
        assert as_described(detail) == crashed
        assert [event["detail"]["version"] for event in events] == [1, 2, 3, 4, 5, 6, 7, 8]
        assert len({event["id"] for event in events}) == 8
        assert b.model.drain_events() == []


def test_a_rollout_emits_every_status_change_of_the_new_and_the_old_task() -> None:
    with bed() as b:
        [old_task] = b.tasks()
        deployment = b.deploy()

        b.model.advance_to(100)
        events = task_state_changes(b.model.drain_events())

        [new_task] = b.tasks(started_by=deployment)
        new_id, old_id = (t["taskArn"].split("/")[-1] for t in (new_task, old_task))
        assert changes(events) == [
            (new_id, "PROVISIONING", "RUNNING"),
            (new_id, "PENDING", "RUNNING"),
            (new_id, "ACTIVATING", "RUNNING"),  # registered in the target group
            (new_id, "RUNNING", "RUNNING"),
            (old_id, "RUNNING", "STOPPED"),  # at 70 s: the new target is healthy, the old one drains
            (old_id, "DEACTIVATING", "STOPPED"),
            (old_id, "STOPPING", "STOPPED"),  # at 100 s: drained
            (old_id, "DEPROVISIONING", "STOPPED"),
            (old_id, "STOPPED", "STOPPED"),
        ]
        at = [(datetime.fromisoformat(event["time"]) - DEFAULT_EPOCH).total_seconds() for event in events]
        assert at == [0, 5, 28, 30, 70, 70, 100, 100, 100]
        stopped = events[-1]["detail"]
        assert stopped["stopCode"] == "ServiceSchedulerInitiated" and stopped["containers"][0]["exitCode"] == 0
        assert stopped["startedBy"] != deployment  # the old deployment's task


def test_an_activating_task_is_pending_registered_and_not_yet_started() -> None:
    with bed() as b:
        deployment = b.deploy()

        b.model.advance_to(29)  # ACTIVATING from 28 s, RUNNING at 30 s
        [task] = b.tasks(started_by=deployment)
        assert (task["lastStatus"], task["desiredStatus"]) == ("ACTIVATING", "RUNNING")
        assert "startedAt" not in task and task["containers"][0]["lastStatus"] == "PENDING"
        assert b.health()[ip_of(task)] == ("initial", "Elb.RegistrationInProgress")
        assert b.service()["pendingCount"] == 1 and b.service()["runningCount"] == 1  # the old task


def test_a_stopped_task_is_describable_for_an_hour_then_missing() -> None:
    with bed() as b, ecs_missing_tasks.install():
        [old_task] = b.tasks()
        b.deploy()
        b.model.advance_to(100)  # the old task is STOPPED at 100 s

        def described() -> tuple[list[str], list[dict[str, str]]]:
            answer = b.ecs.describe_tasks(cluster=CLUSTER, tasks=[old_task["taskArn"]])
            return [t["lastStatus"] for t in answer["tasks"]], answer["failures"]

        assert b.model.next_change_at() == 3700.0
        b.model.advance_to(3699)
        assert described() == (["STOPPED"], [])
        b.model.advance_to(3700)
        assert described() == ([], [{"arn": old_task["taskArn"], "reason": "MISSING"}])
        listed = b.ecs.list_tasks(cluster=CLUSTER, desiredStatus="STOPPED")["taskArns"]
        assert old_task["taskArn"] not in listed
        assert b.model.next_change_at() is None


# ---------------------------------------------------------------------------- container health checks

# template.yaml's: BusyBox wget of the health path, every 30 s, timeout 5, 3 retries, startPeriod 60.
TEMPLATE_CHECK = {
    "command": ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:3001/api/health || exit 1"],
    "interval": 30,
    "timeout": 5,
    "retries": 3,
    "startPeriod": 60,
}


def test_describe_tasks_shows_the_container_and_task_health_of_the_registered_health_check() -> None:
    with bed(ServiceSpec(load_balanced=False), health_check=TEMPLATE_CHECK) as b:
        [adopted] = b.tasks()
        assert adopted["healthStatus"] == "HEALTHY"
        assert [c["healthStatus"] for c in adopted["containers"]] == ["HEALTHY"]
        deployment = b.deploy()

        b.model.advance_to(30)  # RUNNING, its first check 30 s later
        [new] = b.tasks(started_by=deployment)
        assert (new["lastStatus"], new["healthStatus"], new["containers"][0]["healthStatus"]) == (
            "RUNNING",
            "UNKNOWN",
            "UNKNOWN",
        )
        b.model.advance_to(60)
        [new] = b.tasks(started_by=deployment)
        assert (new["healthStatus"], new["containers"][0]["healthStatus"]) == ("HEALTHY", "HEALTHY")


def test_a_task_failing_its_container_check_is_stopped_as_ecs_describes_it() -> None:
    with bed(health_check=TEMPLATE_CHECK) as b:
        deployment = b.deploy(Unhealthy(kind="unhealthy"))
        b.model.advance_to(99)
        [new] = b.tasks(started_by=deployment)
        assert new["healthStatus"] == "UNKNOWN"  # the failure at 60 s was within the startPeriod, 90 s is one
        # The ALB's verdict (unhealthy at 100, grace over) comes before the container's (UNHEALTHY at 150)
        b.model.advance_to(100)
        [new] = b.tasks(started_by=deployment, desired_status="STOPPED")
        assert new["stoppedReason"].startswith("Task failed ELB health checks")

    with bed(ServiceSpec(load_balanced=False), health_check=TEMPLATE_CHECK) as b:
        deployment = b.deploy(Unhealthy(kind="unhealthy"))
        b.model.advance_to(150)  # RUNNING at 30; failures at 60, 90 and 120 s after it started
        [new] = b.tasks(started_by=deployment, desired_status="STOPPED")
        assert (new["stoppedReason"], new["stopCode"], new["healthStatus"]) == (
            "Task failed container health checks",
            "ServiceSchedulerInitiated",
            "UNHEALTHY",
        )
        assert new["containers"][0]["healthStatus"] == "UNHEALTHY"
        assert b.deployments()[0]["failedTasks"] == 1
