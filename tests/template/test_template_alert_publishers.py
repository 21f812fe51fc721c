"""Every alarm and rule that alerts may publish to the alert topic: its topic policy and its key policy,
evaluated with the local cloud's IAM evaluator as SNS and KMS evaluate them."""

from __future__ import annotations

import pytest

from pushdeploy_local.iam.policy import Decision, Principal, Request, decide
from pushdeploy_local.iam.stack import role_policies, sample_known
from pushdeploy_local.stack import source, transformed

SERVICE = {"AWS::CloudWatch::Alarm": "cloudwatch.amazonaws.com", "AWS::Events::Rule": "events.amazonaws.com"}


def publishers() -> list[tuple[str, str]]:
    """(logical id, resource type) of each alarm whose AlarmActions, and each rule whose Targets, name the topic."""
    found = []
    for name, resource in source()["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::CloudWatch::Alarm" and {"Ref": "AlertTopic"} in props.get("AlarmActions", []):
            found.append((name, resource["Type"]))
        if resource["Type"] == "AWS::Events::Rule" and any(
            t["Arn"] == {"Ref": "AlertTopic"} for t in props.get("Targets", [])
        ):
            found.append((name, resource["Type"]))
    return found


def test_the_publishers_are_found():
    # Guards the collector: an empty list would make the test below pass vacuously.
    assert sorted(publishers()) == [
        ("ExecutionFailedRule", "AWS::Events::Rule"),
        ("RollbackFailedAlarm", "AWS::CloudWatch::Alarm"),
        ("TriggerDeadLetterAlarm", "AWS::CloudWatch::Alarm"),
    ]


@pytest.mark.parametrize(("publisher", "kind"), publishers())
def test_every_alarm_and_rule_that_alerts_may_publish_and_use_the_topic_key(publisher, kind):
    # Given the deployed topic and key policies, and the publisher's ARN as CloudFormation gives it
    stack = role_policies()
    known = sample_known(transformed()[0])
    ((topic, key),) = stack.topic_keys.items()
    source_arn = known[publisher]["Arn"]
    service = Principal(service=SERVICE[kind])

    # When the service publishes for that alarm or rule (aws:SourceArn: the alarm or rule), then SNS admits
    # it (SNS developer guide, sns-access-policy-use-cases.html) ...
    publish = Request.of("sns:Publish", topic, **{"aws:SourceArn": source_arn})
    assert decide(publish, (), stack.topic_policies[topic], service) is Decision.ALLOWED
    # ... and KMS lets it encrypt for the topic (sns-key-management.html: GenerateDataKey and Decrypt)
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        request = Request.of(action, key, **{"aws:SourceArn": source_arn})
        assert decide(request, (), stack.key_policies[key], service, key_policy=True) is Decision.ALLOWED


def test_an_alarm_the_topic_policy_does_not_name_is_refused():
    # The control: the same evaluation refuses a publisher that is not listed.
    stack = role_policies()
    ((topic, _),) = stack.topic_keys.items()
    stranger = Request.of(
        "sns:Publish", topic, **{"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:other"}
    )
    assert (
        decide(stranger, (), stack.topic_policies[topic], Principal(service="cloudwatch.amazonaws.com"))
        is not Decision.ALLOWED
    )
