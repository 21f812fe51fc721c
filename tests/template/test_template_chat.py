"""Alerts in chat: Slack and Microsoft Teams channel configurations on the alert topic, off unless asked for."""

from __future__ import annotations

import pytest

SLACK = {"SlackWorkspaceId": "T0123ABCD", "SlackChannelId": "C0123456789"}
TEAMS = {
    "TeamsTenantId": "11111111-2222-3333-4444-555555555555",
    "TeamsTeamId": "66666666-7777-8888-9999-000000000000",
    "TeamsChannelId": "19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2",
}


def test_no_chat_configuration_exists_unless_its_ids_are_given(template):
    assert not any(template.exists(name) for name in ("ChatChannelRole", "SlackAlerts", "TeamsAlerts"))


@pytest.mark.parametrize(("parameters", "configuration"), [(SLACK, "SlackAlerts"), (TEAMS, "TeamsAlerts")])
def test_a_chat_channel_receives_the_alert_topic_and_can_run_nothing(template, parameters, configuration):
    stack = template.with_parameters(**parameters)

    assert stack.exists(configuration) and stack.exists("ChatChannelRole")
    props = stack.resolve(stack.resources[configuration]["Properties"])
    assert props["SnsTopicArns"] == [stack.ref("AlertTopic")]
    # Chat users can run no AWS command through it: the guardrail denies all, the role grants nothing.
    assert props["GuardrailPolicies"] == ["arn:aws:iam::aws:policy/AWSDenyAll"]
    role = stack.resources["ChatChannelRole"]["Properties"]
    assert "Policies" not in role and "ManagedPolicyArns" not in role
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "chatbot.amazonaws.com"}


def test_half_a_channel_creates_nothing(template):
    assert not template.with_parameters(SlackWorkspaceId="T0123ABCD").exists("SlackAlerts")
    assert not template.with_parameters(**{**TEAMS, "TeamsChannelId": ""}).exists("TeamsAlerts")
