"""What people read in a terminal: scenario reports, executions, progress, status and history."""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Column, Table

from pushdeploy.models import TargetsConfig, metric_lines
from pushdeploy.outcome import Outcome
from pushdeploy.steps.approval import Answer
from pushdeploy.steps.plan import PlanOutput
from pushdeploy_cli.connection import Where
from pushdeploy_cli.deployer import Started, TargetStatus, TaskLog
from pushdeploy_cli.story import Probe, Story, Summary, TargetStory, outcome_name, revision

if TYPE_CHECKING:
    from pushdeploy_local.report import Report

COLOURS = {
    Outcome.DEPLOYED: "green",
    Outcome.REVERTED: "green",
    Outcome.SUPERSEDED: "cyan",
    Outcome.IGNORED: "dim",
    Outcome.PLANNED: "cyan",
    Outcome.ROLLED_BACK: "yellow",
    Outcome.ROLLBACK_FAILED: "red",
    Outcome.UNKNOWN: "red",
    Outcome.REJECTED: "red",
    Outcome.FAILED: "red",
}
RUNNING_COLOUR = "blue"
VERDICT_COLOURS = {"HEALTHY": "green", "FAILED": "red", "TIMED_OUT": "red", "SUPERSEDED": "cyan"}


PIPE_WIDTH = 160  # lines written to a file or a pipe are not cut to 80 columns


def identifier(header: str) -> Column:
    """A column of names people copy (executions, services, task definitions): folded onto the next line
    when the table is too narrow, never cut with an ellipsis."""
    return Column(header, overflow="fold")


def console(stderr: bool = False) -> Console:
    made = Console(stderr=stderr)
    if not made.is_terminal and "COLUMNS" not in os.environ:
        made.width = PIPE_WIDTH
    return made


def outcome_text(outcome: Outcome | None) -> str:
    colour = RUNNING_COLOUR if outcome is None else COLOURS[outcome]
    return f"[{colour}]{outcome_name(outcome)}[/{colour}]"


def print_json(console: Console, data: Any) -> None:
    """JSON on stdout, unstyled, so that it can be piped."""
    console.file.write(json.dumps(data, indent=2, default=str) + "\n")


# -- local scenarios ----------------------------------------------------------------------------------


def print_report(report: Report, console: Console, stories: list[Story] | None = None) -> None:
    """The report, after each execution's log (its story) when given."""
    from pushdeploy_local.cloud import EPOCH  # the local cloud (moto) is loaded only by `local` commands

    console.rule(f"[bold]{report.scenario}")
    for story in stories or []:
        since_epoch = (story.started_at - EPOCH).total_seconds()
        for entry in story.log():
            seconds = int(since_epoch + entry.seconds)
            service = entry.service.split("/")[-1]
            console.print(f"  t+{seconds:>4}s  {service:<26} {entry.state:<13} {escape(entry.text)}", highlight=False)
    table = Table(identifier("push"), "outcome", "verdict", "done", "reason", box=None, pad_edge=False)
    for push in report.pushes:
        table.add_row(
            push.tag or "-",
            outcome_text(push.outcome),
            _seconds(push.verdict_at_seconds),
            _seconds(push.finished_at_seconds),
            escape(push.reason),
        )
    console.print(table)
    for state in report.services:
        health = "[green]healthy[/green]" if state.healthy else "[red]NOT healthy[/red]"
        console.print(
            f"  now: {state.service} runs {state.tag} ({state.image.rsplit('@', 1)[-1][:19]}…), "
            f"{state.running} task(s), {health}"
        )
    for alert in report.alerts:
        console.print(f"  alert at t+{int(alert.at_seconds)}s: [bold]{escape(alert.subject)}[/bold]", highlight=False)
    cost = report.cost
    console.print(
        f"  cost: {cost.state_transitions} transitions, {cost.lambda_invocations} Lambda invocations, "
        f"${cost.usd:.6f}; {sum(report.api_calls.values())} AWS API calls",
        highlight=False,
    )


# -- deploy and rollback --------------------------------------------------------------------------------


def print_started(started: Started, console: Console) -> None:
    console.print(f"started [bold]{started.name}[/bold]", highlight=False)


