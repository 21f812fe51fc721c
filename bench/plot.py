"""The restore-time plot of docs/benchmarks.md, as a small hand-written SVG (no plotting dependency)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from bench.cases import BEHAVIOURS, DESIRED_COUNTS, HORIZON_SECONDS, SYSTEMS
from bench.rows import Row, find

COLOURS = {"pushdeploy": "#1f77b4", "circuit_breaker": "#d62728", "waiter": "#ff7f0e", "poll_1s": "#2ca02c"}
LABELS = {
    "pushdeploy": "pushdeploy",
    "circuit_breaker": "circuit breaker alone",
    "waiter": "services-stable waiter",
    "poll_1s": "1 s poller (ecs-deploy rule)",
}
WIDTH, HEIGHT = 980, 440
LEFT, RIGHT, TOP, BOTTOM = 60, 20, 70, 80
STEP = 200  # seconds between grid lines
LEGEND_X = (0, 110, 270, 440, 660)  # the four systems, then "never"


def restore_svg(rows: list[Row]) -> str:
    scenarios = [s for s in BEHAVIOURS if s != "healthy"]
    groups = [(s, n) for s in scenarios for n in DESIRED_COUNTS]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / len(groups)
    bar_w = (group_w - 10) / len(SYSTEMS)

    def y(seconds: float) -> float:
        return TOP + plot_h - plot_h * min(seconds, HORIZON_SECONDS) / HORIZON_SECONDS

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
        '<defs><pattern id="never" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#999" stroke-width="3"/></pattern></defs>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
        f'<text x="{LEFT}" y="20" font-size="14" font-weight="bold">Seconds from push until the previous '
        "version runs alone and healthy again (virtual clock; lower is better)</text>",
    ]
    for seconds in range(0, int(HORIZON_SECONDS) + 1, STEP):
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(seconds):.1f}" y2="{y(seconds):.1f}" stroke="#ddd"/>'
        )
        out.append(f'<text x="{LEFT - 6}" y="{y(seconds) + 4:.1f}" text-anchor="end">{seconds}</text>')
    for x, (system, label) in zip(LEGEND_X, LABELS.items(), strict=False):
        out.append(f'<rect x="{LEFT + x}" y="36" width="12" height="12" fill="{COLOURS[system]}"/>')
        out.append(f'<text x="{LEFT + x + 16}" y="46">{escape(label)}</text>')
    x = LEFT + LEGEND_X[-1]
    out.append(f'<rect x="{x}" y="36" width="12" height="12" fill="url(#never)" stroke="#999"/>')
    out.append(f'<text x="{x + 16}" y="46">never (watched {HORIZON_SECONDS:g} s)</text>')
    for g, (scenario, count) in enumerate(groups):
        x0 = LEFT + g * group_w + 5
        for b, system in enumerate(SYSTEMS):
            restore = find(rows, scenario, count, system).restore_s
            bar_x = x0 + b * bar_w
            if restore is None:
                out.append(
                    f'<rect x="{bar_x:.1f}" y="{y(HORIZON_SECONDS):.1f}" width="{bar_w - 1:.1f}" '
                    f'height="{plot_h:.1f}" fill="url(#never)" stroke="{COLOURS[system]}"/>'
                )
            else:
                out.append(
                    f'<rect x="{bar_x:.1f}" y="{y(restore):.1f}" width="{bar_w - 1:.1f}" '
                    f'height="{TOP + plot_h - y(restore):.1f}" fill="{COLOURS[system]}">'
                    f"<title>{escape(f'{scenario} x{count}, {LABELS[system]}: {restore:g} s')}</title></rect>"
                )
        centre = x0 + (group_w - 10) / 2
        out.append(f'<text x="{centre:.1f}" y="{TOP + plot_h + 14}" text-anchor="middle">x{count}</text>')
        if count == DESIRED_COUNTS[1]:
            out.append(
                f'<text x="{centre:.1f}" y="{TOP + plot_h + 32}" text-anchor="middle" font-weight="bold">'
                f"{escape(scenario.replace('_', ' '))}</text>"
            )
    out.append(
        f'<text x="{LEFT}" y="{HEIGHT - 12}">desired count under each bar group; every run pushes at 0 s on the '
        "Phase 4 service (health check 30 s / 2 / 3, grace 60 s, circuit breaker with rollback)</text>"
    )
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#333"/></svg>')
    return "\n".join(out) + "\n"
