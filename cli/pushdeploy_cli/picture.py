"""A picture of one deployment over time (SVG, or an HTML page around it), drawn from its story.

For each target: one lane per task definition revision (what ran before, and what this execution
rolled out), one row per task, coloured by what the probes saw (pending, running, target health
initial / healthy / unhealthy / draining); a cross where a task stopped for a reason that counts;
every probe on its own row, coloured by its verdict; and the verdict and outcome written out.

Only what the history holds is drawn. The tasks that ran before are not probed while the new ones
roll out (Check looks at its own deployment): they are drawn hatched, from the start until the
probe that saw a deployment COMPLETED (ECS completes one when the older tasks are gone). Between two
probes a task is drawn as the earlier probe saw it.
"""

from __future__ import annotations

import html as html_text
import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from pushdeploy.models import metric_lines
from pushdeploy.outcome import Outcome
from pushdeploy_cli.story import Probe, Story, TargetStory, outcome_name, revision

WIDTH = 960
LEFT = 210  # the labels' column
RIGHT = 24
ROW = 14
ROW_GAP = 3
FONT = "font-family='system-ui, -apple-system, Segoe UI, sans-serif'"

STATE_COLOURS = {
    "before": "url(#before)",
    "starting": "#e3e3e3",
    "pending": "#bdbdbd",
    "running": "#7fb3d5",
    "initial": "#f5c542",
    "healthy": "#2e9e5b",
    "unhealthy": "#d64541",
    "unhealthy.draining": "#d64541",
    "draining": "#f39c12",
    "unused": "#cccccc",
    "unavailable": "#cccccc",
}
LEGEND = (
    ("before", "ran before (not probed)"),
    ("starting", "starting (not yet probed)"),
    ("pending", "pending"),
    ("running", "running"),
    ("initial", "target: initial"),
    ("healthy", "target: healthy"),
    ("unhealthy", "target: unhealthy"),
    ("draining", "target: draining"),
)
VERDICT_COLOURS = {
    "IN_PROGRESS": "#6c7a89",
    "HEALTHY": "#2e9e5b",
    "FAILED": "#d64541",
    "TIMED_OUT": "#e67e22",
    "SUPERSEDED": "#8e44ad",
}
OUTCOME_COLOURS = {
    Outcome.DEPLOYED: "#2e9e5b",
    Outcome.REVERTED: "#2e9e5b",
    Outcome.SUPERSEDED: "#8e44ad",
    Outcome.IGNORED: "#6c7a89",
    Outcome.PLANNED: "#6c7a89",
    Outcome.ROLLED_BACK: "#d68910",
}
RUNNING_COLOUR = "#2f6fb0"
BAD_COLOUR = "#d64541"  # rollback_failed, unknown, failed, rejected


@dataclass
class Segment:
    start: float
    end: float
    state: str
    title: str


@dataclass
class Stop:
    at: float
    summary: str
    task_id: str
    row: int | None = None  # the task's row, when the probes tell which one it was


@dataclass
class Lane:
    task_definition: str
    role: str  # "before", "new" or "rollback"
    rows: list[list[Segment]] = field(default_factory=list)
    stops: list[Stop] = field(default_factory=list)

    def row(self, index: int) -> list[Segment]:
        while len(self.rows) <= index:
            self.rows.append([])
        return self.rows[index]

    def paint(self, index: int, segment: Segment) -> None:
        """Add a segment, extending the row's last one when it continues it."""
        if segment.end <= segment.start:
            return
        row = self.row(index)
        if row and row[-1].state == segment.state and abs(row[-1].end - segment.start) < 1e-6:
            row[-1].end = segment.end
            return
        row.append(segment)


# -- building the lanes from the story ------------------------------------------------------------------


def lanes(story: Story, target: TargetStory, end: float) -> list[Lane]:
    by_definition: dict[str, Lane] = {}

    def lane(task_definition: str, role: str) -> Lane:
        if task_definition not in by_definition:
            by_definition[task_definition] = Lane(task_definition, role)
        return by_definition[task_definition]

    before = lane(target.before, "before")
    if target.wanted:
        lane(target.wanted, "rollback" if target.kind == "rollback" else "new")
    completed = next((p.seconds for p in target.probes if p.rollout_state == "COMPLETED"), end)
    ran_before = max((p.desired for p in target.probes[:1]), default=1) or 1
    for index in range(ran_before):
        before.paint(index, Segment(0, completed, "before", f"a task of {revision(target.before)} that ran before"))
    first_free = {target.before: ran_before}

    seen: set[str] = set()
    for probe in target.probes:
        for task in probe.stopped_tasks:
            if task.task_id not in seen:
                seen.add(task.task_id)
                at = (task.stopped_at - story.started_at).total_seconds() if task.stopped_at else probe.seconds
                lane(task.task_definition, "new").stops.append(Stop(at, task.summary, task.task_id))

    for rollout in _rollouts(target.probes):
        role = "rollback" if rollout[0].phase == "rollback" else "new"
        here = lane(rollout[0].task_definition, role)
        base = first_free.get(here.task_definition, 0)
        started = _rollout_start(target, rollout[0])
        _paint_rollout(here, base, rollout, started, end, last_of_target=rollout[-1] is target.probes[-1])
        first_free[here.task_definition] = len(here.rows)
    return list(by_definition.values())


