"""CloudWatch metrics (embedded metric format) of each target's outcome.

Per service (dimension `ecs_service`): one count per outcome (DeploymentSucceeded,
DeploymentRolledBack, RollbackFailed, DeploymentFailed, DeploymentSuperseded, RollbackByRequest), and
SecondsToHealthy or SecondsToDetect (rollout start to verdict). The outcome counts are also emitted
with only the `service` dimension (pushdeploy), which the template's rollback-failure alarm watches.
"""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from pushdeploy.outcome import Outcome, TargetResult

COUNTS = {
    Outcome.DEPLOYED: "DeploymentSucceeded",
    Outcome.ROLLED_BACK: "DeploymentRolledBack",
    Outcome.ROLLBACK_FAILED: "RollbackFailed",
    Outcome.FAILED: "DeploymentFailed",
    Outcome.SUPERSEDED: "DeploymentSuperseded",
    Outcome.REVERTED: "RollbackByRequest",
}


def record(metrics: Metrics, result: TargetResult) -> None:
    name = COUNTS[result.outcome]
    metrics.add_dimension(name="ecs_service", value=result.service)
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    if result.started_at and result.verdict_at:
        seconds = (result.verdict_at - result.started_at).total_seconds()
        timing = "SecondsToHealthy" if result.outcome == Outcome.DEPLOYED else "SecondsToDetect"
        metrics.add_metric(name=timing, unit=MetricUnit.Seconds, value=seconds)
    with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace=metrics.namespace):
        pass  # flushed on exit, with the default `service` dimension only
