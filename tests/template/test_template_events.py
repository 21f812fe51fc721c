"""The EventBridge rules of template.yaml, matched with moto's implementation of EventBridge patterns
against the sample events of tests/fixtures/events."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from moto.events.models import EventPattern

DEPLOYS = ["ecr-push-tagged", "ecr-push-semver", "ecr-push-multiarch-index"]
IGNORED = [
    "ecr-push-untagged",
    "ecr-push-failed",
    "ecr-delete",
    "ecr-push-other-repo",
    "ecr-push-multiarch-amd64",
]


def pattern_of(template, rule: str) -> EventPattern:
    resolved = template.resolve(template.resources[rule]["Properties"]["EventPattern"])
    return EventPattern.load(json.dumps(resolved))


@pytest.mark.parametrize("name", DEPLOYS)
def test_ecr_rule_matches_a_tagged_successful_push_to_a_watched_repository(template, event, name):
    assert pattern_of(template, "EcrPushRule").matches_event(event(name))


@pytest.mark.parametrize("name", IGNORED)
def test_ecr_rule_ignores_what_must_not_deploy(template, event, name):
    assert not pattern_of(template, "EcrPushRule").matches_event(event(name))


def test_ecr_rule_follows_the_watched_repositories(template, event):
    other = event("ecr-push-other-repo")
    watching = template.with_parameters(WatchedRepositories="aiuteur-backend,aiuteur-frontend")
    assert pattern_of(watching, "EcrPushRule").matches_event(other)


def test_ecr_rule_pattern_is_inline_and_complete(template):
    pattern = template.resources["EcrPushRule"]["Properties"]["EventPattern"]
    assert pattern == {
        "source": ["aws.ecr"],
        "detail-type": ["ECR Image Action"],
        "detail": {
            "action-type": ["PUSH"],
            "result": ["SUCCESS"],
            "repository-name": {"Ref": "WatchedRepositories"},
            "image-tag": [{"exists": True}],
        },
    }


def test_ecr_rule_invokes_the_trigger_function(template):
    (target,) = template.resources["EcrPushRule"]["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["TriggerFunction", "Arn"]}
    permission = template.resources["EcrPushRuleInvokesTrigger"]["Properties"]
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["Action"] == "lambda:InvokeFunction"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["EcrPushRule", "Arn"]}
    assert permission["FunctionName"] == {"Fn::GetAtt": ["TriggerFunction", "Arn"]}


def execution_event(state_machine_arn: str, status: str) -> dict[str, Any]:
    """A Step Functions Execution Status Change event (shape: Step Functions developer guide, EventBridge)."""
    name = "aiuteur-backend-7f5b2640fe6f"
    execution_arn = state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
    return {
        "version": "0",
        "id": "315c1398-40ff-a850-213b-158f73e60175",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": "123456789012",
        "time": "2026-11-20T09:24:07Z",
        "region": "us-east-1",
        "resources": [execution_arn],
        "detail": {
            "executionArn": execution_arn,
            "stateMachineArn": state_machine_arn,
            "name": name,
            "status": status,
            "startDate": 1795000000000,
            "stopDate": 1795000600000,
            "input": "{}",
            "output": None,
        },
    }


@pytest.mark.parametrize("status", ["FAILED", "TIMED_OUT", "ABORTED"])
def test_execution_failed_rule_alerts_on_a_failed_execution_of_this_state_machine(template, status):
    state_machine = template.ref("DeployStateMachine")
    assert pattern_of(template, "ExecutionFailedRule").matches_event(execution_event(state_machine, status))


@pytest.mark.parametrize("status", ["SUCCEEDED", "RUNNING"])
def test_execution_failed_rule_ignores_other_statuses(template, status):
    state_machine = template.ref("DeployStateMachine")
    assert not pattern_of(template, "ExecutionFailedRule").matches_event(execution_event(state_machine, status))


def test_execution_failed_rule_ignores_other_state_machines(template):
    other = "arn:aws:states:us-east-1:123456789012:stateMachine:someone-else"
    assert not pattern_of(template, "ExecutionFailedRule").matches_event(execution_event(other, "FAILED"))


def render_input_transformer(transformer: dict[str, Any], event: dict[str, Any]) -> Any:
    """EventBridge's input transformer for simple paths ($.a.b): each <name> of the template becomes
    the value at its path; a template that is a quoted string yields that string."""

    def at(path: str) -> Any:
        value: Any = event
        for part in path.removeprefix("$.").split("."):
            value = value[part]
        return value

    values = {name: at(path) for name, path in transformer["InputPathsMap"].items()}
    rendered = re.sub(r"<([A-Za-z0-9_.-]+)>", lambda m: str(values[m.group(1)]), transformer["InputTemplate"])
    return json.loads(rendered)


def test_execution_failed_alert_is_readable(template):
    (target,) = template.resources["ExecutionFailedRule"]["Properties"]["Targets"]
    assert target["Arn"] == {"Ref": "AlertTopic"}
    transformer = template.resolve(target["InputTransformer"])
    event = execution_event(template.ref("DeployStateMachine"), "TIMED_OUT")

    message = render_input_transformer(transformer, event)

    assert isinstance(message, str)
    assert "aiuteur-backend-7f5b2640fe6f" in message
    assert "TIMED_OUT" in message
    link = (
        "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/"
        + event["detail"]["executionArn"]
    )
    assert link in message
