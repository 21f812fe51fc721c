"""Elastic Load Balancing v2: the target health of a deployment's tasks, and the load balancer of a target group."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pushdeploy.adapters.aws import client, translate_throttling
from pushdeploy.models import TargetEvidence

if TYPE_CHECKING:
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client


@translate_throttling
def target_health(
    target_group: str, ips: list[str], port: int | None, *, elbv2: ElasticLoadBalancingv2Client | None = None
) -> list[TargetEvidence]:
    """Health of the given task IPs in one target group (ip target type, as Fargate requires)."""
    if not ips:
        return []
    elbv2 = elbv2 or client("elbv2")
    targets = [{"Id": ip, "Port": port} if port else {"Id": ip} for ip in ips]
    answer = elbv2.describe_target_health(TargetGroupArn=target_group, Targets=targets)  # type: ignore[arg-type]
    return [
        TargetEvidence(
            target_group=target_group,
            target_id=d["Target"]["Id"],
            port=d["Target"].get("Port"),
            state=d["TargetHealth"]["State"],
            reason=d["TargetHealth"].get("Reason"),
            description=d["TargetHealth"].get("Description"),
        )
        for d in answer.get("TargetHealthDescriptions", [])
    ]


@translate_throttling
def load_balancer_of(target_group: str, *, elbv2: ElasticLoadBalancingv2Client | None = None) -> str | None:
    """The ARN of the load balancer that routes to `target_group` (the first, if several do), else None."""
    elbv2 = elbv2 or client("elbv2")
    groups = elbv2.describe_target_groups(TargetGroupArns=[target_group])["TargetGroups"]
    balancers = groups[0].get("LoadBalancerArns", []) if groups else []
    return balancers[0] if balancers else None


def forward_weights(rule_arn: str, *, elbv2: ElasticLoadBalancingv2Client | None = None) -> dict[str, int]:
    """Each target group's weight in a listener rule's forward action: how ECS splits a blue/green, linear
    or canary deployment's traffic (it moves the weights itself).
    https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeRules.html
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html"""
    elbv2 = elbv2 or client("elbv2")
    rules = elbv2.describe_rules(RuleArns=[rule_arn]).get("Rules", [])
    weights: dict[str, int] = {}
    for action in (a for rule in rules for a in rule.get("Actions", []) if a.get("Type") == "forward"):
        groups = action.get("ForwardConfig", {}).get("TargetGroups", [])
        if groups:
            weights.update({g["TargetGroupArn"]: int(g.get("Weight", 1)) for g in groups})
        elif action.get("TargetGroupArn"):
            weights[action["TargetGroupArn"]] = 1
    return weights


def load_balancer_of_rule(rule_arn: str) -> str:
    """The load balancer's ARN from a listener rule's: `...:listener-rule/app/<name>/<id>/<listener>/<rule>`
    names it (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-update-rules.html)."""
    prefix, path = rule_arn.split(":listener-rule/", 1)
    kind, name, balancer_id = path.split("/")[:3]
    return f"{prefix}:loadbalancer/{kind}/{name}/{balancer_id}"
