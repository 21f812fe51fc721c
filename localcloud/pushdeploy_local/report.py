"""The report of one scenario run (scenarios.md, "Report"), and the prices it is costed at."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from pushdeploy.judge import MetricJudgement
from pushdeploy.models import MetricEvidence, StoppedTask, TargetEvidence
from pushdeploy.outcome import Outcome

# aws-facts.md, "Step Functions and Lambda" (us-east-1, free tiers left out).
USD_PER_TRANSITION = 0.025 / 1000
USD_PER_LAMBDA_REQUEST = 0.20 / 1_000_000
USD_PER_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}


class Evidence(BaseModel):
    """What decided a target: the Check that gave its deployment's verdict, and what that probe saw (the
    product's own evidence, as the execution's history records it)."""

    at_seconds: float
    verdict: str
    reason: str
    rollout_state: str | None = None  # ECS's rolloutState of the deployment judged
    desired: int = 0
    running: int = 0
    pending: int = 0
    stopped_tasks: list[StoppedTask] = Field(default_factory=list)  # each with its exit codes and reason
    targets: list[TargetEvidence] = Field(default_factory=list)  # target health in the load balancer
    alarms: list[str] = Field(default_factory=list)  # the policy's alarms in ALARM
    events: list[str] = Field(default_factory=list)  # the service's latest events
    metrics: MetricJudgement | None = None  # the metric judge: the target group before against after, both windows
    hook: MetricEvidence | None = None  # a native deployment: pushdeploy's hook's last answer, both windows


# What became of a deployment's approval (pushdeploy_cli.story.ApprovalState), worst first: a push whose targets
# differ reports the worst of them.
Approval = Literal["failed", "timed_out", "aborted", "waiting", "approved"]
APPROVAL_WORST_FIRST: tuple[Approval, ...] = ("failed", "timed_out", "aborted", "waiting", "approved")


class TargetReport(BaseModel):
    service: str
    outcome: Outcome
    reason: str
    verdict_at_seconds: float | None = None
    evidence: Evidence | None = None  # None when no Check decided (the target failed before its rollout)
    approval: Approval | None = None  # None when its policy asks for no approval


class PushReport(BaseModel):
    tag: str | None
    digest: str | None
    outcome: Outcome
    executions: int
    started_at_seconds: float
    verdict_at_seconds: float | None = None
    finished_at_seconds: float | None = None
    reason: str = ""
    targets: list[TargetReport] = Field(default_factory=list)
    approval: Approval | None = None  # the worst of its targets' approvals; None when none asked for one
    # Requests its image's tasks answered 5XX before it was rolled back or proven: until its execution ended
    # for a version deployed, until its last task stopped serving otherwise (pushdeploy_local.traffic).
    bad_requests: int = 0


class Answered(BaseModel):
    """What an `approve` or `abort` entry did, through `pushdeploy approve` / `abort`: each deployment it
    answered, or why it answered none (the command's own error)."""

    at_seconds: float
    decision: Literal["approve", "abort"]
    services: list[str] = Field(default_factory=list)
    error: str | None = None


class FinalState(BaseModel):
    service: str
    tag: str | None
    image: str
    task_definition: str
    running: int
    healthy: bool


class Alert(BaseModel):
    at_seconds: float
    subject: str
    message: str


class Cost(BaseModel):
    state_transitions: int
    lambda_invocations: int
    lambda_gb_seconds: float
    usd: float


class Denied(BaseModel):
    """A call IAM refused: the function whose role made it, the action and the resource it asked for."""

    function: str
    action: str
    resource: str


class Iam(BaseModel):
    denied: list[Denied] = Field(default_factory=list)  # every call refused, in order
    unused: dict[str, list[str]] = Field(default_factory=dict)  # role -> granted actions no call used


class Report(BaseModel):
    scenario: str
    pushes: list[PushReport]  # the push entries, in order (an approve or abort entry is in `approvals`)
    approvals: list[Answered] = Field(default_factory=list)
    final: FinalState
    services: list[FinalState] = Field(default_factory=list)
    alerts: list[Alert]
    cost: Cost
    api_calls: dict[str, int]
    # The most events in the history of any execution the run started; AWS fails a Standard execution
    # at 25,000 (pushdeploy_local.moto_hooks.quotas.HISTORY_MAX_EVENTS).
    max_history_events: int
    iam: Iam = Field(default_factory=Iam)
    bad_requests: int = 0  # the pushes' `bad_requests`, summed
