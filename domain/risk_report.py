"""The client risk report: accepted and refused risks with dates and signers, and a chart, as a PDF.

Rendered with WeasyPrint and a fetcher that refuses every URL: the report is built from our own
record only, so nothing (no file, no network address) may be pulled in by its markup. The chart of
open accepted risks by category is inline SVG, drawn here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

from weasyprint import HTML

from domain.risks import OPEN_ACCEPTED, RiskEntry, RiskStatus

_CSS = """
@page { size: A4; margin: 18mm; }
body { font-family: sans-serif; font-size: 9.5pt; color: #222; }
h1 { font-size: 15pt; } h2 { font-size: 12pt; margin-top: 14pt; }
table { width: 100%; border-collapse: collapse; }
th, td { border-bottom: 1px solid #ccc; padding: 3pt; text-align: left; vertical-align: top; }
th { background: #eee; }
"""


def refuse_every_url(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The WeasyPrint URL fetcher of the report: nothing outside the document may be loaded."""
    raise ValueError(f"the risk report loads no resources ({url[:40]!r} refused)")


def chart_svg(entries: Sequence[RiskEntry]) -> str:
    """Return an inline SVG bar chart of open accepted risks (accepted or review-due) by category."""
    counts = Counter(entry.risk for entry in entries if entry.status in OPEN_ACCEPTED)
    if not counts:
        return "<p>No open accepted risks.</p>"
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    top = max(counts.values())
    bar_h, gap, label_w, width = 16, 6, 140, 460
    height = len(rows) * (bar_h + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for index, (risk, count) in enumerate(rows):
        y = gap + index * (bar_h + gap)
        length = int((width - label_w - 40) * count / top)
        parts.append(f'<text x="0" y="{y + 12}" font-size="10">{escape(risk)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{length}" height="{bar_h}" fill="#1f3a5f"/>')
        parts.append(f'<text x="{label_w + length + 4}" y="{y + 12}" font-size="10">{count}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _signers(entry: RiskEntry) -> str:
    if entry.signers:
        return "; ".join(escape(", ".join(v for v in s.values() if v)) for s in entry.signers)
    return escape(f"{entry.approver_name} ({entry.approver_title})") + " - not signed"


def report_html(client_name: str, entries: Sequence[RiskEntry], generated_at: datetime) -> str:
    """Return the report as HTML: accepted and refused risks with dates and signers, and the chart."""
    shown = [e for e in entries if e.accepted_at is not None or e.refused_at is not None]
    rows = []
    for entry in shown:
        decided = entry.accepted_at or entry.refused_at
        outcome = "accepted" if entry.accepted_at else RiskStatus.REFUSED.value
        rows.append(
            "<tr>"
            f"<td>{escape(entry.record_id)}</td><td>{escape(entry.title)}</td>"
            f"<td>{outcome}<br/>now: {escape(entry.status.value)}</td>"
            f"<td>{entry.date_first_recommended.isoformat()}</td>"
            f"<td>{decided.date().isoformat() if decided else ''}</td>"
            f"<td>{entry.review_on.isoformat()}</td><td>{_signers(entry)}</td>"
            "</tr>"
        )
    table = (
        "<table><tr><th>Record</th><th>Risk</th><th>Outcome</th><th>First recommended</th>"
        "<th>Decided</th><th>Review</th><th>Signers</th></tr>" + "".join(rows) + "</table>"
        if rows
        else "<p>No risk has been accepted or refused in writing yet.</p>"
    )
    return (
        f"<html><head><meta charset='utf-8'><style>{_CSS}</style></head><body>"
        f"<h1>Risk acceptance report: {escape(client_name)}</h1>"
        f"<p>Generated {generated_at.strftime('%Y-%m-%d %H:%M UTC')} from the risk register.</p>"
        f"<h2>Open accepted risks by category</h2>{chart_svg(entries)}"
        f"<h2>Accepted and refused risks</h2>{table}</body></html>"
    )


def render_report(client_name: str, entries: Sequence[RiskEntry], generated_at: datetime) -> bytes:
    """Return the report as PDF bytes."""
    html = HTML(string=report_html(client_name, entries, generated_at), url_fetcher=refuse_every_url)
    pdf: bytes = html.write_pdf()
    return pdf
