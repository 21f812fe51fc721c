"""Alerts people can act on, and the metrics each outcome emits, on the local cloud."""

from __future__ import annotations

import re

import pytest

from pushdeploy_local.cloud import LocalCloud
from pushdeploy_local.runner import play
from pushdeploy_local.scenario import parse_scenario
from tests.scenarios.conftest import run

EXECUTION_LINK = "console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/arn:aws:states:"
LOG_GROUP_LINK = (
    "console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/$252Fecs$252Faiuteur-backend"
)
TASK_LOG_LINK = re.compile(
    r"log-group/\$252Fecs\$252Faiuteur-backend/log-events/ecs\$252Faiuteur-backend\$252F[0-9a-f-]{36}"
)


@pytest.mark.parametrize(
    ("behavior", "fields", "cause", "task_logs"),
    [
        ({"kind": "crash", "exit_code": 3}, {}, r"Essential container in task exited \(exit code 3\)", True),
        ({"kind": "unhealthy"}, {}, r"Target\.ResponseCodeMismatch|Task failed ELB health checks", True),
        ({"kind": "pull_error"}, {}, r"CannotPullContainerError", True),
        ({"kind": "healthy", "start_seconds": 5000}, {"deployer": {"deadline_seconds": 240}}, r"deadline 240 s", False),
    ],
    ids=["crash", "alb-unhealthy", "pull-error", "timeout"],
)
def test_a_rolled_back_deployment_alert_says_what_happened_what_runs_now_and_where_to_look(
    behavior, fields, cause, task_logs
):
    report = run("alert", [{"at_seconds": 0, "tag": "v2", "behavior": behavior}], **fields)

    (alert,) = report.alerts
    assert alert.subject == "[pushdeploy] WARNING: aiuteur-backend-service ROLLED BACK aiuteur-backend:v2"
    assert re.search(rf"What happened: .*({cause})", alert.message), alert.message
    assert f"What runs now: {report.final.task_definition}, image {report.final.image} (healthy)" in alert.message
    assert report.final.task_definition.endswith("aiuteur-backend:1")
    assert EXECUTION_LINK in alert.message
    assert LOG_GROUP_LINK in alert.message
    assert bool(TASK_LOG_LINK.search(alert.message)) is task_logs
    assert "Took: " in alert.message


def test_a_failed_rollback_is_critical_names_both_causes_and_says_what_to_do():
    # The previous image can no longer be pulled, so the rollback cannot become healthy.
    report = run(
        "rollback-fails",
        [{"at_seconds": 0, "tag": "v2", "behavior": {"kind": "crash"}}],
        initial={"behavior": {"kind": "pull_error"}},
    )

    (alert,) = report.alerts
    assert alert.subject.startswith("[pushdeploy] CRITICAL: aiuteur-backend-service ROLLBACK FAILED")
    assert "Essential container in task exited (exit code 1)" in alert.message
    assert "The rollback:" in alert.message and "CannotPullContainerError" in alert.message
    assert "ACTION NEEDED" in alert.message and "pushdeploy rollback --service" in alert.message
    assert EXECUTION_LINK in alert.message


def metric_documents(cloud: LocalCloud) -> list[dict]:
    return [
        {k: v for k, v in m.items() if k != "_aws"} | {"dimensions": m["_aws"]["CloudWatchMetrics"][0]["Dimensions"]}
        for m in cloud.metrics
    ]


@pytest.mark.parametrize(
    ("behavior", "count", "timing"),
    [
        ({"kind": "healthy"}, "DeploymentSucceeded", "SecondsToHealthy"),
        ({"kind": "crash"}, "DeploymentRolledBack", "SecondsToDetect"),
    ],
)
def test_each_outcome_emits_its_metrics_per_service_and_in_total(behavior, count, timing):
    scenario = parse_scenario({"pushes": [{"at_seconds": 0, "tag": "v2", "behavior": behavior}]})
    with LocalCloud(scenario) as cloud:
        report = play(cloud)
        documents = metric_documents(cloud)

    per_service = [d for d in documents if d["dimensions"] == [["ecs_service", "service"]]]
    total = [d for d in documents if d["dimensions"] == [["service"]]]
    (service,) = per_service
    assert service["ecs_service"] == "aiuteur-cluster/aiuteur-backend-service"
    assert service[count] == [1.0]
    assert service[timing] == [pytest.approx(report.pushes[0].verdict_at_seconds - report.pushes[0].started_at_seconds)]
    assert [d[count] for d in total] == [[1.0]]
