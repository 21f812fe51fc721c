"""The dashboard and the rollback-failure alarm read the metrics the Notify step really emits."""

from __future__ import annotations

import json

from pushdeploy.metrics import COUNTS
from pushdeploy.outcome import Outcome


def test_the_rollback_failure_alarm_watches_the_emitted_aggregate_and_alerts(template):
    alarm = template.resolve(template.resources["RollbackFailedAlarm"]["Properties"])

    assert alarm["Namespace"] == "pushdeploy"
    assert alarm["MetricName"] == COUNTS[Outcome.ROLLBACK_FAILED]
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "pushdeploy"}]
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["AlarmActions"] == [template.ref("AlertTopic")]


def test_the_metrics_namespace_is_set_for_every_function(template):
    variables = template.data["Globals"]["Function"]["Environment"]["Variables"]

    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "pushdeploy"
    assert variables["POWERTOOLS_SERVICE_NAME"] == "pushdeploy"


def test_the_dashboard_is_valid_json_showing_every_outcome_count(template):
    body = json.loads(template.resolve(template.resources["Dashboard"]["Properties"]["DashboardBody"]))

    shown = {
        metric[1]
        for widget in body["widgets"]
        for metric in widget["properties"].get("metrics", [])
        if isinstance(metric[0], str) and metric[0] == "pushdeploy"
    }
    assert shown == set(COUNTS.values())
    searches = json.dumps(body)
    assert "SecondsToHealthy" in searches and "SecondsToDetect" in searches
