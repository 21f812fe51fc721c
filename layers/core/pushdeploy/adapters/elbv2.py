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
