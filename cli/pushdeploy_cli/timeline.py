"""One execution's story, read from its Step Functions history: each step that changed or judged something."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Entry:
    at: datetime
    service: str
    step: str
    text: str


def _describe(step: str, output: dict[str, Any]) -> str | None:
    if step == "Plan":
        return f"{output.get('action')}: {output.get('reason')}"
    if step == "Register":
        registered = output.get("registered", {})
        how = "reused" if registered.get("reused") else "registered"
        return f"{how} {registered.get('task_definition', '?').rsplit('/', 1)[-1]}"
    if step in ("Update", "Rollback"):
        key = "rollout" if step == "Update" else "rollback"
        rollout = output.get(key, {})
        revision = rollout.get("task_definition", "?").rsplit("/", 1)[-1]
        return f"UpdateService -> {revision} ({rollout.get('deployment_id')})"
    if step in ("CheckRollout", "CheckRollback"):
        rollout = output.get("rollout" if step == "CheckRollout" else "rollback", {})
        return f"{rollout.get('verdict')}: {rollout.get('reason')}"
    if step == "Watch":
        return watch_ended(output)[0]
    if step == "Notify":
        return f"{output.get('outcome')}: {output.get('reason')}" + (" (alert sent)" if output.get("alerted") else "")
    return None


def watch_ended(output: dict[str, Any]) -> tuple[str, bool]:
    """What the Watch state's exit says, and whether it went well (False: a task of the deploy failed)."""
    wake = output.get("wake")
    if not wake:  # it timed out (the Catch keeps the input): the Check that follows confirms
        return "watch over: no task failed", True
    if "end" in wake:
        return f"ended early: {wake['end']}", True
    return f"woken: {wake.get('reason')}", False


def timeline(history: list[dict[str, Any]]) -> list[Entry]:
    entries = []
    for event in history:
        entered = event.get("stateEnteredEventDetails")
        if event["type"] == "TaskStateEntered" and entered and entered["name"] == "Watch":
            watched = json.loads(entered.get("input") or "{}")
            left = watched.get("rollout", {}).get("watch_seconds")
            service = watched.get("item", {}).get("target", {}).get("service", "")
            words = f"watching for {left} s: a task that fails rolls it back"
            entries.append(Entry(at=event["timestamp"], service=service, step="Watch", text=words))
            continue
        details = event.get("stateExitedEventDetails")
        if event["type"] != "TaskStateExited" or not details:
            continue
        output = json.loads(details.get("output") or "{}")
        text = _describe(details["name"], output)
        if text is None:
            continue
        target = output.get("item", {}).get("target", {})
        service = target.get("service", "") if target else output.get("service", "").split("/")[-1]
        entries.append(Entry(at=event["timestamp"], service=service, step=details["name"], text=text))
    return entries
