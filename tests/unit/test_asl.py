"""The state machine's contract with the code: error names, and one form for every Lambda task."""

from __future__ import annotations

import json

import pytest

import pushdeploy.errors as errors
from pushdeploy.models import LOCK_WAIT_MAX_SECONDS, HealthPolicy
from pushdeploy.outcome import DEPLOYMENT_FAILED, TARGET_FAILED
from pushdeploy.steps import plan
from tests.conftest import ASL


def _states(definition):
    for name, state in definition["States"].items():
        yield name, state
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from _states(processor)


def test_every_error_name_in_the_asl_is_an_exception_class():
    definition = json.loads(ASL.read_text())
    names = {
        name
        for _, state in _states(definition)
        for rule in state.get("Retry", []) + state.get("Catch", [])
        for name in rule["ErrorEquals"]
        if not name.startswith(("States.", "Lambda."))
    }

    assert names, "the ASL names pushdeploy's errors"
    for name in names:
        assert issubclass(getattr(errors, name, type), errors.PushdeployError), name


def test_every_task_invokes_a_substituted_function_with_retries():
    definition = json.loads(ASL.read_text())
    every_task = [(name, state) for name, state in _states(definition) if state["Type"] == "Task"]
    # Summarize is no Lambda: it asks Step Functions for the Deploy Map Run's counts (an SDK integration).
    tasks = [(name, state) for name, state in every_task if name != "Summarize"]

    assert len(tasks) >= 9 and len(every_task) == len(tasks) + 1
    for name, state in tasks:
        # A function's ARN, or (the rollout's wait and the Watch) Lambda's waitForTaskToken integration naming one.
        integration = state["Resource"].startswith("arn:${Partition}:states:::")
        function = state["Parameters"]["FunctionName"] if integration else state["Resource"]
        assert function.startswith("${") and function.endswith("FunctionArn}"), name
        assert any("Throttled" in rule["ErrorEquals"] for rule in state["Retry"]), name
    callbacks = [name for name, state in tasks if state["Resource"].startswith("arn:")]
    assert callbacks == ["Approval", "AwaitRollout", "Watch"]
    # The partition is the stack's (aws, aws-cn, aws-us-gov): no ARN in the ASL names one itself.
    for callback in callbacks:
        assert tasks[[n for n, _ in tasks].index(callback)][1]["Resource"] == (
            "arn:${Partition}:states:::lambda:invoke.waitForTaskToken"
        )
    assert "arn:aws:" not in ASL.read_text()


def test_the_rollout_waits_on_its_events_with_the_fallback_probe_as_timeout():
    states = dict(_states(json.loads(ASL.read_text())))
    wait = states["AwaitRollout"]

    # One place records the token (the Watch function), for the rollout's wait as for the watch.
    assert wait["Parameters"] == states["Watch"]["Parameters"]
    assert wait["TimeoutSecondsPath"] == "$.rollout.wait_seconds"
    # Woken or timed out (the fallback probe): the Check judges; what woke it goes to the Check.
    assert wait["Next"] == "CheckRollout" and wait["ResultPath"] == "$.rollout.wake"
    assert wait["Catch"][0] == {"ErrorEquals": ["States.Timeout"], "ResultPath": None, "Next": "CheckRollout"}
    # A wait that could not be recorded waits as long without a token: never a probe right after a probe.
    assert wait["Catch"][1] == {"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "WaitForRollout"}
    assert states["WaitForRollout"] | {"Comment": ""} == {
        "Type": "Wait",
        "Comment": "",
        "SecondsPath": "$.rollout.wait_seconds",
        "Next": "CheckRollout",
    }
    # A rolling rollout goes from Update to its wait (a native one follows ECS's deployment instead).
    assert states["Update"]["Next"] == "Strategy" and states["Strategy"]["Default"] == "AwaitRollout"
    assert states["JudgeRollout"]["Choices"][0] == {
        "Variable": "$.rollout.verdict",
        "StringEquals": "IN_PROGRESS",
        "Next": "AwaitRollout",
    }
    assert [name for name, state in states.items() if state.get("Next") == "WaitForRollout"] == []


def test_an_approval_waits_between_register_and_update_and_ends_at_unlock_unless_approved():
    states = dict(_states(json.loads(ASL.read_text())))

    assert states["Register"]["Next"] == "NeedsApproval"
    (asks,) = states["NeedsApproval"]["Choices"]
    assert asks == {"Variable": "$.item.target.policy.approval", "BooleanEquals": True, "Next": "Approval"}
    assert states["NeedsApproval"]["Default"] == states["Approval"]["Next"] == "Update"
    approval = states["Approval"]
    assert approval["TimeoutSecondsPath"] == "$.item.target.policy.approval_timeout_seconds"
    # The waiting execution is the target's own (a child of the Distributed Map): what `approve` names.
    assert approval["Parameters"]["Payload"]["waiting.$"] == "$$.Execution.Id"
    # An abort, a timeout or a failure of the step itself: nothing was updated, so no rollback.
    assert approval["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.approval_error", "Next": "Unlock"}]
    assert HealthPolicy().approval is False
    assert HealthPolicy().approval_timeout_seconds == 3600


def test_every_step_after_update_reaches_rollback_or_unlock_on_failure():
    states = dict(_states(json.loads(ASL.read_text())))

    assert states["Update"]["Catch"][0]["Next"] == "Rollback"
    assert states["CheckRollout"]["Catch"][0]["Next"] == "Rollback"
    assert states["Rollback"]["Catch"][0]["Next"] == "Unlock"
    assert states["CheckRollback"]["Catch"][0]["Next"] == "Unlock"


