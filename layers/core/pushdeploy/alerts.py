"""The alert people read: what happened, what runs now, where to look. Pure text from a TargetResult."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pushdeploy.models import Evidence, LogLocation, PlanItem
from pushdeploy.outcome import IterationState, Outcome, TargetResult

HEADLINES = {
    Outcome.DEPLOYED: "deployed",
    Outcome.ROLLED_BACK: "ROLLED BACK",
    Outcome.ROLLBACK_FAILED: "ROLLBACK FAILED",
    Outcome.SUPERSEDED: "superseded",
    Outcome.FAILED: "NOT DEPLOYED",
    Outcome.REVERTED: "rolled back by request",
}

ACTIONS = {
    Outcome.ROLLED_BACK: (
        "Nothing is needed to keep serving: the previous version runs again. Fix the image and push again."
    ),
    Outcome.ROLLBACK_FAILED: (
        "ACTION NEEDED: the service may not be serving. Look at its tasks and events, then run "
        "`pushdeploy rollback --service SERVICE --to REVISION` with a revision that worked, or push a fixed image."
    ),
    Outcome.FAILED: "The service was not changed. Fix the cause below and push (or start the deployment) again.",
}
# A deployment nobody approved (aborted, or its approval timed out) is `failed` with nothing to fix.
NOT_APPROVED_ACTION = (
    "The service was not changed. Push again (or start the deployment again) when it should go out: it will wait "
    "for approval again."
)


def subject(result: TargetResult) -> str:
    tag = (result.image or "").split("@", 1)[0]
    return f"[pushdeploy] {result.severity.upper()}: {result.service.split('/')[-1]} {HEADLINES[result.outcome]} {tag}"


def aftermath(state: IterationState) -> list[str]:
    """What failed after the verdict, which the outcome does not show: each is alerted, whatever the outcome."""
    found = []
    if state.watch_error is not None:
        found.append(
            "The watch could not start (a later failure of the new tasks is not watched for): "
            f"{state.watch_error.message}"
        )
    if state.unlock_error is not None:
        found.append(
            "The lock could not be released (the next deployment of the service recovers it; this version is not "
            f"recorded as verified): {state.unlock_error.message}"
        )
    kept = state.unlocked.kept if state.unlocked else None
    if kept is not None and kept.problem:
        found.append(f"An image pushdeploy would roll back to may expire (ECR lifecycle rules): {kept.problem}")
    return found


def message(result: TargetResult, state: IterationState) -> str:
    lines = [
        f"{result.service}: {HEADLINES[result.outcome]}.",
        "",
        f"What was deployed: {result.image or 'a rollback'}",
        f"What happened: {result.reason}",
        *aftermath(state),
    ]
    logs = state.registered.logs if state.registered else None
    if state.rollout is not None:
        lines += _evidence_lines(state.rollout.evidence, logs)
    if state.rollback is not None and result.outcome == Outcome.ROLLBACK_FAILED:
        lines += ["The rollback:", *_evidence_lines(state.rollback.evidence, None)]
    health = {True: "healthy", False: "NOT healthy", None: "health unknown"}[result.healthy_now]
    image = f", image {result.runs_now_image}" if result.runs_now_image else ""
    lines += ["", f"What runs now: {result.runs_now}{image} ({health})"]
    if result.started_at:
        lines.append(f"Took: {int((result.finished_at - result.started_at).total_seconds())} s")
    if state.approval_error is not None and result.outcome == Outcome.FAILED:
        lines += ["", NOT_APPROVED_ACTION]
    elif result.outcome in ACTIONS:
        lines += ["", ACTIONS[result.outcome]]
    lines += ["", f"Execution: {console_link(result.execution)}"]
    if logs is not None:
        lines.append(f"Logs: {log_link(logs)}")
    return "\n".join(lines)


def _evidence_lines(evidence: Evidence, logs: LogLocation | None) -> list[str]:
    lines = []
    for task in evidence.stopped_tasks:
        code = f" [{task.stop_code}]" if task.stop_code else ""
        lines.append(f"  stopped task {task.task_id}: {task.summary}{code}")
        if logs is not None:
            lines.append(f"    its log: {log_link(logs, task.task_id)}")
    for target in evidence.targets:
        if target.state != "healthy":
            lines.append(f"  {target.summary}")
    lines += [f"  alarm in ALARM: {name}" for name in evidence.alarms]
    lines += [f"  {line}" for line in evidence.metric_lines()]
    if evidence.events:
        lines.append("  last service events:")
        lines += [f"    {event}" for event in evidence.events]
    return lines


def log_link(logs: LogLocation, task_id: str | None = None) -> str:
    """The CloudWatch console page of the log group, or of one task's stream (`/` is escaped as `$252F`)."""

    def escape(text: str) -> str:
        return quote(text, safe="").replace("%", "$25")

    region = logs.region or "us-east-1"
    link = f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logsV2:log-groups/log-group/"
    link += escape(logs.group)
    return f"{link}/log-events/{escape(logs.stream(task_id))}" if task_id else link