def _rollouts(probes: list[Probe]) -> list[list[Probe]]:
    """The probes grouped by the deployment they looked at, in order."""
    groups: list[list[Probe]] = []
    for probe in probes:
        if groups and groups[-1][0].deployment_id == probe.deployment_id:
            groups[-1].append(probe)
        else:
            groups.append([probe])
    return groups


def _rollout_start(target: TargetStory, first: Probe) -> float:
    """When UpdateService started the rollout the probes look at (its step), else the first probe."""
    name = "Rollback" if first.phase == "rollback" else "Update"
    steps = [s.seconds for s in target.steps if s.name == name and s.seconds <= first.seconds]
    return steps[-1] if steps else first.seconds


def _paint_rollout(
    lane: Lane, base: int, probes: list[Probe], started: float, end: float, last_of_target: bool
) -> None:
    """Paint the rows of one rollout's tasks, each probe's view held until the next probe."""
    rows_by_ip: dict[str, int] = {}
    previous_rows: set[int] = set()
    for index in range(probes[0].desired):
        lane.paint(base + index, Segment(started, probes[0].seconds, "starting", "UpdateService done, not yet probed"))
    for position, probe in enumerate(probes):
        if position + 1 < len(probes):
            until = probes[position + 1].seconds
        elif last_of_target and probe.verdict == "HEALTHY":
            until = end  # the tasks go on serving
        else:
            until = min(end, probe.seconds + 5)  # a glimpse: the verdict's own observation
        live = {t.target_id for t in probe.targets}
        for gone in [ip for ip in rows_by_ip if ip not in live]:
            del rows_by_ip[gone]  # its row is free for the next task
        used = set(rows_by_ip.values())
        views: list[tuple[int, str, str]] = []
        for target in sorted(probe.targets, key=lambda t: t.target_id):
            if target.target_id not in rows_by_ip:
                rows_by_ip[target.target_id] = _take_row(used)
            views.append((rows_by_ip[target.target_id], target.state, target.summary))
        views += [(_take_row(used), "running", "a running task") for _ in range(probe.running - len(probe.targets))]
        views += [(_take_row(used), "pending", "a task starting (PENDING)") for _ in range(probe.pending)]
        for row, state, title in views:
            lane.paint(base + row, Segment(probe.seconds, until, state, f"t+{int(probe.seconds)}s: {title}"))
        if position:
            _end_at_stops(lane, base, previous_rows - used, probes[position - 1].seconds, probe.seconds)
        previous_rows = used


def _take_row(used: set[int]) -> int:
    row = next(r for r in range(len(used) + 1) if r not in used)
    used.add(row)
    return row


def _end_at_stops(lane: Lane, base: int, vanished: set[int], since: float, until: float) -> None:
    """Tasks a probe no longer sees, where a task of this lane stopped meanwhile: end their rows there."""
    stops = sorted((s for s in lane.stops if s.row is None and since < s.at <= until), key=lambda s: (s.at, s.task_id))
    for row, stop in zip(sorted(vanished), stops, strict=False):
        segments = lane.row(base + row)
        last = next((seg for seg in reversed(segments) if seg.start <= since < seg.end), None)
        if last is not None:
            last.end = max(last.start, stop.at)
            stop.row = base + row


# -- drawing --------------------------------------------------------------------------------------------


