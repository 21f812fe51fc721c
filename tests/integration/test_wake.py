"""Wake: which stopped-task events end a watch, and that a watch's token is handed back once only.

DynamoDB is moto's; the token is handed to a recorder instead of Step Functions (the whole loop, with
the real state machine waiting on the token, is in tests/scenarios/test_rollouts.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pydantic import ValidationError

from pushdeploy.adapters import aws, dynamodb
from pushdeploy.adapters import ecs as ecs_adapter
from pushdeploy.models import PlanItem, Rollout, Target
from pushdeploy.steps import watch

TABLE, SERVICE = "pushdeploy-locks", "aiuteur-cluster/aiuteur-backend-service"
HOLDER = "arn:aws:states:us-east-1:123456789012:execution:pushdeploy-deploy:v2"
DEPLOYMENT = "ecs-svc/2222"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def stopped_event(**detail: Any) -> dict[str, Any]:
    task = {
        "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/aiuteur-cluster",
        "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/aiuteur-cluster/0f1e2d",
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/aiuteur-backend:3",
        "group": "service:aiuteur-backend-service",
        "startedBy": DEPLOYMENT,
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        "stopCode": "EssentialContainerExited",
        "stoppedReason": "Essential container in task exited",
        "stoppedAt": "2026-11-20T09:07:30Z",
        "containers": [{"name": "aiuteur-backend", "lastStatus": "STOPPED", "exitCode": 137}],
    }
    return {"version": "0", "detail-type": "ECS Task State Change", "source": "aws.ecs", "detail": task | detail}


@pytest.fixture
def handed_back(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    sent: list[tuple[str, dict[str, Any]]] = []

    def record(token: str, output: dict[str, Any]) -> bool:
        sent.append((token, output))
        return True

    monkeypatch.setattr(watch.stepfunctions, "send_task_success", record)
    with mock_aws():
        aws.client.cache_clear()
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "service", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "service", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        assert dynamodb.note_push(TABLE, SERVICE, HOLDER, "2026-11-20T09:05:00+00:00|v2")
        assert dynamodb.take(TABLE, SERVICE, HOLDER, now=0, expires_at=10**10, running=f"{SERVICE}:1")
        yield sent
    aws.client.cache_clear()


@pytest.fixture(autouse=True)
def region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")


def test_a_failed_task_of_the_watched_deployment_hands_the_token_back_once(handed_back):
    assert dynamodb.start_watch(TABLE, SERVICE, HOLDER, "token-1", DEPLOYMENT)

    first, second = watch.wake(stopped_event(), TABLE), watch.wake(stopped_event(), TABLE)

    assert (first.woke, second.woke) == (True, False)
    assert handed_back == [
        (
            "token-1",
            {
                "woken_by": "arn:aws:ecs:us-east-1:123456789012:task/aiuteur-cluster/0f1e2d",
                "reason": "Essential container in task exited (exit code 137)",
            },
        )
    ]
    assert dynamodb.read(TABLE, SERVICE).watch_token is None
    assert dynamodb.read(TABLE, SERVICE).holder == HOLDER  # the lock stays with the watching execution


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"startedBy": "ecs-svc/1111"}, "no watch on the deployment"),
        ({"group": "family:aiuteur-backend"}, "belongs to no service"),
        ({"group": "service:another-service"}, "no watch on the deployment"),
        (
            {"stopCode": "ServiceSchedulerInitiated", "stoppedReason": "Scaling activity initiated by (deployment x)"}
            | {"containers": [{"name": "aiuteur-backend", "exitCode": 0}]},
            "did not stop for a failure",
        ),
        ({"lastStatus": "RUNNING", "desiredStatus": "RUNNING", "stoppedReason": None}, "did not stop for a failure"),
    ],
)
def test_other_events_leave_the_watch_alone(handed_back, change, why):
    assert dynamodb.start_watch(TABLE, SERVICE, HOLDER, "token-1", DEPLOYMENT)

    woke = watch.wake(stopped_event(**change), TABLE)

    assert not woke.woke
    assert why in woke.reason
    assert handed_back == []
    assert dynamodb.read(TABLE, SERVICE).watch_token == "token-1"


def test_no_watch_no_wake(handed_back):
    assert not watch.wake(stopped_event(), TABLE).woke
    assert handed_back == []


def test_only_the_holder_records_a_watch_and_unlock_forgets_it(handed_back):
    assert not dynamodb.start_watch(TABLE, SERVICE, "someone-else", "token-x", DEPLOYMENT)
    assert dynamodb.start_watch(TABLE, SERVICE, HOLDER, "token-1", DEPLOYMENT)

    assert dynamodb.release(TABLE, SERVICE, HOLDER)

    assert (dynamodb.read(TABLE, SERVICE).watch_token, dynamodb.read(TABLE, SERVICE).watch_deployment) == (None, None)


def test_an_event_that_is_not_a_task_state_change_is_refused(handed_back):
    with pytest.raises(ValidationError, match="detail-type"):
        watch.wake({"detail-type": "ECS Service Action", "detail": {}}, TABLE)
    assert handed_back == []


def alarm_event(name: str, state: str = "ALARM") -> dict[str, Any]:
    """A "CloudWatch Alarm State Change" event as CloudWatch sends it (cloudwatch-and-eventbridge.html)."""
    return {
        "version": "0",
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "resources": [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"],
        "detail": {
            "alarmName": name,
            "state": {"value": state, "reason": "Threshold Crossed", "timestamp": "2026-11-20T09:07:30.000+0000"},
            "previousState": {"value": "OK", "reason": "", "timestamp": "2026-11-20T09:00:00.000+0000"},
        },
    }


def test_an_alarm_entering_alarm_hands_back_the_token_of_each_watch_that_names_it_once(handed_back):
    assert dynamodb.start_watch(TABLE, SERVICE, HOLDER, "token-1", DEPLOYMENT, ["api-5xx", "api-latency"])

    woke = watch.wake(alarm_event("api-latency"), TABLE)

    assert woke.woke and woke.reason == f"alarm api-latency is in ALARM: woke the watch of {SERVICE}"
    assert handed_back == [("token-1", {"woken_by": "alarm api-latency", "reason": "alarm api-latency is in ALARM"})]
    assert dynamodb.read(TABLE, SERVICE).watch_token is None
    assert not watch.wake(alarm_event("api-latency"), TABLE).woke  # handed back once
    assert len(handed_back) == 1


@pytest.mark.parametrize(
    ("event", "why"),
    [
        (alarm_event("jobs-5xx"), "alarm jobs-5xx is in ALARM: no watch names it"),
        (alarm_event("api-5xx", state="OK"), "alarm api-5xx is OK, not ALARM"),
    ],
)
def test_an_alarm_no_watch_names_or_leaving_alarm_wakes_nothing(handed_back, event, why):
    assert dynamodb.start_watch(TABLE, SERVICE, HOLDER, "token-1", DEPLOYMENT, ["api-5xx"])

    woke = watch.wake(event, TABLE)

    assert (woke.woke, woke.reason) == (False, why)
    assert handed_back == [] and dynamodb.read(TABLE, SERVICE).watch_token == "token-1"


SERVICE_ARN = "arn:aws:ecs:us-east-1:123456789012:service/aiuteur-cluster/aiuteur-backend-service"


def deployment_event(name: str, deployment: str = DEPLOYMENT, service_arn: str = SERVICE_ARN) -> dict[str, Any]:
    """An "ECS Deployment State Change" event as ECS sends it (ecs_service_deployment_events.html)."""
    return {
        "version": "0",
        "id": "ddca6449-b258-46c0-8653-e0e3a6000001",
        "detail-type": "ECS Deployment State Change",
        "source": "aws.ecs",
        "resources": [service_arn],
        "detail": {
            "eventType": "ERROR" if name.endswith("FAILED") else "INFO",
            "eventName": name,
            "deploymentId": deployment,
            "updatedAt": "2026-11-20T09:07:30Z",
            "reason": f"ECS deployment {deployment} completed." if name.endswith("COMPLETED") else "circuit breaker",
        },
    }


def test_a_deployment_that_completes_hands_back_the_token_of_its_rollouts_wait_once(handed_back):
    assert dynamodb.start_watch(TABLE, SERVICE, HOLDER, "token-1", DEPLOYMENT, kind="rollout")
    assert dynamodb.read(TABLE, SERVICE).watch_kind == "rollout"

    # EventBridge may deliver the event twice
    first, again = (watch.wake(deployment_event("SERVICE_DEPLOYMENT_COMPLETED"), TABLE) for _ in range(2))

    assert (first.woke, again.woke) == (True, False)
    assert handed_back == [("token-1", {"woken_by": f"deployment {DEPLOYMENT}", "reason": first.reason})]
    assert first.reason == f"ECS deployment {DEPLOYMENT} completed."
    assert dynamodb.read(TABLE, SERVICE).watch_token is None


@pytest.mark.parametrize("kind", ["rollout", "watch"])
def test_a_deployment_that_ecs_fails_ends_the_rollouts_wait_and_the_watch(handed_back, kind):
    assert dynamodb.start_watch(TABLE, SERVICE, HOLDER, "token-1", DEPLOYMENT, kind=kind)

    assert watch.wake(deployment_event("SERVICE_DEPLOYMENT_FAILED"), TABLE).woke
    assert handed_back == [("token-1", {"woken_by": f"deployment {DEPLOYMENT}", "reason": "circuit breaker"})]


@pytest.mark.parametrize(
    ("kind", "event", "why"),
    [
        ("watch", deployment_event("SERVICE_DEPLOYMENT_COMPLETED"), "its watch waits for failures"),
        ("rollout", deployment_event("SERVICE_DEPLOYMENT_IN_PROGRESS"), "decides nothing"),
        ("rollout", deployment_event("SERVICE_DEPLOYMENT_COMPLETED", "ecs-svc/1111"), "nothing waits on deployment"),
        (
            "rollout",
            deployment_event("SERVICE_DEPLOYMENT_COMPLETED", service_arn=SERVICE_ARN.replace("aiuteur-cluster/", "")),
            "names no cluster",  # the old ARN format names the service only
        ),
    ],
)
def test_other_deployment_events_leave_the_wait_alone(handed_back, kind, event, why):
    assert dynamodb.start_watch(TABLE, SERVICE, HOLDER, "token-1", DEPLOYMENT, kind=kind)

    woke = watch.wake(event, TABLE)

    assert not woke.woke and why in woke.reason
    assert handed_back == [] and dynamodb.read(TABLE, SERVICE).watch_token == "token-1"


def test_a_deployment_event_without_its_deployment_is_refused(handed_back):
    event = deployment_event("SERVICE_DEPLOYMENT_COMPLETED")
    del event["detail"]["deploymentId"]

    with pytest.raises(ValidationError, match="deploymentId"):
        watch.wake(event, TABLE)
    assert handed_back == []


def test_an_alarm_and_a_failed_task_end_the_rollouts_wait_as_they_end_the_watch(handed_back):
    assert dynamodb.start_watch(TABLE, SERVICE, HOLDER, "token-1", DEPLOYMENT, ["api-5xx"], kind="rollout")
    assert watch.wake(alarm_event("api-5xx"), TABLE).woke

    assert dynamodb.start_watch(TABLE, SERVICE, HOLDER, "token-2", DEPLOYMENT, kind="rollout")
    assert watch.wake(stopped_event(), TABLE).woke

    assert [token for token, _ in handed_back] == ["token-1", "token-2"]


# ------------------------------------------------------------------ recording the rollout's wait (Watch)


def waiting(verdict: str = "IN_PROGRESS", **rollout: Any) -> watch.WatchInput:
    target = Target(
        cluster="aiuteur-cluster", service="aiuteur-backend-service", container="app", repository="aiuteur-backend"
    )
    item = PlanItem(kind="deploy", target=target, task_definition="td:1", requested_at=T0)
    started = Rollout(phase="deploy", deployment_id=DEPLOYMENT, task_definition="td:2", started_at=T0, wait_seconds=60)
    return watch.WatchInput(
        item=item,
        rollout=started.model_copy(update={"verdict": verdict, **rollout}),
        execution=HOLDER,
        token="token-1",
    )


@pytest.fixture
def ecs_now(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What ECS answers the Watch step: the deployment's stopped tasks and its state (in place of ECS's API)."""
    now: dict[str, Any] = {"stopped": [], "rollout_state": "IN_PROGRESS", "status": "PRIMARY"}
    crashed = ecs_adapter.task_state(stopped_event()["detail"])
    monkeypatch.setattr(watch.ecs, "list_deployment_tasks", lambda cluster, deployment, status: now["stopped"])
    monkeypatch.setattr(watch.ecs, "describe_tasks", lambda cluster, arns: [crashed for _ in arns])
    monkeypatch.setattr(watch.ecs, "describe_service", lambda cluster, service: {"deployments": [dict(now["d"])]})
    now["d"] = {"id": DEPLOYMENT, "taskDefinition": "td:2", "status": "PRIMARY", "rolloutState": "IN_PROGRESS"}
    return now