def test_the_map_runs_as_many_targets_at_once_as_plan_staggers_them_for():
    states = dict(_states(json.loads(ASL.read_text())))
    deploy = json.loads(ASL.read_text())["States"]["Deploy"]

    assert deploy["MaxConcurrency"] == plan.MAP_CONCURRENCY == 1000  # Lambda's default concurrency per Region
    # Each target in a child execution of its own: a watched target holds no other's place.
    assert deploy["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    (stagger,) = [c for c in states["Kind"]["Choices"] if c.get("Next") == "Stagger"]
    assert stagger == {"Variable": "$.item.start_delay_seconds", "NumericGreaterThan": 0, "Next": "Stagger"}
    assert states["Stagger"] == states["Stagger"] | {"Type": "Wait", "SecondsPath": "$.item.start_delay_seconds"}
    assert states["Stagger"]["Next"] == "Register"


@pytest.mark.parametrize("targets", [1, 10, 11, 25, 40, 50, 500, 1000, 1500])
def test_a_push_never_drains_the_register_task_definition_bucket(targets):
    # aws-facts.md: RegisterTaskDefinition, burst 20, then 1 per second. The Map's first round starts
    # together; each target calls Register once, after its start delay.
    delays = [plan.start_delay(index) for index in range(min(targets, plan.MAP_CONCURRENCY))]
    for second in range(max(delays) + 1):
        registered = sum(delay <= second for delay in delays)
        assert registered <= 20 + second - plan.REGISTER_AT_ONCE, (second, registered)
    assert delays[: plan.REGISTER_AT_ONCE] == [0] * min(targets, plan.REGISTER_AT_ONCE)
    assert max(delays) == max(0, min(targets, plan.MAP_CONCURRENCY) - plan.REGISTER_AT_ONCE)


def test_the_lock_wait_ends_at_the_lock_steps_deadline_not_after_randomly_spaced_retries():
    # Jittered retries of 30 s average 15 s, so 300 of them promised 2.5 h and waited about 75 min.
    states = dict(_states(json.loads(ASL.read_text())))
    (busy,) = [retry for retry in states["Lock"]["Retry"] if retry["ErrorEquals"] == ["LockBusy"]]

    assert "JitterStrategy" not in busy and busy["BackoffRate"] == 1.0
    assert busy["IntervalSeconds"] * busy["MaxAttempts"] > LOCK_WAIT_MAX_SECONDS
    assert HealthPolicy(lock_wait_seconds=LOCK_WAIT_MAX_SECONDS) and HealthPolicy().lock_wait_seconds == 9000
    with pytest.raises(ValueError, match="lock_wait_seconds"):
        HealthPolicy(lock_wait_seconds=LOCK_WAIT_MAX_SECONDS + 1)
    assert states["Lock"]["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Notify"}]


def test_every_task_of_a_target_catches_every_error_so_each_target_ends_with_a_result():
    # One target's failing step must not fail the Map: the other targets of the push go on.
    processor = json.loads(ASL.read_text())["States"]["Deploy"]["ItemProcessor"]["States"]
    uncaught = [
        name
        for name, state in processor.items()
        if state["Type"] == "Task" and not any("States.ALL" in c["ErrorEquals"] for c in state.get("Catch", []))
    ]
    assert uncaught == []
    assert processor["Notify"]["Catch"][0]["Next"] == "Unnotified"
    assert processor["Unnotified"]["Type"] == "Pass" and processor["Unnotified"]["Next"] == "TargetFailed"


def test_a_target_not_ok_fails_its_child_execution_with_its_result_as_the_cause():
    processor = json.loads(ASL.read_text())["States"]["Deploy"]["ItemProcessor"]["States"]

    assert processor["Notify"]["Next"] == "Ended"
    assert processor["Ended"]["Choices"] == [{"Variable": "$.ok", "BooleanEquals": False, "Next": "TargetFailed"}]
    assert processor["Ended"]["Default"] == "TargetDeployed" and processor["TargetDeployed"]["Type"] == "Succeed"
    assert processor["TargetFailed"] == processor["TargetFailed"] | {
        "Type": "Fail",
        "Error": TARGET_FAILED,
        "CausePath": "States.JsonToString($)",
    }


def test_the_push_is_decided_by_the_map_runs_counts_not_by_results_in_its_payload():
    states = json.loads(ASL.read_text())["States"]
    deploy, summarize = states["Deploy"], states["Summarize"]

    # The results go to S3; the Map's output (written over the items) is where they are.
    assert "ResultSelector" not in deploy and deploy["ResultPath"] == "$.items"
    assert deploy["ResultWriter"] == {
        "Resource": "arn:${Partition}:states:::s3:putObject",
        "Parameters": {"Bucket": "${ResultsBucket}", "Prefix": "deploy"},
    }
    # A failed target never stops the others: the Map Run itself never fails for one.
    assert deploy["ToleratedFailurePercentage"] == 100
    assert summarize["Resource"] == "arn:${Partition}:states:::aws-sdk:sfn:describeMapRun"
    assert summarize["Parameters"] == {"MapRunArn.$": "$.items.MapRunArn"}
    (failing,) = states["Outcome"]["Choices"]
    assert failing["Next"] == "DeploymentFailed"
    assert [c["Variable"] for c in failing["Or"]] == ["$.counts.failed", "$.counts.timed_out", "$.counts.aborted"]
    assert states["DeploymentFailed"]["Error"] == DEPLOYMENT_FAILED