def svg(story: Story) -> str:
    end = _end(story)
    scale = _Scale(end)
    parts: list[str] = []
    y = 16
    parts.append(
        f"<text x='16' y='{y + 12}' font-size='16' font-weight='bold' class='title'>{escape(story.name)}</text>"
    )
    y += 22
    colour = RUNNING_COLOUR if story.outcome is None else OUTCOME_COLOURS.get(story.outcome, BAD_COLOUR)
    parts.append(
        f"<text x='16' y='{y + 12}' font-size='13' fill='{colour}' font-weight='bold' class='verdict' "
        f"data-outcome={quoteattr(outcome_name(story.outcome))}>{escape(_outcome_words(story))}</text>"
    )
    y += 26
    if not story.targets:
        parts.append(f"<text x='16' y='{y + 12}' font-size='12'>nothing was deployed: {escape(story.reason)}</text>")
        y += 24
    for target in story.targets:
        drawn, y = _target(story, target, scale, y)
        parts.append(drawn)
    legend, y = _legend(y + 6)
    parts.append(legend)
    height = y + 10
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' "
        f"viewBox='0 0 {WIDTH} {height}' {FONT} font-size='11'>"
        "<defs><pattern id='before' width='6' height='6' patternUnits='userSpaceOnUse' "
        "patternTransform='rotate(45)'><rect width='6' height='6' fill='#cfe3d4'/>"
        "<line x1='0' y1='0' x2='0' y2='6' stroke='#8fb89a' stroke-width='3'/></pattern></defs>"
        f"<rect width='{WIDTH}' height='{height}' fill='white'/>" + "".join(parts) + "</svg>\n"
    )


def html(story: Story) -> str:
    rows = [
        f"<tr><td>{html_text.escape(entry.service)}</td><td>t+{int(entry.seconds)}s</td>"
        f"<td>{html_text.escape(entry.state)}</td><td>{html_text.escape(entry.text)}</td></tr>"
        for entry in story.log()
    ]
    title = html_text.escape(f"{story.name}: {outcome_name(story.outcome)}")
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>body{{font-family:system-ui,sans-serif;margin:24px}}"
        "table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #eee;text-align:left;"
        "vertical-align:top}</style></head><body>"
        f"<h1>{title}</h1><p>{html_text.escape(story.reason)}</p>"
        f"{svg(story)}"
        "<h2>Steps and probes</h2><table><tr><th>service</th><th>time</th><th>step</th><th>what</th></tr>"
        + "".join(rows)
        + "</table></body></html>\n"
    )


@dataclass(frozen=True)
class _Scale:
    end: float

    def x(self, seconds: float) -> float:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * max(0.0, min(seconds, self.end)) / self.end, 1)


def _target(story: Story, target: TargetStory, scale: _Scale, y: int) -> tuple[str, int]:
    parts = [f"<g class='target' data-service={quoteattr(target.service)}>"]
    wanted = f" → {revision(target.wanted)}" if target.wanted else ""
    image = f"   image {target.image.split('@')[0]}" if target.image else ""
    parts.append(
        f"<text x='16' y='{y + 12}' font-size='13' font-weight='bold'>{escape(target.service)}</text>"
        f"<text x='16' y='{y + 28}' fill='#444'>{escape(revision(target.before) + wanted + image)}</text>"
    )
    y += 36
    for step in target.steps:
        if step.name in ("Update", "Rollback"):
            words = f"{'rollback to' if step.name == 'Rollback' else 'deploy'} {revision(step.task_definition or '?')}"
            parts.append(f"<text x='{scale.x(step.seconds) + 3}' y='{y + 9}' fill='#2f6fb0'>{escape(words)}</text>")
    parts += _approval(target, scale, y)
    y += 14
    top = y
    for lane in lanes(story, target, scale.end):
        drawn, y = _lane(lane, target, scale, y)
        parts.append(drawn)
    probes_y = y + 4
    parts.append(f"<text x='16' y='{probes_y + 10}' fill='#444'>probes (Check)</text>")
    for probe in target.probes:
        colour = VERDICT_COLOURS.get(probe.verdict, "#6c7a89")
        radius = 6 if probe.decided else 4
        parts.append(
            f"<circle class='probe' data-verdict={quoteattr(probe.verdict)} data-phase={quoteattr(probe.phase)} "
            f"cx='{scale.x(probe.seconds)}' cy='{probes_y + 6}' r='{radius}' fill='{colour}'>"
            f"<title>{escape(_probe_words(probe))}</title></circle>"
        )
    y = probes_y + 18
    drawn_stages, y = _stages(target.probes, scale, y)
    parts.append(drawn_stages)
    for probe in (p for p in target.probes if p.decided):
        colour = VERDICT_COLOURS.get(probe.verdict, "#6c7a89")
        x = scale.x(probe.seconds)
        parts.append(
            f"<line x1='{x}' y1='{top}' x2='{x}' y2='{probes_y + 12}' stroke='{colour}' stroke-dasharray='3,2'/>"
            f"<text x='16' y='{y + 11}' fill='{colour}' font-weight='bold' class='probe-verdict'>"
            f"t+{int(probe.seconds)}s {escape(probe.phase)}: {escape(probe.verdict)}</text>"
            f"<text x='{LEFT}' y='{y + 11}' fill='#333'>{escape(_cut(probe.reason, 120))}</text>"
        )
        y += 16
        for line in metric_lines(probe.metrics, probe.hook):
            parts.append(f"<text x='{LEFT}' y='{y + 11}' fill='#555' class='metrics'>{escape(_cut(line, 140))}</text>")
            y += 14
    for step in target.steps:
        if step.name not in ("Update", "Rollback"):
            continue
        x = scale.x(step.seconds)
        parts.append(
            f"<line x1='{x}' y1='{top}' x2='{x}' y2='{probes_y + 12}' stroke='#2f6fb0' stroke-width='1.5'>"
            f"<title>{escape(f't+{int(step.seconds)}s {step.name}: {step.text}')}</title></line>"
        )
    result = target.result
    if result is not None:
        colour = OUTCOME_COLOURS.get(result.outcome, BAD_COLOUR)
        health = "" if result.healthy_now is None else ", healthy" if result.healthy_now else ", NOT healthy"
        parts.append(
            f"<text x='16' y='{y + 12}' fill='{colour}' font-weight='bold' class='outcome'>"
            f"{escape(result.outcome)}</text>"
            f"<text x='{LEFT}' y='{y + 12}' fill='#333'>"
            f"{escape(_cut(f'runs {revision(result.runs_now)}{health}: {result.reason}', 120))}</text>"
        )
        y += 18
    y = _axis(parts, scale, y + 4)
    parts.append("</g>")
    return "".join(parts), y + 14


