"""The local cloud's IAM evaluator against AWS's documented examples (each test cites its page of the IAM
User Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/<page>, or of the KMS developer guide)."""

from __future__ import annotations

from typing import Any

import pytest

from pushdeploy_local.iam.policy import Decision, Policy, Principal, Request, arn_matches, decide, matches

ROLE = Principal(
    arn="arn:aws:sts::123456789012:assumed-role/NotifyFunctionRole/NotifyFunction",
    role_arn="arn:aws:iam::123456789012:role/NotifyFunctionRole",
    account="123456789012",
)


def policy(*statements: dict[str, Any]) -> Policy:
    return Policy.parse({"Version": "2012-10-17", "Statement": list(statements)})


def allow(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Allow", **fields}


def test_an_explicit_deny_overrides_any_allow():
    # reference_policies_evaluation-logic.html: "An explicit deny in any policy overrides any allows."
    identity = [
        policy(allow(Action="s3:*", Resource="*")),
        policy({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}),
    ]
    assert decide(Request.of("s3:GetObject", "arn:aws:s3:::b/k"), identity) is Decision.ALLOWED
    assert decide(Request.of("s3:DeleteBucket", "arn:aws:s3:::b"), identity) is Decision.EXPLICIT_DENY


def test_without_an_allow_the_request_is_implicitly_denied():
    # reference_policies_evaluation-logic.html: "By default, all requests are implicitly denied".
    assert decide(Request.of("sns:Publish", "arn:aws:sns:us-east-1:123456789012:t"), []) is Decision.NO_IDENTITY_ALLOW


def test_action_matching_is_case_insensitive_with_wildcards():
    # reference_policies_elements_action.html: values are case-insensitive; "iam:*AccessKey*" matches
    # the access key actions; "?" stands for one character.
    assert matches("IAM:listaccesskeys", "iam:ListAccessKeys", ignore_case=True)
    assert matches("iam:*AccessKey*", "iam:CreateAccessKey", ignore_case=True)
    assert not matches("iam:*AccessKey*", "iam:CreateUser", ignore_case=True)
    assert matches("ecs:Describe?asks", "ecs:DescribeTasks", ignore_case=True)


def test_resource_wildcards_span_path_segments_and_match_case_sensitively():
    # reference_policies_elements_resource.html: "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*" matches
    # ".../1/test/object.jpg" and ".../1/2/test/3/object.jpg".
    pattern = "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"
    assert matches(pattern, "arn:aws:s3:::amzn-s3-demo-bucket/1/test/object.jpg")
    assert matches(pattern, "arn:aws:s3:::amzn-s3-demo-bucket/1/2/test/3/object.jpg")
    assert not matches(pattern, "arn:aws:s3:::amzn-s3-demo-bucket/1/TEST/object.jpg")


def test_a_resource_star_is_the_only_match_for_an_action_without_a_resource_type():
    # reference_policies_elements_resource.html: an action that supports no resource type takes "*".
    scoped = [policy(allow(Action="ecs:DescribeTaskDefinition", Resource="arn:aws:ecs:*:*:task-definition/*"))]
    anywhere = [policy(allow(Action="ecs:DescribeTaskDefinition", Resource="*"))]
    request = Request.of("ecs:DescribeTaskDefinition", "*")
    assert decide(request, scoped) is Decision.NO_IDENTITY_ALLOW
    assert decide(request, anywhere) is Decision.ALLOWED


def test_not_action_allows_everything_else():
    # reference_policies_elements_notaction.html: Allow with NotAction "iam:*" on "*" allows every
    # action but IAM's, which stay implicitly denied.
    identity = [policy(allow(NotAction="iam:*", Resource="*"))]
    assert decide(Request.of("s3:ListAllMyBuckets", "*"), identity) is Decision.ALLOWED
    assert decide(Request.of("iam:CreateUser", "*"), identity) is Decision.NO_IDENTITY_ALLOW


def test_not_resource_allows_everything_but_the_named_resource():
    # reference_policies_elements_notresource.html: Allow s3:* with NotResource the payroll objects.
    identity = [
        policy(allow(Action="s3:*", NotResource=["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"]))
    ]
    assert decide(Request.of("s3:GetObject", "arn:aws:s3:::HRBucket/Holidays"), identity) is Decision.ALLOWED
    assert decide(Request.of("s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/x"), identity) is Decision.NO_IDENTITY_ALLOW


def test_condition_values_or_keys_and_operators_and():
    # reference_policies_condition-logic-multiple-context-keys-or-values.html: several values of one key
    # are ORed; several keys, and several operators, are ANDed.
    identity = [
        policy(
            allow(
                Action="ecs:UpdateService",
                Resource="*",
                Condition={
                    "StringEquals": {"ecs:cluster": ["a", "b"]},
                    "StringLike": {"ecs:task-definition": "*:web:*"},
                },
            )
        )
    ]
    ok = Request.of("ecs:UpdateService", "s", **{"ecs:cluster": "b", "ecs:task-definition": "arn:x:web:3"})
    wrong_cluster = Request.of("ecs:UpdateService", "s", **{"ecs:cluster": "c", "ecs:task-definition": "arn:x:web:3"})
    wrong_family = Request.of("ecs:UpdateService", "s", **{"ecs:cluster": "a", "ecs:task-definition": "arn:x:db:3"})
    assert decide(ok, identity) is Decision.ALLOWED
    assert decide(wrong_cluster, identity) is Decision.NO_IDENTITY_ALLOW
    assert decide(wrong_family, identity) is Decision.NO_IDENTITY_ALLOW


def test_a_missing_key_fails_a_positive_operator_and_passes_a_negated_one_and_if_exists():
    # reference_policies_elements_condition_operators.html: a key absent from the request context does
    # not match (StringEquals false), a negated operator is then true, and "...IfExists" is true.
    def allowed(operator: str) -> bool:
        identity = [
            policy(allow(Action="ec2:RunInstances", Resource="*", Condition={operator: {"ec2:InstanceType": "t2.*"}}))
        ]
        return decide(Request.of("ec2:RunInstances", "*"), identity).allowed

    assert not allowed("StringLike")
    assert allowed("StringNotLike")
    assert allowed("StringLikeIfExists")
    assert not allowed("StringEquals")


def test_condition_key_names_are_case_insensitive():
    # reference_policies_elements_condition.html: "Condition key names are not case-sensitive".
    identity = [
        policy(
            allow(
                Action="iam:PassRole",
                Resource="*",
                Condition={"StringEquals": {"IAM:PassedToService": "ecs-tasks.amazonaws.com"}},
            )
        )
    ]
    request = Request.of("iam:PassRole", "arn:aws:iam::1:role/r", **{"iam:PassedToService": "ecs-tasks.amazonaws.com"})
    assert decide(request, identity) is Decision.ALLOWED


def test_pass_role_only_to_the_named_service():
    # reference_policies_iam-condition-keys.html#ck_PassedToService: iam:PassRole with
    # iam:PassedToService limits the role to the service it is passed to.
    identity = [
        policy(
            allow(
                Action="iam:PassRole",
                Resource="arn:aws:iam::123456789012:role/task",
                Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            )
        )
    ]
    to_ecs = Request.of(
        "iam:PassRole", "arn:aws:iam::123456789012:role/task", **{"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    )
    to_ec2 = Request.of(
        "iam:PassRole", "arn:aws:iam::123456789012:role/task", **{"iam:PassedToService": "ec2.amazonaws.com"}
    )
    assert decide(to_ecs, identity) is Decision.ALLOWED
    assert decide(to_ec2, identity) is Decision.NO_IDENTITY_ALLOW


def test_arn_operators_match_each_arn_part_on_its_own():
    # reference_policies_elements_condition_operators.html#Conditions_ARN: ArnEquals and ArnLike check
    # each of the six colon-delimited parts separately, each with wildcards.
    assert arn_matches("arn:aws:sns:*:123456789012:*", "arn:aws:sns:us-east-1:123456789012:alerts")
    assert arn_matches(
        "arn:aws:ecs:us-east-1:1:cluster/aiuteur-cluster", "arn:aws:ecs:us-east-1:1:cluster/aiuteur-cluster"
    )
    assert not arn_matches("arn:aws:sns:*", "arn:aws:sns:us-east-1:123456789012:alerts")  # fewer parts
    assert not arn_matches("arn:aws:sns:*:123456789012:*", "arn:aws:sns:us-east-1:210987654321:alerts")


def test_a_resource_policy_allows_a_service_principal_with_its_source_arn():
    # reference_policies_condition-keys.html#condition-keys-sourcearn: a service acting for a resource
    # is admitted only for that resource (the confused-deputy guard).
    topic = policy(
        allow(
            Principal={"Service": "cloudwatch.amazonaws.com"},
            Action="sns:Publish",
            Resource="arn:aws:sns:us-east-1:1:alerts",
            Condition={"ArnEquals": {"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:1:alarm:mine"}},
        )
    )
    cloudwatch = Principal(service="cloudwatch.amazonaws.com")
    mine = Request.of(
        "sns:Publish",
        "arn:aws:sns:us-east-1:1:alerts",
        **{"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:1:alarm:mine"},
    )
    other = Request.of(
        "sns:Publish", "arn:aws:sns:us-east-1:1:alerts", **{"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:1:alarm:x"}
    )
    assert decide(mine, (), topic, cloudwatch) is Decision.ALLOWED
    assert decide(other, (), topic, cloudwatch) is Decision.NO_IDENTITY_ALLOW
    events = Principal(service="events.amazonaws.com")
    assert decide(mine, (), topic, events) is Decision.NO_IDENTITY_ALLOW


def test_a_resource_policy_naming_the_account_delegates_to_iam():
    # reference_policies_evaluation-logic-cross-account.html and access_policies-cross-account-resource-access:
    # a resource policy whose principal is the account root lets the account's IAM policies decide.
    topic = policy(allow(Principal={"AWS": "arn:aws:iam::123456789012:root"}, Action="sns:Publish", Resource="*"))
    request = Request.of("sns:Publish", "arn:aws:sns:us-east-1:123456789012:t")
    assert decide(request, (), topic, ROLE) is Decision.NO_IDENTITY_ALLOW
    assert decide(request, [policy(allow(Action="sns:Publish", Resource="*"))], topic, ROLE) is Decision.ALLOWED


def test_a_kms_key_needs_its_key_policy_as_well_as_iam():
    # kms key-policy-default.html#key-policy-default-allow-root-enable-iam: the key policy statement for the
    # account root enables IAM policies; without a key policy that allows, no IAM policy can.
    key = "arn:aws:kms:us-east-1:123456789012:key/k"
    identity = [policy(allow(Action=["kms:GenerateDataKey", "kms:Decrypt"], Resource=key))]
    root = policy(allow(Principal={"AWS": "arn:aws:iam::123456789012:root"}, Action="kms:*", Resource="*"))
    services_only = policy(
        allow(Principal={"Service": "events.amazonaws.com"}, Action="kms:GenerateDataKey", Resource="*")
    )
    request = Request.of("kms:GenerateDataKey", key)
    assert decide(request, identity, root, ROLE, key_policy=True) is Decision.ALLOWED
    assert decide(request, [], root, ROLE, key_policy=True) is Decision.NO_IDENTITY_ALLOW
    assert decide(request, identity, services_only, ROLE, key_policy=True) is Decision.NO_RESOURCE_ALLOW


def test_an_operator_it_does_not_evaluate_is_refused_not_guessed():
    identity = [
        policy(
            allow(
                Action="s3:GetObject",
                Resource="*",
                Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
            )
        )
    ]
    with pytest.raises(NotImplementedError, match="DateGreaterThan"):
        decide(Request.of("s3:GetObject", "arn:aws:s3:::b/k"), identity)
