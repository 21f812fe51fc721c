"""What the local cloud reads from template.yaml: the EventBridge rules, their targets and patterns."""

from __future__ import annotations

import json

import pytest

from pushdeploy_local.template import Rule, Template


@pytest.fixture(scope="module")
def template() -> Template:
    return Template()


def test_every_rule_is_listed_with_its_function_targets_only(template: Template) -> None:
    rules = {name: (rule.functions, rule.enabled) for name, rule in template.rules.items()}
    assert rules["EcrPushRule"] == (("TriggerFunction",), True)
    assert rules["TaskStoppedRule"] == (("WakeFunction",), True)
    assert rules["ExecutionFailedRule"] == ((), True)  # its target is the SNS topic, not a function
    assert template.ecr_rule.logical_id == "EcrPushRule" and template.ecr_rule_target() == "TriggerFunction"


def test_the_ecr_rule_keeps_its_repository_binding(template: Template) -> None:
    pattern = json.loads(template.ecr_rule_pattern(["aiuteur-backend", "aiuteur-jobs"]))
    assert pattern["detail"]["repository-name"] == ["aiuteur-backend", "aiuteur-jobs"]
    assert pattern["detail"]["image-tag"] == [{"exists": True}]


def test_a_pattern_binds_its_refs_and_a_list_ref_spreads_into_its_list(template: Template) -> None:
    failed = json.loads(template.rules["ExecutionFailedRule"].bound_pattern({"DeployStateMachine": "arn:sm"}))
    assert failed["detail"]["stateMachineArn"] == ["arn:sm"]
    rule = Rule("R", {"detail": {"name": [{"Ref": "Names"}, "c"], "one": {"Ref": "Names"}}}, ("F",))
    assert json.loads(rule.bound_pattern({"Names": ["a", "b"]})) == {
        "detail": {"name": ["a", "b", "c"], "one": ["a", "b"]}
    }


def test_a_ref_the_local_cloud_cannot_bind_fails_naming_the_rule(template: Template) -> None:
    with pytest.raises(ValueError, match=r"rule ExecutionFailedRule: .* !Ref DeployStateMachine"):
        template.rules["ExecutionFailedRule"].bound_pattern({})
    with pytest.raises(ValueError, match=r"rule R: .*Fn::Split"):
        Rule("R", {"source": {"Fn::Split": [",", "a,b"]}}, ()).bound_pattern({})


def test_a_disabled_rule_is_read_as_disabled(template: Template) -> None:
    copy = Template()
    copy.resources["TaskStoppedRule"]["Properties"]["State"] = "DISABLED"
    assert copy.rules["TaskStoppedRule"].enabled is False
    assert template.rules["TaskStoppedRule"].enabled is True


def test_a_change_to_one_template_does_not_reach_the_next_one_read() -> None:
    changed = Template()
    del changed.resources["TaskStoppedRule"]
    changed.resources["EcrPushRule"]["Properties"]["EventPattern"]["source"].append("aws.s3")

    fresh = Template()
    assert "TaskStoppedRule" in fresh.rules
    assert fresh.ecr_rule.pattern["source"] == ["aws.ecr"]
