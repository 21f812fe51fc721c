"""A crash at every step boundary leaves the service on the old definition, or on a new one proven
healthy, or sends a critical alert that says what a person must do."""

from __future__ import annotations

import pytest

from pushdeploy.adapters import stepfunctions
from pushdeploy.outcome import DescribedChild, results_of_children
from pushdeploy_local.cloud import LocalCloud
from pushdeploy_local.runner import ecr_event
from pushdeploy_local.scenario import Crash, Healthy, Push, parse_scenario


def push(cloud: LocalCloud, tag: str, behavior=None) -> str:
    digest = cloud.push_image("aiuteur-backend", tag, behavior or Healthy())
    cloud.deliver(ecr_event(cloud, Push(tag=tag), digest, index=len(cloud.executions) + 1))
    return digest


def results(cloud: LocalCloud, execution: str) -> list[dict]:
    """Each target's result, as its child execution of the Deploy Map holds it (its output or its cause)."""
    children = stepfunctions.child_executions(execution, sfn=cloud.session.client("stepfunctions"))
    return [r.model_dump(mode="json") for r in results_of_children(DescribedChild.model_validate(c) for c in children)]


def service_revision(cloud: LocalCloud) -> str:
    service = cloud.session.client("ecs").describe_services(
        cluster="aiuteur-cluster", services=["aiuteur-backend-service"]
    )["services"][0]
    return service["taskDefinition"].rsplit(":", 1)[-1]


def lock_holder(cloud: LocalCloud) -> str | None:
    item = cloud.session.client("dynamodb").get_item(
        TableName=cloud.infra.lock_table, Key={"service": {"S": "aiuteur-cluster/aiuteur-backend-service"}}
    )
    return item.get("Item", {}).get("holder", {}).get("S")


@pytest.mark.parametrize(
    ("function", "after", "times", "outcome", "revision"),
    [
        ("RegisterFunction", True, 1, "failed", "1"),  # registered, then died: nothing deployed
        ("UpdateFunction", True, 1, "rolled_back", "1"),  # UpdateService done, then died: rolled back
        ("CheckFunction", False, 1, "deployed", "2"),  # one probe died: retried, the rollout goes on
        ("CheckFunction", False, 3, "rolled_back", "1"),  # probes keep dying: roll back to be safe
        ("RollbackFunction", True, 1, "rolled_back", "1"),  # the rollback's step died once: retried
        ("RollbackFunction", False, 3, "rollback_failed", "2"),  # the rollback cannot start: critical
    ],
)
def test_a_crash_at_a_step_boundary(function, after, times, outcome, revision):
    scenario = parse_scenario({"pushes": []})
    with LocalCloud(scenario) as cloud:
        cloud.crash(function, after_handler=after, times=times)
        behavior = Crash(kind="crash") if function == "RollbackFunction" else None

        push(cloud, "v2", behavior)
        cloud.run_until_done(3600)

        described = cloud.describe(cloud.executions[0])
        alerts = cloud.alerts()
        assert described["status"] == ("SUCCEEDED" if outcome == "deployed" else "FAILED")
        assert [r["outcome"] for r in results(cloud, cloud.executions[0])] == [outcome]
        assert service_revision(cloud) == revision
        assert lock_holder(cloud) is None
        if outcome == "deployed":
            assert alerts == []
        else:
            (alert,) = alerts
            assert ("CRITICAL" in alert["Subject"]) is (outcome == "rollback_failed")
            if outcome == "rollback_failed":
                assert "ACTION NEEDED" in alert["Message"]


def test_a_rollback_to_a_deregistered_task_definition_fails_at_once_with_a_critical_alert():
    with LocalCloud(parse_scenario({"pushes": []})) as cloud:
        cloud.session.client("ecs").deregister_task_definition(taskDefinition="aiuteur-backend:1")

        push(cloud, "v2", Crash(kind="crash"))
        cloud.run_until_done(3600)

        (alert,) = cloud.alerts()
        assert "CRITICAL" in alert["Subject"] and "ROLLBACK FAILED" in alert["Subject"]
        assert "aiuteur-backend:1 is INACTIVE" in alert["Message"]
        assert cloud.usage.invocations["RollbackFunction"] == 3  # tried, retried twice, then gave up


def test_a_rollback_whose_image_is_gone_ends_failed_with_a_critical_alert():
    # The previous image can no longer be pulled: the tasks of the rollback never start.
    scenario = parse_scenario({"initial": {"behavior": {"kind": "pull_error"}}, "pushes": []})
    with LocalCloud(scenario) as cloud:
        push(cloud, "v2", Crash(kind="crash"))
        cloud.run_until_done(3600)

        described = cloud.describe(cloud.executions[0])
        (alert,) = cloud.alerts()
        assert described["status"] == "FAILED"
        assert [r["outcome"] for r in results(cloud, cloud.executions[0])] == ["rollback_failed"]
        assert "ROLLBACK FAILED" in alert["Subject"]
        assert "CannotPullContainerError" in alert["Message"]
        assert lock_holder(cloud) is None and cloud.running_executions() == []


def test_a_lock_left_by_an_aborted_execution_is_recovered():
    with LocalCloud(parse_scenario({"pushes": []})) as cloud:
        push(cloud, "v2", Healthy(kind="healthy", start_seconds=600))
        cloud.run_until(60)
        stuck = cloud.executions[0]
        assert lock_holder(cloud) == stuck
        cloud.session.client("stepfunctions").stop_execution(executionArn=stuck, error="Aborted", cause="by hand")

        push(cloud, "v3")
        cloud.run_until_done(7200)

        assert cloud.describe(cloud.executions[1])["status"] == "SUCCEEDED"
        assert lock_holder(cloud) is None


def test_a_notify_step_that_keeps_failing_still_ends_its_target_with_a_result():
    scenario = parse_scenario({"pushes": [], "deployer": {"watch_seconds": 0}})
    with LocalCloud(scenario) as cloud:
        cloud.crash("NotifyFunction", after_handler=False, times=11)  # its first try and every retry

        push(cloud, "v2")
        cloud.run_until_done(3600)

        # The deploy itself went through; the target's result says its outcome is unknown, and the
        # execution fails (its status change is what alerts now).
        described = cloud.describe(cloud.executions[0])
        assert described["status"] == "FAILED" and described["error"] == "DeploymentFailed"
        (result,) = results(cloud, cloud.executions[0])
        assert result["outcome"] == "unknown" and result["severity"] == "critical" and not result["ok"]
        assert "the Notify step failed (InjectedCrash)" in result["reason"]
        assert result["service"] == "aiuteur-cluster/aiuteur-backend-service"
        assert service_revision(cloud) == "2" and lock_holder(cloud) is None
        assert cloud.alerts() == []


def test_an_alert_that_cannot_be_published_leaves_the_outcome_as_decided():
    with LocalCloud(parse_scenario({"pushes": []})) as cloud:
        # Given an alert topic that is gone (deleted, or its policy refuses the function)
        cloud.session.client("sns").delete_topic(TopicArn=cloud.infra.alert_topic)

        push(cloud, "v2", Crash(kind="crash"))
        cloud.run_until_done(3600)

        # the bad image is still rolled back, and the result says the alert was not sent, and why.
        (result,) = results(cloud, cloud.executions[0])
        assert result["outcome"] == "rolled_back" and result["alerted"] is False
        assert result["alert_error"].startswith("NotFound")
        assert service_revision(cloud) == "1"