class Progress:
    """Live progress of one execution: every step and probe once, as it appears in the history; in a
    terminal, also a table of each target's state now."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._live: Live | None = None
        self._said: set[tuple[str, float, str]] = set()

    def __enter__(self) -> Progress:
        if self.console.is_terminal:
            self._live = Live(console=self.console, refresh_per_second=8, transient=True)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)

    def update(self, story: Story) -> None:
        if not story.targets and story.status == "RUNNING":
            self._say("", 0.0, "planning")
        for target in story.targets:
            for entry in target.log():
                self._say(target.service, entry.seconds, f"{entry.state}: {entry.text}")
        if self._live is not None:
            self._live.update(self._table(story))

    def _say(self, key: str, seconds: float, text: str) -> None:
        if (key, seconds, text) in self._said:
            return
        self._said.add((key, seconds, text))
        self.console.print(f"  t+{int(seconds):>4}s  {key:<40} {escape(text)}", highlight=False, soft_wrap=True)

    @staticmethod
    def _table(story: Story) -> Table:
        table = Table(identifier("service"), "now", title=f"{story.name} ({story.status.lower()})", box=None)
        for target in story.targets:
            table.add_row(target.service, escape(target.progress))
        if not story.targets:
            table.add_row("", "planning" if story.status == "RUNNING" else escape(story.reason))
        return table


def print_outcome(story: Story, console: Console, where: Where) -> None:
    took = f" after {int(story.seconds)} s" if story.seconds is not None else ""
    console.print(f"{outcome_text(story.outcome)}{took}: {escape(story.reason)}", highlight=False)
    for target in story.targets:
        result = target.result
        if result is not None:
            health = "" if result.healthy_now is None else " (healthy)" if result.healthy_now else " (NOT healthy)"
            console.print(
                f"  {target.service}: {outcome_text(result.outcome)}, runs {revision(result.runs_now)}{health}",
                highlight=False,
            )
    print_explain_hint(story.name, console, where)


def print_explain_hint(execution: str, console: Console, where: Where) -> None:
    """The command that tells the execution's story, with the connection options given: ready to copy."""
    console.print(f"  {escape(where.command('explain', execution))}", style="dim", highlight=False)


# -- status and history ---------------------------------------------------------------------------------


def print_status(targets: list[TargetStatus], console: Console) -> None:
    table = Table(
        identifier("service"),
        identifier("runs"),
        "image",
        "since",
        "tasks",
        identifier("rollback to"),
        identifier("last deployment"),
        box=None,
        pad_edge=False,
    )
    for target in targets:
        tags = ",".join(target.tags) or "untagged"
        digest = (target.digest or target.image)[:19]
        tasks = f"{target.running}/{target.desired}"
        if target.rollout_state and target.rollout_state != "COMPLETED":
            tasks += f" {target.rollout_state.lower()}"
        last = target.last
        last_text = "-"
        if last is not None:
            last_text = f"{outcome_text(last.outcome)} {_when(last.started_at)} {escape(last.name)}"
        table.add_row(
            target.service,
            revision(target.task_definition),
            f"{escape(tags)} {digest}",
            _when(target.since),
            tasks,
            revision(target.rollback_to) if target.rollback_to else "-",
            last_text,
        )
    console.print(table)


def print_history(summaries: list[Summary], console: Console) -> None:
    if not summaries:
        console.print("no executions")
        return
    table = Table(
        "started",
        "outcome",
        identifier("service"),
        "image",
        "took",
        "reason",
        identifier("execution"),
        box=None,
        pad_edge=False,
    )
    for summary in summaries:
        image = summary.image or summary.digest or "-"
        table.add_row(
            _when(summary.started_at),
            outcome_text(summary.outcome),
            ", ".join(s.split("/")[-1] for s in summary.services) or "-",
            escape(_short_image(image)),
            _seconds(summary.seconds),
            escape(summary.reason),
            escape(summary.name),
        )
    console.print(table)


# -- approvals ------------------------------------------------------------------------------------------


def print_answers(answers: list[Answer], console: Console) -> None:
    """One line per deployment answered: its service, the execution that waited, and what follows."""
    for answer in answers:
        colour = "green" if answer.done else "red"
        console.print(
            f"[{colour}]{escape(answer.service)}[/{colour}]: {escape(answer.reason)} ({escape(answer.execution)})",
            highlight=False,
        )


# -- explain --------------------------------------------------------------------------------------------


def print_story(story: Story, console: Console) -> None:
    console.rule(f"[bold]{escape(story.name)}")
    took = f", took {int(story.seconds)} s" if story.seconds is not None else " (still running)"
    console.print(
        f"{story.status} {outcome_text(story.outcome)}: {escape(story.reason)}\n"
        f"started {_when(story.started_at)}{took}\n"
        f"input: {escape(_input_words(story.input))}",
        highlight=False,
    )
    for target in story.targets:
        _print_target(story, target, console)


def _print_target(story: Story, target: TargetStory, console: Console) -> None:
    wanted = f" -> {revision(target.wanted)}" if target.wanted else ""
    image = f"  ({escape(_short_image(target.image))})" if target.image else ""
    console.print(f"\n[bold]{target.service}[/bold]  {revision(target.before)}{wanted}{image}", highlight=False)
    for entry in target.log():
        colour = "dim" if entry.probe else "white" if entry.ok else "red"
        console.print(
            f"  t+{int(entry.seconds):>4}s  {entry.state:<14} [{colour}]{escape(entry.text)}[/{colour}]",
            highlight=False,
        )
    deciding = [p for p in target.probes if p.decided]
    for probe in deciding:
        _print_evidence(probe, console)


