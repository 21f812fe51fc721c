"""The "One push, many services" section: pushdeploy's Distributed Map against the inline Map it replaced,
and the plot of the last verdict against the number of services beside the bound ECS's rates set."""

from __future__ import annotations

from xml.sax.saxutils import escape

from bench.fanout import FANOUT_SYSTEMS, INLINE_MAP_CONCURRENCY, FanoutRow, FanoutSystem
from bench.render.cells import n, table

PLOT = "benchmarks-fanout.svg"
LABELS: dict[FanoutSystem, str] = {
    "pushdeploy": "pushdeploy (a child execution per target)",
    "pushdeploy_inline": f"inline Map ({INLINE_MAP_CONCURRENCY} at once)",
}
COLOURS: dict[FanoutSystem, str] = {"pushdeploy": "#1f77b4", "pushdeploy_inline": "#d62728"}
BOUND_COLOUR = "#555"
WIDTH, HEIGHT = 720, 400
LEFT, RIGHT, TOP, BOTTOM = 70, 30, 70, 60


def section(rows: list[FanoutRow]) -> list[str]:
    if not rows:
        return ["", "## One push, many services", "", "The fan-out was not measured.", ""]
    out = [
        "",
        "## One push, many services",
        "",
        "One healthy push to N services (desired 1 each, the default policy: a 300 s watch after each verdict). "
        "`pushdeploy` runs each target in a child execution of a Distributed Map; `pushdeploy_inline` is the same "
        f"state machine with the Map turned back into the inline Map it replaced ({INLINE_MAP_CONCURRENCY} targets "
        "at once, a watched target holding its place), made by the bench from the real ASL (`bench/fanout.py`). "
        "`bound_s` is a single service's healthy verdict (the push to one service, in the same run) plus the "
        "seconds ECS's token buckets need to take N RegisterTaskDefinition and N UpdateService calls. "
        "`throttled_calls`: the calls replayed against aws-facts.md's buckets that would have been throttled. "
        "`max_history_events`: the longest history of any execution of the push (each child's own; AWS ends a "
        "Standard execution at 25,000).",
        "",
        f"![last verdict against services]({PLOT})",
        "",
    ]
    header = ["services", "system", "last verdict", "bound", "x bound", "throttled", "max history", "transitions"]
    body = [
        [
            str(r.services),
            r.system,
            n(r.last_verdict_s, " s"),
            n(r.bound_s, " s"),
            _ratio(r),
            str(r.throttled_calls),
            str(r.max_history_events),
            str(r.transitions),
        ]
        for r in sorted(rows, key=lambda r: (r.services, FANOUT_SYSTEMS.index(r.system)))
    ]
    return out + table(header, body)


def _ratio(row: FanoutRow) -> str:
    if row.last_verdict_s is None or not row.bound_s:
        return "—"
    return f"{row.last_verdict_s / row.bound_s:.2f}"


def svg(rows: list[FanoutRow]) -> str:
    """The last verdict against N for each system, and the bound, as a small hand-written SVG."""
    counts = sorted({r.services for r in rows})
    top = max([r.last_verdict_s or 0 for r in rows] + [r.bound_s or 0 for r in rows] + [1.0])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = _grid_step(top)
    ceiling = step * (int(top // step) + 1)

    def x(services: int) -> float:
        return LEFT + plot_w * services / max(counts)

    def y(seconds: float) -> float:
        return TOP + plot_h - plot_h * seconds / ceiling

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
        f'<text x="{LEFT}" y="20" font-size="14" font-weight="bold">Last verdict of one push against the '
        "services it feeds (virtual seconds; lower is better)</text>",
    ]
    for seconds in range(0, int(ceiling) + 1, step):
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(seconds):.1f}" y2="{y(seconds):.1f}" stroke="#ddd"/>'
        )
        out.append(f'<text x="{LEFT - 6}" y="{y(seconds) + 4:.1f}" text-anchor="end">{seconds}</text>')
    for services in counts:
        out.append(f'<text x="{x(services):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">{services}</text>')
    out.append(f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 14}" text-anchor="middle">services</text>')
    lines = [
        (LABELS[s], COLOURS[s], [(r.services, r.last_verdict_s) for r in rows if r.system == s], "")
        for s in FANOUT_SYSTEMS
    ]
    bound = sorted({(r.services, r.bound_s) for r in rows if r.system == "pushdeploy"})
    lines.append(("bound: one service's verdict + ECS's rates", BOUND_COLOUR, bound, ' stroke-dasharray="5,4"'))
    for i, (label, colour, points, dash) in enumerate(lines):
        legend_y = 36 + 14 * (i % 2)
        legend_x = LEFT + 300 * (i // 2)
        out.append(
            f'<line x1="{legend_x}" x2="{legend_x + 18}" y1="{legend_y}" y2="{legend_y}" '
            f'stroke="{colour}" stroke-width="2"{dash}/>'
        )
        out.append(f'<text x="{legend_x + 24}" y="{legend_y + 4}">{escape(label)}</text>')
        known = sorted((s, v) for s, v in points if v is not None)
        path = " ".join(f"{x(s):.1f},{y(v):.1f}" for s, v in known)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for s, v in known:
            out.append(
                f'<circle cx="{x(s):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"><title>'
                f"{escape(f'{label}, {s} services: {v:g} s')}</title></circle>"
            )
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#333"/></svg>')
    return "\n".join(out) + "\n"


def _grid_step(top: float) -> int:
    """Seconds between grid lines: about five lines."""
    for step in (50, 100, 200, 250, 500, 1000, 2000, 5000):
        if top / step <= 6:
            return step
    return 10_000
