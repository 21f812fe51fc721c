"""Alerts in chat: the custom notification Amazon Q Developer in chat applications renders in Slack or Teams."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import jsonschema
import pytest
from botocore.stub import Stubber

from pushdeploy import alerts
from pushdeploy.adapters import sns
from pushdeploy.models import Verdict
from pushdeploy.outcome import decide
from tests.conftest import REPO
from tests.unit.test_outcome import CRASH, EXECUTION, T0, rollout, state

SCHEMA = json.loads((REPO / "tests/fixtures/chat/custom-notification.schema.json").read_text())
TOPIC = "arn:aws:sns:us-east-1:123456789012:pushdeploy-AlertTopic"


def rolled_back():
    recorded = state(
        rollout=rollout("deploy", Verdict.FAILED, "Essential container in task exited (exit code 1)", CRASH),
        rollback=rollout("rollback", Verdict.HEALTHY, "1/1 tasks running"),
    )
    return decide(recorded, T0 + timedelta(seconds=190)), recorded


def rollback_failed():
    recorded = state(
        rollout=rollout("deploy", Verdict.FAILED, "target 10.0.0.5 is unhealthy"),
        rollback=rollout("rollback", Verdict.TIMED_OUT, "not healthy after 1800 s"),
    )
    return decide(recorded, T0 + timedelta(seconds=2000)), recorded


@pytest.mark.parametrize("case", [rolled_back, rollback_failed])
def test_the_chat_alert_is_a_valid_custom_notification_with_the_alerts_own_words(case):
    result, recorded = case()

    notification = alerts.chat(result, recorded)

    jsonschema.validate(notification, SCHEMA)
    assert notification["content"]["description"] == alerts.message(result, recorded)
    assert alerts.subject(result) in notification["content"]["title"]
    assert notification["metadata"]["threadId"] == result.service  # one thread per service
    assert EXECUTION in notification["metadata"]["relatedResources"]


def test_the_chat_alert_says_which_commands_to_run_next():
    result, recorded = rollback_failed()

    steps = alerts.chat(result, recorded)["content"]["nextSteps"]

    assert "`pushdeploy explain aiuteur-backend-v2-abc`" in steps[0]
    assert "`pushdeploy rollback --service svc --to N`" in steps[1]


def test_the_schema_refuses_what_the_service_would_not_render():
    result, recorded = rolled_back()
    notification = alerts.chat(result, recorded)

    for broken in (
        {**notification, "source": "pushdeploy"},
        {**notification, "content": {k: v for k, v in notification["content"].items() if k != "description"}},
        {**notification, "metadata": {**notification["metadata"], "thread": "x"}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SCHEMA)


def test_each_subscription_gets_its_own_format_text_by_mail_the_notification_by_https():
    result, recorded = rolled_back()
    chat = alerts.chat(result, recorded)
    client = boto3.client("sns", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    sent: dict = {}
    stub.add_response("publish", {"MessageId": "m-1"})
    client.meta.events.register("before-parameter-build.sns.Publish", lambda params, **_: sent.update(params))

    with stub:
        sns.publish(TOPIC, "subject", "the text", "{}", chat, sns=client)

    assert sent["MessageStructure"] == "json"
    per_protocol = json.loads(sent["Message"])
    assert per_protocol["default"] == per_protocol["email"] == "the text"
    assert json.loads(per_protocol["https"]) == chat