def console_link(execution: str) -> str:
    region = execution.split(":")[3] if execution.count(":") >= 3 else "us-east-1"
    return f"https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{execution}"


# The alert as a custom notification of Amazon Q Developer in chat applications (formerly AWS Chatbot),
# which renders it in Slack or Microsoft Teams ("Event schema":
# https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html).
CHAT_ICONS = {"info": ":white_check_mark:", "warning": ":warning:", "critical": ":rotating_light:"}


def chat(result: TargetResult, state: IterationState) -> dict[str, Any]:
    """The same alert for chat: its title, the message as the description, and the commands to run next."""
    service = result.service.split("/")[-1]
    execution = result.execution.rsplit(":", 1)[-1]
    next_steps = [f"See what happened: `pushdeploy explain {execution}`"]
    if result.outcome == Outcome.ROLLBACK_FAILED:
        next_steps.append(f"Roll back to a revision that worked: `pushdeploy rollback --service {service} --to N`")
    elif result.outcome in (Outcome.ROLLED_BACK, Outcome.FAILED):
        next_steps.append("Fix the image and push it again.")
    return _chat_notification(
        icon=CHAT_ICONS[result.severity],
        summary=subject(result),
        description=message(result, state),
        next_steps=next_steps,
        event=result.outcome.value,
        service=result.service,
        execution=result.execution,
    )


def _chat_notification(
    *, icon: str, summary: str, description: str, next_steps: list[str], event: str, service: str, execution: str
) -> dict[str, Any]:
    return {
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": f"{icon} {summary}",
            "description": description,
            "nextSteps": next_steps,
            "keywords": [event, service.split("/")[-1]],
        },
        "metadata": {
            # One thread per service: its deploys, approvals and rollbacks read as one conversation.
            "threadId": service,
            "summary": summary,
            "eventType": f"pushdeploy.{event}",
            "relatedResources": [execution, service],
        },
    }


@dataclass(frozen=True)
class ApprovalRequest:
    """The message that a deployment waits for approval (pushdeploy.steps.approval): what waits, until when, and
    exactly how to approve or abort it: the pushdeploy command, or the task token from AWS CloudShell in the
    console (the callback pattern, https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token;
    answering the token needs states:SendTaskSuccess or SendTaskFailure, so the message gives no one the power
    to deploy)."""

    item: PlanItem
    task_definition: str  # registered, not yet running
    execution: str  # the push's
    waiting: str  # the target's own execution
    token: str
    until: datetime

    def subject(self) -> str:
        image = self.item.image.label.split("@", 1)[0] if self.item.image else ""
        return f"[pushdeploy] APPROVAL NEEDED: {self.item.target.service} {image}".rstrip()

    def message(self) -> str:
        target = self.item.target
        approved = json.dumps({"approved_by": "the AWS console"})
        return "\n".join(
            [
                f"{target.key}: waits for approval before UpdateService.",
                "",
                f"What would be deployed: {self.item.image.label if self.item.image else 'unknown'}",
                f"What runs now: {self.item.task_definition}",
                f"What would run: {self.task_definition}",
                f"Waits until: {self.until:%Y-%m-%d %H:%M:%S} UTC ({target.policy.approval_timeout_seconds} s); "
                "unanswered by then, it is aborted and nothing is deployed.",
                "",
                f"To approve: pushdeploy approve {self.waiting}",
                f"To abort:   pushdeploy abort {self.waiting}",
                f"(pushdeploy approve {self.execution} answers every service of this push that waits.)",
                "",
                "In the AWS console: open AWS CloudShell and run",
                f"  aws stepfunctions send-task-success --task-token {shlex.quote(self.token)} "
                f"--task-output {shlex.quote(approved)}",
                "or, to abort,",
                f"  aws stepfunctions send-task-failure --task-token {shlex.quote(self.token)} "
                "--error ApprovalAborted --cause 'aborted in the AWS console'",
                "",
                f"Execution: {console_link(self.waiting)}",
            ]
        )

    def chat(self) -> dict[str, Any]:
        return _chat_notification(
            icon=CHAT_ICONS["warning"],
            summary=self.subject(),
            description=self.message(),
            next_steps=[f"Approve: `pushdeploy approve {self.waiting}`", f"Abort: `pushdeploy abort {self.waiting}`"],
            event="approval",
            service=self.item.target.key,
            execution=self.waiting,
        )
