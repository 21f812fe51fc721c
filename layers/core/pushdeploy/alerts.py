"""The alert people read: what happened, what runs now, where to look. Pure text from a TargetResult."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pushdeploy.models import Evidence, LogLocation
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
    if result.outcome in ACTIONS:
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
    if evidence.metrics is not None:
        lines += [f"  {line}" for line in evidence.metrics.window_lines()]
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
    return {
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": f"{CHAT_ICONS[result.severity]} {subject(result)}",
            "description": message(result, state),
            "nextSteps": next_steps,
            "keywords": [result.outcome.value, service],
        },
        "metadata": {
            # One thread per service: its deploys and rollbacks read as one conversation.
            "threadId": result.service,
            "summary": subject(result),
            "eventType": f"pushdeploy.{result.outcome.value}",
            "relatedResources": [result.execution, result.service],
        },
    }
