"""Server-rendered SVG charts for the console (no JavaScript library, readable by a screen reader).

The chart is an ``<svg role="img">`` with a ``<title>`` and ``<desc>`` that say what it shows; the
same figures are always in a table next to it, so the chart adds a picture, never information that
only sighted people get.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value (for the length) and the value as people read it."""

    label: str
    value: float
    shown: str


def bar_chart_svg(bars: Sequence[Bar], *, title: str, chart_id: str) -> str:
    """Return a horizontal bar chart scaled to the largest value; it fills the width of its container."""
    bar_h, gap, label_w, value_w, width = 22, 10, 210, 120, 640
    height = max(1, len(bars)) * (bar_h + gap) + gap
    top = max((b.value for b in bars), default=0) or 1
    described = "; ".join(f"{b.label}: {b.shown}" for b in bars) or "nothing to show"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" class="chart" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(described)}</desc>',
    ]
    span = width - label_w - value_w
    for index, bar in enumerate(bars):
        y = gap + index * (bar_h + gap)
        length = max(2, int(span * bar.value / top)) if bar.value > 0 else 0
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-size="13" fill="#1b1b1b">'
            f"{escape(bar.label[:32])}</text>"
        )
        parts.append(f'<rect x="{label_w}" y="{y}" width="{length}" height="{bar_h}" fill="#1f4e79" rx="2"/>')
        parts.append(
            f'<text x="{label_w + length + 6}" y="{y + 15}" font-size="13" fill="#1b1b1b">{escape(bar.shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
