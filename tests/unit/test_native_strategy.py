"""ECS's own strategies (blue/green, linear, canary): the target's strategy, the Plan's refusal of a service that
cannot run one, Update's request, the Check's reading of DescribeServiceDeployments, the verdict and the outcome.
ECS's calls that moto lacks (ListServiceDeployments, DescribeServiceDeployments, a service's
deploymentConfiguration in DescribeServices) are answered by botocore's Stubber."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from pydantic import ValidationError

from pushdeploy import alerts
from pushdeploy.adapters import ecs as ecs_adapter
from pushdeploy.errors import InvalidRequest
from pushdeploy.judge import JudgePolicy, Window, judge
from pushdeploy.models import Evidence, HealthPolicy, MetricEvidence, PlanItem, Rollout, Strategy, Target, Verdict
from pushdeploy.outcome import IterationState, Outcome, decide
from pushdeploy.steps.check import CheckInput, check
from pushdeploy.steps.plan import _refuse_native_unprepared
from pushdeploy.steps.rollout import Registered, UpdateInput, update
from pushdeploy.verdict import ServiceDeploymentState, follow

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
OLD, NEW = "arn:aws:ecs:us-east-1:1:task-definition/app:1", "arn:aws:ecs:us-east-1:1:task-definition/app:2"
HOOK = "arn:aws:lambda:us-east-1:123456789012:function:pushdeploy-HookFunction"
ROLE = "arn:aws:iam::123456789012:role/HookInvokeRole"
DEPLOYMENT = "arn:aws:ecs:us-east-1:123456789012:service-deployment/c/svc/Abc123"
STAGES = ["POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"]
CANARY = Strategy(kind="canary", canary_percent=10, canary_bake_seconds=300, bake_seconds=120)
TARGET = Target(cluster="c", service="svc", container="app", repository="aiuteur-backend", strategy=CANARY)
ITEM = PlanItem(kind="deploy", target=TARGET, task_definition=OLD, requested_at=T0)
HOOKS = [{"hookTargetArn": HOOK, "roleArn": ROLE, "lifecycleStages": STAGES}]
BALANCER = {
    "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/blue/1",
    "containerName": "app",
    "containerPort": 3001,
    "advancedConfiguration": {
        "alternateTargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/green/2",
        "productionListenerRule": "arn:aws:elasticloadbalancing:us-east-1:1:listener-rule/app/alb/1/l/r",
        "roleArn": "arn:aws:iam::1:role/ecs-lb",
    },
}


def rollout(**changes: Any) -> Rollout:
    fields: dict[str, Any] = {
        "phase": "deploy",
        "deployment_id": "ecs-svc/2",
        "task_definition": NEW,
        "previous_task_definition": OLD,
        "started_at": T0,
        "wait_seconds": 15,
        "strategy": "canary",
        "service_deployment": DEPLOYMENT,
    }
    return Rollout(**(fields | changes))


# --- the target's strategy: ECS's units and limits -------------------------------------------------------


def test_each_strategy_sends_ecs_its_own_configuration_in_minutes():
    assert Strategy().deployment_configuration() == {"strategy": "ROLLING"}
    assert Strategy(kind="blue_green", bake_seconds=300).deployment_configuration() == {
        "strategy": "BLUE_GREEN",
        "bakeTimeInMinutes": 5,
    }
    assert CANARY.deployment_configuration() == {
        "strategy": "CANARY",
        "bakeTimeInMinutes": 2,
        "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5},
    }
    linear = Strategy(kind="linear", linear_step_percent=20, linear_interval_seconds=60)
    assert linear.deployment_configuration()["linearConfiguration"] == {"stepPercent": 20.0, "stepBakeTimeInMinutes": 1}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "canary", "canary_bake_seconds": 90}, "canary_bake_seconds\n  Input should be a multiple of 60"),
        ({"kind": "canary", "canary_percent": 0.05}, "canary_percent\n  Input should be greater than or equal to 0.1"),
        (
            {"kind": "linear", "linear_step_percent": 2.5},
            "linear_step_percent\n  Input should be greater than or equal to 3",
        ),
        ({"kind": "linear", "linear_step_percent": 10.25}, "10.25 is not a multiple of 0.1"),
        ({"kind": "blue_green", "bake_seconds": 86460}, "bake_seconds\n  Input should be less than or equal to 86400"),
        ({"kind": "canaries"}, "kind\n  Input should be 'rolling', 'blue_green', 'linear' or 'canary'"),
    ],
)
def test_a_strategy_outside_ecss_limits_is_refused_by_name(fields, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        Target(cluster="c", service="svc", container="app", repository="aiuteur-backend", strategy=fields)


def test_a_target_without_strategy_is_rolling_and_judged_with_the_judges_defaults():
    target = Target(cluster="c", service="svc", container="app", repository="aiuteur-backend")
    assert (target.strategy, target.deployment_strategy.native) == (None, False)
    assert target.policy.judge.min_requests == 200


# --- the Plan refuses a native strategy on a service that cannot run it ----------------------------------


def service(balancers: list[dict[str, Any]], hooks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {"c/svc": {"loadBalancers": balancers, "deploymentConfiguration": {"lifecycleHooks": hooks}}}


def test_a_native_strategy_needs_an_alternate_target_group():
    plain = {key: value for key, value in BALANCER.items() if key != "advancedConfiguration"}
    with pytest.raises(InvalidRequest, match="c/svc: strategy canary needs a load balancer with advancedConfiguration"):
        _refuse_native_unprepared([TARGET], service([plain], HOOKS), HOOK)


def test_a_native_strategy_needs_pushdeploys_hook_at_every_stage_it_judges():
    with pytest.raises(InvalidRequest, match="this stack has none \\(deploy it with DeploymentStrategy=BLUE_GREEN\\)"):
        _refuse_native_unprepared([TARGET], service([BALANCER], HOOKS), "")
    partial = [{**HOOKS[0], "lifecycleStages": ["PRODUCTION_TRAFFIC_SHIFT"]}]
    with pytest.raises(
        InvalidRequest, match="lifecycleHooks at POST_TEST_TRAFFIC_SHIFT, POST_PRODUCTION_TRAFFIC_SHIFT"
    ):
        _refuse_native_unprepared([TARGET], service([BALANCER], partial), HOOK)
    someone_elses = [{**HOOKS[0], "hookTargetArn": HOOK.replace("pushdeploy", "other")}]
    with pytest.raises(InvalidRequest, match="needs pushdeploy's hook"):
        _refuse_native_unprepared([TARGET], service([BALANCER], someone_elses), HOOK)


def test_a_prepared_service_and_a_rolling_target_pass():
    _refuse_native_unprepared([TARGET], service([BALANCER], HOOKS), HOOK)
    rolling = Target(cluster="c", service="svc", container="app", repository="aiuteur-backend")
    _refuse_native_unprepared([rolling], service([], []), "")


# --- Update starts ECS's deployment with the target's strategy ---------------------------------------------


@pytest.fixture
def ecs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    client = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    monkeypatch.setattr(ecs_adapter, "client", lambda service: client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def described(task_definition: str, configuration: dict[str, Any]) -> dict[str, Any]:
    return {
        "serviceName": "svc",
        "status": "ACTIVE",
        "taskDefinition": task_definition,
        "deploymentConfiguration": configuration,
        "loadBalancers": [BALANCER],
        "deployments": [
            {
                "id": "ecs-svc/2" if task_definition == NEW else "ecs-svc/1",
                "status": "PRIMARY",
                "taskDefinition": task_definition,
            }
        ],
    }


def test_update_starts_the_canary_keeping_the_services_hooks_and_load_balancers(ecs):
    # Given a blue/green service with pushdeploy's hook and a circuit breaker
    current = {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
        "strategy": "BLUE_GREEN",
        "lifecycleHooks": HOOKS,
    }
    ecs.add_response(
        "describe_services", {"services": [described(OLD, current)]}, {"cluster": "c", "services": ["svc"]}
    )
    # Then UpdateService sends the service's configuration back with the canary's fields over it, and no loadBalancers
    wanted = {**current, **CANARY.deployment_configuration()}
    ecs.add_response(
        "update_service",
        {"service": described(NEW, wanted)},
        {"cluster": "c", "service": "svc", "taskDefinition": NEW, "deploymentConfiguration": wanted},
    )
    ecs.add_response(
        "list_service_deployments",
        {
            "serviceDeployments": [
                {"serviceDeploymentArn": DEPLOYMENT.replace("Abc123", "Old"), "createdAt": T0 - timedelta(days=1)},
                {"serviceDeploymentArn": DEPLOYMENT, "createdAt": T0},
            ]
        },
        {"cluster": "c", "service": "svc"},
    )
    registered = Registered(task_definition=NEW, previous_task_definition=OLD, previous_image=None, reused=False)

    # When
    started = update(UpdateInput(item=ITEM, registered=registered))

    assert (started.strategy, started.service_deployment, started.deployment_id) == ("canary", DEPLOYMENT, "ecs-svc/2")
    assert started.previous_task_definition == OLD


def test_a_retried_update_starts_no_second_deployment(ecs):
    ecs.add_response("describe_services", {"services": [described(NEW, {"strategy": "CANARY"})]})
    ecs.add_response("list_service_deployments", {"serviceDeployments": [{"serviceDeploymentArn": DEPLOYMENT}]})
    registered = Registered(task_definition=NEW, previous_task_definition=OLD, previous_image=None, reused=True)

    assert update(UpdateInput(item=ITEM, registered=registered)).service_deployment == DEPLOYMENT


# --- the Check follows the service deployment --------------------------------------------------------------


def deployment_answer(status: str, stage: str | None = None, **extra: Any) -> dict[str, Any]:
    answer = {
        "serviceDeploymentArn": DEPLOYMENT,
        "status": status,
        "targetServiceRevision": {"arn": "rev", "requestedTaskCount": 2, "runningTaskCount": 2, "pendingTaskCount": 0},
        **extra,
    }
    if stage:
        answer["lifecycleStage"] = stage
    return {"serviceDeployments": [answer]}


def test_the_check_reads_the_lifecycle_stage_while_ecs_shifts_traffic(ecs):
    ecs.add_response(
        "describe_service_deployments",
        deployment_answer("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT"),
        {"serviceDeploymentArns": [DEPLOYMENT]},
    )

    probed = check(CheckInput(item=ITEM, rollout=rollout(started_at=datetime.now(UTC))))  # the Check reads the clock

    assert (probed.verdict, probed.lifecycle_stage, probed.probes) == (
        Verdict.IN_PROGRESS,
        "PRODUCTION_TRAFFIC_SHIFT",
        1,
    )
    assert probed.reason == "PRODUCTION_TRAFFIC_SHIFT: 2/2 new tasks running"
    assert probed.evidence.deployment is not None and probed.evidence.deployment.status == "IN_PROGRESS"


def test_the_check_sees_ecss_own_rollback_and_says_it_succeeded(ecs):
    ecs.add_response(
        "describe_service_deployments",
        deployment_answer("ROLLBACK_SUCCESSFUL", rollback={"reason": "lifecycle hook failed", "startedAt": T0}),
    )

    probed = check(CheckInput(item=ITEM, rollout=rollout(started_at=datetime.now(UTC))))  # the Check reads the clock

    assert (probed.verdict, probed.ecs_rollback) == (Verdict.FAILED, "succeeded")
    assert probed.reason == "ECS rolled the deployment back: lifecycle hook failed"


def test_an_unknown_service_deployment_is_named(ecs):
    ecs.add_response(
        "describe_service_deployments",
        {"serviceDeployments": [], "failures": [{"arn": DEPLOYMENT, "reason": "MISSING", "detail": "not found"}]},
    )
    with pytest.raises(InvalidRequest, match=f"service deployment {DEPLOYMENT} cannot be described: MISSING"):
        check(CheckInput(item=ITEM, rollout=rollout(started_at=datetime.now(UTC))))  # the Check reads the clock


# --- the verdict on a native deployment (pure) ------------------------------------------------------------


def state(status: str, **fields: Any) -> ServiceDeploymentState:
    return ServiceDeploymentState(arn=DEPLOYMENT, status=status, requested=2, running=2, **fields)


FAILED_BY_HOOK = MetricEvidence(
    service_deployment=DEPLOYMENT,
    stage="PRODUCTION_TRAFFIC_SHIFT",
    hook_status="FAILED",
    reason="degraded: 5XX rate: new 20.00% vs stable 0.10% (p = 1e-90, significant)",
    at=T0,
    since=T0,
)


def test_a_successful_deployment_is_healthy_and_watched():
    judged = follow(state("SUCCESSFUL"), rollout(), HealthPolicy(watch_seconds=300), T0 + timedelta(minutes=20))
    assert judged.verdict == Verdict.HEALTHY
    assert (judged.watch_seconds, judged.watch_until) == (300, T0 + timedelta(minutes=25))
    assert judged.reason == f"ECS completed canary deployment {DEPLOYMENT}"


def test_a_rollback_after_the_hook_failed_it_carries_the_judges_reason_and_evidence():
    judged = follow(state("ROLLBACK_SUCCESSFUL"), rollout(), HealthPolicy(), T0, FAILED_BY_HOOK)
    assert (judged.verdict, judged.ecs_rollback, judged.reason) == (Verdict.FAILED, "succeeded", FAILED_BY_HOOK.reason)
    assert judged.evidence.hook == FAILED_BY_HOOK


@pytest.mark.parametrize(
    ("status", "verdict", "ecs_rollback"),
    [
        ("PENDING", Verdict.IN_PROGRESS, None),
        ("ROLLBACK_IN_PROGRESS", Verdict.IN_PROGRESS, None),
        ("ROLLBACK_FAILED", Verdict.FAILED, "failed"),
        ("STOPPED", Verdict.SUPERSEDED, None),
    ],
)
def test_each_deployment_status_has_its_verdict(status, verdict, ecs_rollback):
    judged = follow(state(status, status_reason="why"), rollout(), HealthPolicy(), T0 + timedelta(minutes=1))
    assert (judged.verdict, judged.ecs_rollback) == (verdict, ecs_rollback)


def test_a_deployment_past_the_deadline_times_out():
    judged = follow(
        state("IN_PROGRESS", lifecycle_stage="BAKE_TIME"),
        rollout(),
        HealthPolicy(deadline_seconds=600),
        T0 + timedelta(minutes=11),
    )
    assert judged.verdict == Verdict.TIMED_OUT
    assert judged.reason.startswith("not done after 660 s (deadline 600 s): BAKE_TIME")


# --- the outcome: ECS rolled back by itself, pushdeploy's Rollback did not run ------------------------------


@pytest.mark.parametrize(
    ("ecs_rollback", "outcome", "healthy"),
    [("succeeded", Outcome.ROLLED_BACK, True), ("failed", Outcome.ROLLBACK_FAILED, False)],
)
def test_ecss_rollback_decides_the_outcome(ecs_rollback, outcome, healthy):
    failed = rollout(verdict=Verdict.FAILED, reason=FAILED_BY_HOOK.reason, ecs_rollback=ecs_rollback, decided_at=T0)
    result = decide(IterationState(item=ITEM, execution="arn:aws:states:x", rollout=failed), T0 + timedelta(minutes=1))
    assert (result.outcome, result.reason, result.runs_now, result.healthy_now) == (
        outcome,
        FAILED_BY_HOOK.reason,
        OLD,
        healthy,
    )


# --- the metric reader's minimal version ------------------------------------------------------------------


def test_the_alert_of_ecss_rollback_shows_both_windows_numbers():
    # Given the hook failed the canary on its 5XX rate, and ECS rolled it back
    new, old = Window(requests=400, errors=80, slow=4), Window(requests=3000, errors=3, p99_seconds=0.2, slow=30)
    judged = FAILED_BY_HOOK.model_copy(
        update={
            "judgement": judge(new, old, JudgePolicy()),
            "looks": 2,
            "new_target_group": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/green/2",
            "stable_target_group": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/blue/1",
        }
    )
    failed = rollout(
        verdict=Verdict.FAILED,
        reason=judged.reason,
        ecs_rollback="succeeded",
        evidence=Evidence(hook=judged),
    )
    state = IterationState(item=ITEM, execution="arn:aws:states:x", rollout=failed)

    # When Notify words the alert
    text = alerts.message(decide(state, T0 + timedelta(minutes=5)), state)

    # Then it names the judgement and both target groups' numbers
    assert "  metric judge at PRODUCTION_TRAFFIC_SHIFT: FAILED after 2 look(s) since 09:00:00Z: degraded" in text
    assert "    new (targetgroup/green/2): 400 requests, 80 5XX (20.00%), 4 slower than the stable p99 (1.00%)" in text
    assert "    stable (targetgroup/blue/1): 3000 requests, 3 5XX (0.10%), p99 200 ms, 30 slower than" in text


# --- explain's picture: the traffic steps ------------------------------------------------------------------


def test_the_picture_marks_each_lifecycle_stage_once_where_a_probe_first_saw_it():
    from pushdeploy_cli.picture import _Scale, _stages
    from pushdeploy_cli.story import Probe

    def probe(seconds: float, stage: str | None, metrics: MetricEvidence | None = None) -> Probe:
        return Probe(
            at=T0 + timedelta(seconds=seconds),
            seconds=seconds,
            phase="deploy",
            deployment_id="ecs-svc/2",
            task_definition=NEW,
            verdict="IN_PROGRESS",
            reason="r",
            lifecycle_stage=stage,
            hook=metrics,
        )

    probes = [
        probe(15, "SCALE_UP"),
        probe(30, "SCALE_UP"),
        probe(45, "PRODUCTION_TRAFFIC_SHIFT", FAILED_BY_HOOK),
        probe(60, None),
    ]

    drawn, below = _stages(probes, _Scale(end=120), 100)

    assert [m.group(1) for m in re.finditer(r"<text class='stage'[^>]*>([A-Z_]+)<title>", drawn)] == [
        "SCALE_UP",
        "PRODUCTION_TRAFFIC_SHIFT",
    ]
    assert "t+45s PRODUCTION_TRAFFIC_SHIFT: hook FAILED" in drawn
    assert below == 130
    assert _stages([probe(15, None)], _Scale(end=120), 100) == ("", 100)