def _approval(target: TargetStory, scale: _Scale, y: int) -> list[str]:
    """The wait for approval before UpdateService, as a band from the request to its answer (or to now)."""
    asked = [s for s in target.steps if s.name == "Approval"]
    if target.approval is None or not asked:
        return []
    start = asked[0].seconds
    end = asked[-1].seconds if len(asked) > 1 else scale.end
    by = f" by {target.approval_by}" if target.approval_by else ""
    words = f"approval {target.approval.replace('_', ' ')}{by}"
    colour = "#e8d9a8" if target.approval in ("waiting", "approved") else "#f2c4c4"
    x, width = scale.x(start), max(scale.x(end) - scale.x(start), 2)
    return [
        f"<rect class='approval' data-approval={quoteattr(target.approval)} x='{x}' y='{y}' width='{width}' "
        f"height='11' fill='{colour}'><title>{escape(asked[-1].text)}</title></rect>"
        f"<text x='{x + 3}' y='{y + 9}' fill='#5a4a1a'>{escape(_cut(words, 60))}</text>"
    ]


def _stages(probes: list[Probe], scale: _Scale, y: int) -> tuple[str, int]:
    """A native deployment's traffic steps: each lifecycle stage ECS was seen entering, where a probe first saw it,
    with the metric judge's answer there (its windows are under the verdict)."""
    entered: list[Probe] = []
    for probe in probes:
        if probe.lifecycle_stage and (not entered or entered[-1].lifecycle_stage != probe.lifecycle_stage):
            entered.append(probe)
    if not entered:
        return "", y
    parts = [f"<text x='16' y='{y + 10}' fill='#444'>lifecycle (ECS)</text>"]
    for index, probe in enumerate(entered):
        judged = f": hook {probe.hook.hook_status}" if probe.hook is not None else ""
        words = f"t+{int(probe.seconds)}s {probe.lifecycle_stage}{judged}"
        parts.append(
            f"<text class='stage' x='{scale.x(probe.seconds)}' y='{y + 10 + 12 * (index % 2)}' font-size='10' "
            f"fill='#2f6fb0'>{escape(str(probe.lifecycle_stage))}<title>{escape(words)}</title></text>"
        )
    return "".join(parts), y + 30


