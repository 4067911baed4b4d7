"""Charts as inline SVG, drawn on the server: no script, no CDN, readable without colour.

Every chart has a ``<title>`` and ``aria-label``; the page shows the same numbers
in a table for screen readers and for copying.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

__all__ = ["Series", "bar_chart", "line_chart", "nice_max"]

WIDTH = 640
HEIGHT = 220
LEFT = 44
RIGHT = 12
TOP = 12
BOTTOM = 28


@dataclass(frozen=True)
class Series:
    """One line of a line chart; ``None`` values leave a gap."""

    name: str
    values: Sequence[float | None]
    css_class: str


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def _frame(title: str, top: float, unit: str, labels: Sequence[str]) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [f"<title>{escape(title)}</title>"]
    for share in (0, 0.5, 1):
        y = TOP + plot_h * (1 - share)
        value = top * share
        shown = f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(shown)}{escape(unit)}</text>"
        )
    step = max(1, len(labels) // 6)
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    for index in range(0, len(labels), step):
        x = LEFT + slot * (index + 0.5)
        parts.append(
            f'<text class="axis" x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
            f"{escape(labels[index])}</text>"
        )
    return parts


def _svg(title: str, parts: list[str], css_class: str) -> SafeString:
    body = "".join(parts)
    return mark_safe(  # noqa: S308 - every text above went through escape()
        f'<svg class="chart {css_class}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}">{body}</svg>'
    )


def bar_chart(
    title: str, labels: Sequence[str], values: Sequence[float], unit: str = ""
) -> SafeString:
    """Vertical bars, one per label."""
    top = nice_max(max(values, default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(values))
    parts = _frame(title, top, unit, labels)
    for index, value in enumerate(values):
        height = plot_h * value / top
        x = LEFT + slot * index + slot * 0.15
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{TOP + plot_h - height:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{height:.1f}">'
            f"<title>{escape(labels[index])}: {escape(f'{value:g}')}{escape(unit)}</title></rect>"
        )
    return _svg(title, parts, "bar-chart")


def line_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], unit: str = ""
) -> SafeString:
    """Lines with a dot per known value; gaps where a value is None."""
    known = [v for s in series for v in s.values if v is not None]
    top = nice_max(max(known, default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    parts = _frame(title, top, unit, labels)
    for line in series:
        points: list[str] = []
        for index, value in enumerate(line.values):
            if value is None:
                continue
            x = LEFT + slot * (index + 0.5)
            y = TOP + plot_h * (1 - value / top)
            points.append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle class="dot {line.css_class}" cx="{x:.1f}" cy="{y:.1f}" r="3">'
                f"<title>{escape(line.name)} {escape(labels[index])}: "
                f"{escape(f'{value:.0f}')}{escape(unit)}</title></circle>"
            )
        if len(points) > 1:
            parts.append(f'<polyline class="line {line.css_class}" points="{" ".join(points)}"/>')
    return _svg(title, parts, "line-chart")