def _print_evidence(probe: Probe, console: Console) -> None:
    colour = VERDICT_COLOURS.get(probe.verdict, "white")
    console.print(
        f"  evidence of [{colour}]{probe.verdict}[/{colour}] at t+{int(probe.seconds)}s "
        f"({probe.phase}, {revision(probe.task_definition)}, {probe.counts}):",
        highlight=False,
    )
    for task in probe.stopped_tasks:
        console.print(f"    stopped task {task.task_id[:8]} ({revision(task.task_definition)}): {escape(task.summary)}")
    for target in probe.targets:
        console.print(f"    {escape(target.summary)}", highlight=False)
    for line in metric_lines(probe.metrics, probe.hook):
        console.print(f"    {escape(line)}", highlight=False)
    for event in probe.events[:5]:
        console.print(f"    [dim]{escape(event)}[/dim]", highlight=False)


def _input_words(source: Any) -> str:
    """An ECR push event in a line; a console input as the JSON it is."""
    if isinstance(source, dict) and source.get("detail-type") == "ECR Image Action":
        detail = source.get("detail") or {}
        return (
            f"ECR push of {detail.get('repository-name')}:{detail.get('image-tag', '(untagged)')}"
            f"@{detail.get('image-digest')} (event {source.get('id')})"
        )
    return json.dumps(source)


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def _short_image(image: str) -> str:
    """repo:tag@sha256:abcdef123456 (the digest cut to 12 hex digits)."""
    if "@sha256:" not in image:
        return image
    name, digest = image.split("@sha256:", 1)
    return f"{name.rsplit('/', 1)[-1]}@{digest[:12]}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{int(value)} s"


def print_task_logs(logs: list[TaskLog], console: Console) -> None:
    """Each failed task: why it stopped (reason, stop code, exit codes), then the last lines it wrote."""
    if not logs:
        console.print("no task of this execution failed")
        return
    for log in logs:
        code = f" [{log.task.stop_code}]" if log.task.stop_code else ""
        console.print(
            f"\n[bold]{log.service}[/bold]  task {log.task.task_id} ({revision(log.task.task_definition)}): "
            f"[red]{escape(log.task.summary)}[/red]{code}",
            highlight=False,
        )
        if log.stream is not None:
            console.print(f"  [dim]{log.group} {log.stream}[/dim]", highlight=False)
        if log.missing:
            console.print(f"  {escape(log.missing)}", highlight=False)
        for line in log.lines:
            console.print(f"  {escape(line)}", highlight=False)


def print_plan(summary: Summary, answer: PlanOutput | None, console: Console) -> None:
    """A dry run's answer, target by target; or why the deployer refused the request."""
    if answer is None:
        console.print(f"{outcome_text(summary.outcome)}: {escape(summary.reason)}", highlight=False)
        return
    console.print(escape(answer.reason), highlight=False)
    for preview in answer.previews:
        console.print(f"\n[bold]{preview.service}[/bold]  runs {revision(preview.runs)}", highlight=False)
        console.print(f"  would run  {escape(preview.image)}", highlight=False)
        for change in preview.would_register:
            console.print(
                f"  register   {escape(change.field)}: {escape(str(change.before))} -> {escape(str(change.after))}",
                highlight=False,
            )
        for change in preview.edited_since:
            console.print(
                f"  [yellow]{revision(preview.newest)} differs[/yellow] {escape(change.field)}: "
                f"{escape(str(change.before))} -> {escape(str(change.after))}",
                highlight=False,
            )
        if preview.rollback_to is None:
            console.print("  rollback   [yellow]nothing verified healthy to return to[/yellow]", highlight=False)
        else:
            known = {True: "in ECR", False: "[red]NOT in ECR any more[/red]", None: "not checked"}
            console.print(
                f"  rollback   to {revision(preview.rollback_to)}, image {escape(preview.rollback_image or '-')} "
                f"({known[preview.rollback_image_in_ecr]})",
                highlight=False,
            )
        console.print(f"  lock       {escape(preview.lock)}", highlight=False)
        for warning in preview.warnings:
            console.print(f"  [yellow]warning[/yellow]    {escape(warning)}", highlight=False)


def print_targets(config: TargetsConfig, console: Console) -> None:
    table = Table(identifier("service"), "container", "repository", "tags", "policy", box=None)
    for target in config.targets:
        policy = target.policy
        table.add_row(
            target.key,
            target.container,
            target.repository,
            " ".join(target.tags),
            f"deadline {policy.deadline_seconds} s, watch {policy.watch_seconds} s, bake {policy.bake_seconds} s",
        )
    console.print(table)
