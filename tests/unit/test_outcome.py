"""From what an iteration recorded to its outcome, and the alert people read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from pushdeploy import alerts
from pushdeploy.models import Evidence, Image, PlanItem, Rollout, StoppedTask, Target, TargetEvidence, Verdict
from pushdeploy.outcome import (
    GOOD_OUTCOMES,
    WORST_FIRST,
    DescribedChild,
    DescribedExecution,
    IterationState,
    Outcome,
    TargetResult,
    decide,
    results_of_children,
    worst,
)
from pushdeploy.steps.rollout import Registered

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
OLD, NEW = "arn:aws:ecs:us-east-1:1:task-definition/app:1", "arn:aws:ecs:us-east-1:1:task-definition/app:2"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:pushdeploy-deploy:aiuteur-backend-v2-abc"
IMAGE = Image(
    repository="aiuteur-backend",
    registry="1.dkr.ecr.us-east-1.amazonaws.com",
    digest="sha256:" + "b" * 64,
    tag="v2",
)
ITEM = PlanItem(
    kind="deploy",
    target=Target(cluster="c", service="svc", container="app", repository="aiuteur-backend"),
    task_definition=OLD,
    image=IMAGE,
    requested_at=T0,
)
REGISTERED = Registered(
    task_definition=NEW,
    previous_task_definition=OLD,
    previous_image="1.dkr.ecr.us-east-1.amazonaws.com/aiuteur-backend@sha256:" + "a" * 64,
    reused=False,
)
CRASH = Evidence(
    stopped_tasks=[
        StoppedTask(
            task_id="t1",
            task_definition=NEW,
            stopped_reason="Essential container in task exited",
            stop_code="EssentialContainerExited",
            containers=[{"name": "app", "exit_code": 1}],
        )
    ],
    events=["09:01:10Z (service svc) has stopped 1 running tasks: (task t1)."],
)


def rollout(phase: str, verdict: Verdict, reason: str, evidence: Evidence | None = None, **extra) -> Rollout:
    return Rollout(
        phase=phase,
        deployment_id=f"ecs-svc/{phase}",
        task_definition=NEW if phase == "deploy" else OLD,
        started_at=T0,
        wait_seconds=15,
        verdict=verdict,
        reason=reason,
        evidence=evidence or Evidence(),
        decided_at=T0 + timedelta(seconds=70),
        **extra,
    )


def state(**kwargs) -> IterationState:
    return IterationState(item=ITEM, execution=EXECUTION, registered=REGISTERED, **kwargs)


def test_a_healthy_rollout_is_deployed_and_runs_the_new_image():
    result = decide(state(rollout=rollout("deploy", Verdict.HEALTHY, "1/1 tasks running")), T0 + timedelta(seconds=90))

    assert result.outcome == Outcome.DEPLOYED and result.ok and result.severity == "info"
    assert result.runs_now == NEW and result.runs_now_image == IMAGE.reference


def test_a_failed_rollout_with_a_healthy_rollback_is_rolled_back_and_runs_the_previous_image():
    result = decide(
        state(
            rollout=rollout("deploy", Verdict.FAILED, "Essential container in task exited (exit code 1)", CRASH),
            rollback=rollout("rollback", Verdict.HEALTHY, "1/1 tasks running"),
        ),
        T0 + timedelta(seconds=190),
    )

    assert result.outcome == Outcome.ROLLED_BACK and not result.ok and result.severity == "warning"
    assert result.runs_now == OLD and result.runs_now_image == REGISTERED.previous_image
    assert result.reason == "Essential container in task exited (exit code 1)"


def test_a_rollback_that_fails_is_critical_and_says_what_to_do():
    result = decide(
        state(
            rollout=rollout("deploy", Verdict.FAILED, "target 10.0.0.5 is unhealthy: Target.ResponseCodeMismatch"),
            rollback=rollout("rollback", Verdict.TIMED_OUT, "not healthy after 1800 s"),
        ),
        T0 + timedelta(seconds=2000),
    )

    assert result.outcome == Outcome.ROLLBACK_FAILED and result.severity == "critical"
    assert "the rollback ended TIMED_OUT" in result.reason
    assert "ACTION NEEDED" in alerts.message(result, IterationState(item=ITEM, execution=EXECUTION))


def test_a_crash_of_the_check_step_after_update_still_reports_the_rollback():
    error = {
        "Error": "KeyError",
        "Cause": json.dumps({"errorType": "KeyError", "errorMessage": "'deployments'"}),
    }
    result = decide(
        state(
            rollout=rollout("deploy", Verdict.IN_PROGRESS, "0/1 new tasks running"),
            error=error,
            rollback=rollout("rollback", Verdict.HEALTHY, "ok"),
        ),
        T0 + timedelta(seconds=100),
    )

    assert result.outcome == Outcome.ROLLED_BACK
    assert result.reason == "KeyError: 'deployments'"


def test_a_register_failure_changes_nothing_and_says_so():
    error = {
        "Error": "InvalidRequest",
        "Cause": json.dumps({"errorType": "InvalidRequest", "errorMessage": "nope"}),
    }
    recorded = IterationState(item=ITEM, execution=EXECUTION, error=error)

    decided = decide(recorded, T0)

    assert decided.outcome == Outcome.FAILED and decided.runs_now == OLD
    assert "was not changed" in alerts.message(decided, recorded)


def test_superseded_is_quiet_and_ok():
    result = decide(state(rollout=rollout("deploy", Verdict.SUPERSEDED, "deployment ecs-svc/9 replaced ours")), T0)

    assert result.outcome == Outcome.SUPERSEDED and result.ok


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        (
            CRASH,
            "stopped task t1: Essential container in task exited (exit code 1) [EssentialContainerExited]",
        ),
        (
            Evidence(
                targets=[
                    TargetEvidence(
                        target_group="tg",
                        target_id="10.0.0.5",
                        port=3001,
                        state="unhealthy",
                        reason="Target.ResponseCodeMismatch",
                        description="Health checks failed with these codes: [502]",
                    )
                ]
            ),
            "target 10.0.0.5 is unhealthy: Target.ResponseCodeMismatch - Health checks failed with these codes: [502]",
        ),
    ],
)
def test_the_alert_names_the_cause_what_runs_now_and_where_to_look(evidence, expected):
    recorded = state(
        rollout=rollout("deploy", Verdict.FAILED, "why", evidence),
        rollback=rollout("rollback", Verdict.HEALTHY, "ok"),
    )
    result = decide(recorded, T0 + timedelta(seconds=190))

    subject, message = alerts.subject(result), alerts.message(result, recorded)

    assert subject == "[pushdeploy] WARNING: svc ROLLED BACK aiuteur-backend:v2"
    assert expected in message
    assert f"What runs now: {OLD}, image {REGISTERED.previous_image} (healthy)" in message
    assert "Took: 190 s" in message
    assert f"#/v2/executions/details/{EXECUTION}" in message


# -- the order of outcomes, and the summary of a described execution ------------------------------------


def test_every_outcome_has_one_place_in_the_order_and_every_bad_one_is_worse_than_every_good_one():
    assert sorted(WORST_FIRST) == sorted(Outcome)
    for bad in set(Outcome) - GOOD_OUTCOMES:
        for good in GOOD_OUTCOMES:
            assert worst([good, bad]) == bad
            assert worst([bad, good]) == bad


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ([Outcome.DEPLOYED, Outcome.ROLLED_BACK, Outcome.SUPERSEDED], Outcome.ROLLED_BACK),
        ([Outcome.ROLLED_BACK, Outcome.ROLLBACK_FAILED], Outcome.ROLLBACK_FAILED),
        ([Outcome.DEPLOYED, Outcome.SUPERSEDED], Outcome.SUPERSEDED),
        ([Outcome.IGNORED, Outcome.DEPLOYED], Outcome.DEPLOYED),
        ([Outcome.REJECTED, Outcome.FAILED], Outcome.FAILED),
        ([Outcome.REVERTED], Outcome.REVERTED),
    ],
)
def test_the_worst_outcome_wins(outcomes, expected):
    assert worst(outcomes) == expected


def test_there_is_no_worst_of_nothing():
    with pytest.raises(ValueError):
        worst([])


def target_result(service: str, outcome: Outcome, reason: str) -> dict:
    """One target's result as the Notify step returns it (and the execution's output or cause lists it)."""
    ok = outcome in GOOD_OUTCOMES
    return TargetResult(
        service=service,
        outcome=outcome,
        ok=ok,
        severity="info" if ok else "warning",
        reason=reason,
        runs_now=NEW if ok else OLD,
        finished_at=T0,
        execution=EXECUTION,
    ).model_dump(mode="json")


def lambda_error(error: str, message: str) -> str:
    return json.dumps({"errorType": error, "errorMessage": message, "stackTrace": []})


API, WORKER = "c/api", "c/worker"


MAP_RUN = "arn:aws:states:us-east-1:123456789012:mapRun:pushdeploy-deploy/Deploy:r1"
DEPLOY_OUTPUT = json.dumps(
    {
        "action": "deploy",
        "reason": "deploy aiuteur-backend:v2 to 2 service(s)",
        "items": {"MapRunArn": MAP_RUN, "ResultWriterDetails": {"Bucket": "b", "Key": "deploy/r1/manifest.json"}},
        "counts": {"failed": 0, "timed_out": 0, "aborted": 0, "total": 2},
    }
)
FAILED_CAUSE = "1 of 2 targets failed, 0 timed out and 0 were aborted; each result is ... (Map Run r1)"


def child(service: str, status: str, **described) -> dict:
    """DescribeExecution of the Deploy Map's child for `service` (its input: the item and the push's ARN)."""
    cluster, name = service.split("/")
    given = {
        "item": ITEM.model_copy(
            update={"target": ITEM.target.model_copy(update={"cluster": cluster, "service": name})}
        ).model_dump(mode="json"),
        "execution": EXECUTION,
    }
    return {
        "executionArn": f"{EXECUTION}/Deploy:{name}",
        "input": json.dumps(given),
        "status": status,
        "stopDate": T0,
        **described,
    }


def succeeded(service: str, outcome: Outcome, reason: str) -> dict:
    return child(service, "SUCCEEDED", output=json.dumps(target_result(service, outcome, reason)))


def target_failed(service: str, outcome: Outcome, reason: str) -> dict:
    return child(service, "FAILED", error="TargetFailed", cause=json.dumps(target_result(service, outcome, reason)))


@pytest.mark.parametrize(
    ("described", "children", "outcome", "reason", "services"),
    [
        (
            {"status": "SUCCEEDED", "output": DEPLOY_OUTPUT},
            [
                succeeded(API, Outcome.DEPLOYED, "1/1 tasks healthy"),
                succeeded(WORKER, Outcome.SUPERSEDED, "deployment ecs-svc/9 replaced ours"),
            ],
            Outcome.SUPERSEDED,
            "deployment ecs-svc/9 replaced ours",
            [API, WORKER],
        ),
        (
            {"status": "FAILED", "error": "DeploymentFailed", "cause": FAILED_CAUSE},
            [
                succeeded(API, Outcome.DEPLOYED, "1/1 tasks healthy"),
                target_failed(WORKER, Outcome.ROLLED_BACK, "Essential container in task exited"),
            ],
            Outcome.ROLLED_BACK,
            "Essential container in task exited",
            [API, WORKER],
        ),
        (
            {"status": "FAILED", "error": "DeploymentFailed", "cause": FAILED_CAUSE},
            [
                succeeded(API, Outcome.DEPLOYED, "1/1 tasks healthy"),
                child(WORKER, "TIMED_OUT"),
            ],
            Outcome.UNKNOWN,
            "the target's execution ended TIMED_OUT before deciding an outcome (no error given); its steps are in "
            "its history",
            [API, WORKER],
        ),
        (
            {"status": "FAILED", "error": "DeploymentFailed", "cause": FAILED_CAUSE},
            [succeeded(API, Outcome.DEPLOYED, "1/1 tasks healthy")],
            Outcome.FAILED,
            f"DeploymentFailed: {FAILED_CAUSE}",
            [API],
        ),
        (
            {"status": "SUCCEEDED", "output": DEPLOY_OUTPUT},
            [child(API, "RUNNING")],
            Outcome.DEPLOYED,
            "deploy aiuteur-backend:v2 to 2 service(s)",
            [],
        ),
        (
            {
                "status": "SUCCEEDED",
                "output": json.dumps({"action": "ignore", "reason": "no target watches aiuteur-backend:rc1"}),
            },
            [],
            Outcome.IGNORED,
            "no target watches aiuteur-backend:rc1",
            [],
        ),
        (
            {"status": "FAILED", "error": "InvalidRequest", "cause": lambda_error("InvalidRequest", "unknown service")},
            [],
            Outcome.REJECTED,
            "InvalidRequest: unknown service",
            [],
        ),
        (
            {"status": "FAILED", "error": "States.Runtime", "cause": "An error occurred while executing the state"},
            [],
            Outcome.FAILED,
            "States.Runtime: An error occurred while executing the state",
            [],
        ),
        ({"status": "TIMED_OUT"}, [], Outcome.FAILED, "the execution timed out", []),
        (
            {"status": "ABORTED", "error": "Aborted", "cause": "by hand"},
            [],
            Outcome.FAILED,
            "the execution was aborted: Aborted: by hand",
            [],
        ),
    ],
    ids=[
        "worst-of-succeeded",
        "worst-of-failed",
        "a-child-ended-without-a-result",
        "failed-without-a-failing-result",
        "a-running-child-has-no-result",
        "ignored",
        "rejected",
        "failed",
        "timed-out",
        "aborted",
    ],
)
def test_a_described_execution_has_its_worst_targets_outcome_or_its_own(described, children, outcome, reason, services):
    # DescribeExecution answers with more than these fields; they are not needed
    response = {"executionArn": EXECUTION, "startDate": T0, **described}

    results = results_of_children(DescribedChild.model_validate(c) for c in children)
    summary = DescribedExecution.model_validate(response).summary(results)

    assert (summary.status, summary.outcome, summary.reason) == (described["status"], outcome, reason)
    assert [r.service for r in summary.results] == services
    assert all(isinstance(r, TargetResult) for r in summary.results)


def test_a_child_that_ended_without_a_result_is_unknown_and_critical_naming_its_target():
    (result,) = results_of_children([DescribedChild.model_validate(child(WORKER, "ABORTED", error="States.Runtime"))])

    assert (result.service, result.outcome, result.ok, result.severity) == (WORKER, Outcome.UNKNOWN, False, "critical")
    assert (result.execution, result.digest, result.finished_at) == (EXECUTION, IMAGE.digest, T0)
    assert "ended ABORTED" in result.reason and "States.Runtime" in result.reason


def test_a_running_execution_has_no_outcome_yet():
    summary = DescribedExecution(status="RUNNING").summary()

    assert summary.outcome is None and summary.results == []


def test_a_result_that_is_not_a_target_result_is_an_error_not_a_gap():
    broken = child(API, "FAILED", error="TargetFailed", cause=json.dumps({"service": API, "outcome": "exploded"}))

    with pytest.raises(ValidationError):
        results_of_children([DescribedChild.model_validate(broken)])


def test_a_watch_or_unlock_that_failed_after_the_verdict_is_in_the_alert():
    # Given a deployed target whose Watch and Unlock failed (the ASL's Catch records them, then Notify runs)
    def caught(message: str) -> dict[str, str]:
        return {"Error": "ClientError", "Cause": json.dumps({"errorType": "ClientError", "errorMessage": message})}

    recorded = IterationState.model_validate(
        {
            "item": ITEM.model_dump(mode="json"),
            "execution": EXECUTION,
            "watch_error": caught("AccessDenied dynamodb:UpdateItem (watch)"),
            "unlock_error": caught("AccessDenied dynamodb:UpdateItem (unlock)"),
        }
    )

    lines = alerts.aftermath(recorded)

    assert lines[0].startswith("The watch could not start") and lines[0].endswith(
        "ClientError: AccessDenied dynamodb:UpdateItem (watch)"
    )
    assert lines[1].startswith("The lock could not be released") and "(unlock)" in lines[1]
    assert alerts.aftermath(IterationState(item=ITEM, execution=EXECUTION)) == []