def _lane(lane: Lane, target: TargetStory, scale: _Scale, y: int) -> tuple[str, int]:
    name = revision(lane.task_definition)
    label = {"before": "before", "new": "new", "rollback": "rolled back to"}[lane.role]
    if lane.role == "before" and target.kind == "deploy" and any(p.phase == "rollback" for p in target.probes):
        label = "before, and the rollback"
    parts = [
        f"<g class='lane' data-task-definition={quoteattr(lane.task_definition)} data-role={quoteattr(lane.role)}>",
        f"<text x='16' y='{y + 11}' font-weight='bold'>{escape(name)}</text>"
        f"<text x='16' y='{y + 24}' fill='#666'>{escape(label)}</text>",
    ]
    height = max(len(lane.rows), 1) * (ROW + ROW_GAP) + 4
    parts.append(
        f"<rect x='{LEFT}' y='{y}' width='{WIDTH - LEFT - RIGHT}' height='{height}' fill='#fafafa' stroke='#eee'/>"
    )
    for index, row in enumerate(lane.rows):
        row_y = y + 2 + index * (ROW + ROW_GAP)
        for segment in row:
            x1, x2 = scale.x(segment.start), scale.x(segment.end)
            parts.append(
                f"<rect class={quoteattr('task ' + segment.state)} x='{x1}' y='{row_y}' width='{max(x2 - x1, 1.5)}' "
                f"height='{ROW}' rx='2' fill='{STATE_COLOURS.get(segment.state, '#999')}'>"
                f"<title>{escape(segment.title)}</title></rect>"
            )
    y += max(height, 30)
    for stop in lane.stops:
        row_y = y - max(height, 30) + 2 + stop.row * (ROW + ROW_GAP) + ROW - 3 if stop.row is not None else y + 9
        parts.append(
            f"<text class='stopped' x='{scale.x(stop.at)}' y='{row_y}' text-anchor='middle' fill='#d64541' "
            f"font-weight='bold'>✕<title>{escape(f't+{int(stop.at)}s stopped: {stop.summary}')}</title></text>"
        )
    if lane.stops:
        counts: dict[str, int] = {}
        for stop in lane.stops:
            counts[stop.summary] = counts.get(stop.summary, 0) + 1
        words = "; ".join(summary + (f" ({n} tasks)" if n > 1 else "") for summary, n in counts.items())
        parts.append(
            f"<text x='16' y='{y + 9}' fill='#d64541'>stopped</text>"
            f"<text x='{LEFT}' y='{y + 9}' fill='#d64541'>{escape(_cut(words, 120))}</text>"
        )
        y += 18
    parts.append("</g>")
    return "".join(parts), y + 4


def _axis(parts: list[str], scale: _Scale, y: int) -> int:
    parts.append(f"<line x1='{LEFT}' y1='{y}' x2='{WIDTH - RIGHT}' y2='{y}' stroke='#999'/>")
    step = next(s for s in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200) if scale.end / s <= 12)
    tick = 0.0
    while tick <= scale.end + 1e-6:
        x = scale.x(tick)
        parts.append(
            f"<line x1='{x}' y1='{y}' x2='{x}' y2='{y + 4}' stroke='#999'/>"
            f"<text x='{x}' y='{y + 15}' text-anchor='middle' fill='#666'>{int(tick)}s</text>"
        )
        tick += step
    return y + 18


def _legend(y: int) -> tuple[str, int]:
    parts = ["<g class='legend'>"]
    x = 16
    for state, words in LEGEND:
        parts.append(
            f"<rect x='{x}' y='{y}' width='12' height='12' rx='2' fill='{STATE_COLOURS[state]}'/>"
            f"<text x='{x + 16}' y='{y + 10}' fill='#444'>{escape(words)}</text>"
        )
        x += 16 + 7 * len(words) + 14
        if x > WIDTH - 160:
            x, y = 16, y + 18
    parts.append(
        f"<text x='{x}' y='{y + 10}' fill='#d64541' font-weight='bold'>✕</text>"
        f"<text x='{x + 14}' y='{y + 10}' fill='#444'>task stopped (counts against the image)</text>"
    )
    parts.append("</g>")
    return "".join(parts), y + 20


def _probe_words(probe: Probe) -> str:
    return _cut(f"t+{int(probe.seconds)}s {probe.phase}: {probe.verdict}, {probe.counts}: {probe.reason}", 300)


def _end(story: Story) -> float:
    """The right edge: the end of the execution, or its last probe or step while it runs."""
    moments = [story.seconds or 0.0]
    for target in story.targets:
        moments += [p.seconds for p in target.probes] + [s.seconds for s in target.steps]
    return max(max(moments) * 1.02, 10.0)


def _outcome_words(story: Story) -> str:
    took = f" after {int(story.seconds)} s" if story.seconds is not None else " (running)"
    return _cut(f"{outcome_name(story.outcome).replace('_', ' ').upper()}{took}: {story.reason}", 105)


ARNS = (
    (re.compile(r"arn:aws[\w-]*:elasticloadbalancing:[\w-]+:\d{12}:targetgroup/([\w-]+)/[0-9a-f]+"), r"\1"),
    (re.compile(r"arn:aws[\w-]*:ecs:[\w-]+:\d{12}:task-definition/([\w-]+:\d+)"), r"\1"),
)


def _cut(text: str, limit: int) -> str:
    """Short enough for its line: ARNs by their names, then cut."""
    for pattern, name in ARNS:
        text = pattern.sub(name, text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
