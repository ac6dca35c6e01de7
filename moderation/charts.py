"""Charts drawn on the server as inline SVG: no script, no third-party request, nothing the
strict CSP refuses (colours are classes of the app's stylesheet, `.chart .s1` …, not inline
styles). Each chart is a picture of a table the page prints beside it: the SVG is
`role="img"` with a title naming what it shows, and the numbers are in the table and its CSV.

The SVG scales to its box (a `viewBox`, width 100 %), so a phone shows the whole chart,
smaller; labels are few (a handful of x labels, three y ticks) so they stay legible there.
"""

import math

from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH, HEIGHT = 480, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 10, 26  # the plot's margins (axis labels)
X_LABELS = 6  # at most


def _nice(top: float) -> float:
    """A round axis maximum at or above `top`."""
    if top <= 0:
        return 2
    if top <= 10:
        return 2 * math.ceil(top / 2)  # whole numbers at every tick (0, half, top)
    power = 10 ** math.floor(math.log10(top))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= top:
            return step * power
    return 10 * power


def _number(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


def _frame(title: str, labels: list[str], low: float, top: float, fmt):
    """The picture's start, its grid and labels, and the function placing a value on it
    (from `low`, 0 or a drifted count below it, to `top`)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y_of(value: float) -> float:
        return TOP + plot_h - plot_h * (value - low) / (top - low)

    parts = [
        f'<svg class="chart-svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for value in sorted({low, 0, top / 2, top}):
        y = y_of(value)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(fmt(value))}</text>"
        )
    n = len(labels)
    every = max(1, math.ceil(n / X_LABELS))
    for i, label in enumerate(labels):
        if i % every:
            continue
        x = LEFT + plot_w * (i + 0.5) / n
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    return parts, y_of


def bars(title: str, labels: list[str], series: list[tuple[str, list[float]]], *, fmt=_number):
    """Stacked bars: one per label, the series stacked in order (each drawn in `.sN`)."""
    # Only what is above zero is stacked (a count below it, drifted, is not drawn).
    totals = [sum(max(values[i], 0) for _, values in series) for i in range(len(labels))]
    top = _nice(max(totals, default=0))
    parts, y_of = _frame(title, labels, 0, top, fmt)
    plot_w = WIDTH - LEFT - RIGHT
    n = max(len(labels), 1)
    width = plot_w / n
    for i in range(len(labels)):
        base = 0.0
        for s, (_, values) in enumerate(series, start=1):
            value = values[i]
            if value <= 0:
                continue
            y = y_of(base + value)
            h = y_of(base) - y
            x = LEFT + width * i + width * 0.12
            parts.append(
                f'<rect class="s{s}" x="{x:.1f}" y="{y:.1f}" width="{width * 0.76:.1f}" '
                f'height="{h:.1f}"/>'
            )
            base += value
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text escaped above


def lines(
    title: str, labels: list[str], series: list[tuple[str, list[float | None]]], *, fmt=_number
):
    """Lines over the labels (a None leaves a gap), each series drawn in `.sN`, with a dot
    at every point."""
    values = [v for _, vs in series for v in vs if v is not None]
    top = _nice(max(values, default=0))
    low = min(0, min(values, default=0))  # below zero only for a drifted count
    low = -_nice(-low) if low < 0 else 0
    parts, y_of = _frame(title, labels, low, top, fmt)
    plot_w = WIDTH - LEFT - RIGHT
    n = max(len(labels), 1)
    for s, (_, vs) in enumerate(series, start=1):
        points, runs = [], []
        for i, v in enumerate(vs):
            if v is None:
                if points:
                    runs.append(points)
                points = []
                continue
            points.append((LEFT + plot_w * (i + 0.5) / n, y_of(v)))
        if points:
            runs.append(points)
        for run in runs:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            parts.append(f'<polyline class="line s{s}" points="{path}"/>')
            if len(labels) <= 31:
                parts.extend(
                    f'<circle class="dot s{s}" cx="{x:.1f}" cy="{y:.1f}" r="2.5"/>' for x, y in run
                )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text escaped above


def duration(seconds: float | None) -> str:
    """A wait for a person: 45 s, 12 min, 3.5 h, 2.1 d."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