def test_a_rollouts_wait_is_recorded_for_its_events_and_ended_by_none_of_the_watchs_enders(handed_back, ecs_now):
    answer = watch.watch(waiting(), TABLE)

    assert answer.watching and answer.reason == f"waiting for the events of {DEPLOYMENT}, at most 60 s"
    item = dynamodb.read(TABLE, SERVICE)
    assert (item.watch_token, item.watch_deployment, item.watch_kind) == ("token-1", DEPLOYMENT, "rollout")
    assert handed_back == []


def test_a_deployment_that_completed_before_the_wait_began_ends_it_at_once(handed_back, ecs_now):
    ecs_now["d"] |= {"rolloutState": "COMPLETED", "rolloutStateReason": f"ECS deployment {DEPLOYMENT} completed."}

    answer = watch.watch(waiting(), TABLE)

    assert not answer.watching
    assert handed_back == [("token-1", {"woken_by": f"deployment {DEPLOYMENT}", "reason": answer.reason})]
    assert answer.reason == f"ECS deployment {DEPLOYMENT} completed."


def test_a_task_that_failed_before_the_wait_began_ends_it_once_and_a_counted_one_does_not(handed_back, ecs_now):
    ecs_now["stopped"] = ["arn:aws:ecs:us-east-1:123456789012:task/aiuteur-cluster/0f1e2d"]

    # The last probe counted it (failing=1, a failure budget of 2): no wake, else a probe would follow a probe
    assert watch.watch(waiting(failing=1), TABLE).watching
    assert handed_back == []
    # Not counted: it stopped after the probe, its event found no token; the token goes back naming it
    assert not watch.watch(waiting(failing=0), TABLE).watching
    assert handed_back[0][1]["woken_by"] == ecs_now["stopped"][0]


def test_a_rollout_that_lost_its_lock_is_left_to_its_fallback_probe(handed_back, ecs_now):
    assert dynamodb.release(TABLE, SERVICE, HOLDER)

    answer = watch.watch(waiting(), TABLE)

    assert not answer.watching and "the next probe decides" in answer.reason
    assert handed_back == []  # the watch of a healthy deploy would be ended ("end"); a rollout waits its timeout
    assert watch.watch(waiting("HEALTHY"), TABLE).reason == "the lock is no longer ours: nothing to watch over"
    assert handed_back == [("token-1", {"end": "the lock is no longer ours: nothing to watch over"})]
