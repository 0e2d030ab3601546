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

from domain.assembly.paper import Paper
from domain.assembly.sandbox import format_date
from domain.risks import OPEN_ACCEPTED, RiskEntry, RiskStatus

_CSS = """
@page { margin: 26mm 16mm 18mm 16mm;
  @top-left { content: element(letterhead); }
  @bottom-left { content: "Risk acceptance report"; font: 7.5pt "DejaVu Sans", sans-serif; color: #555; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 7.5pt "DejaVu Sans", sans-serif;
                  color: #555; } }
body { margin: 0; font: 9pt/1.35 "DejaVu Sans", sans-serif; color: #222; }
.letterhead { position: running(letterhead); border-bottom: 0.75pt solid #5b7c99; padding-bottom: 2mm;
              font-size: 8pt; color: #444; }
.letterhead strong { font-size: 9pt; color: #111; }
h1 { font-size: 15pt; color: #1f3a5f; margin: 0 0 2mm 0; } h2 { font-size: 11.5pt; color: #1f3a5f; margin-top: 12pt; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; font-size: 8pt; }
th, td { border-bottom: 0.5pt solid #bbb; padding: 2.5pt 3pt; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; hyphens: auto; }
th { background: #eef2f6; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
col.record { width: 13%; } col.risk { width: 23%; } col.outcome { width: 15%; }
col.date { width: 11%; } col.signers { width: 16%; }
"""

#: The outcome and current state of a record, in the words a client reads.
STATUS_WORDS = {
    RiskStatus.DRAFT: "draft",
    RiskStatus.SENT: "sent for signature",
    RiskStatus.VIEWED: "viewed",
    RiskStatus.ACCEPTED: "in force",
    RiskStatus.REFUSED: "refused to sign",
    RiskStatus.REVIEW_DUE: "due for review",
    RiskStatus.RENEWED: "renewed",
    RiskStatus.REVOKED: "withdrawn by the client",
    RiskStatus.REMEDIATED: "fixed: the control was put in place",
    RiskStatus.EXPIRED: "expired",
}


def refuse_every_url(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The WeasyPrint URL fetcher of the report: nothing outside the document may be loaded."""
    raise ValueError(f"the risk report loads no resources ({url[:40]!r} refused)")


def chart_svg(entries: Sequence[RiskEntry]) -> str:
    """Return an inline SVG bar chart of open accepted risks (accepted or review-due) by category."""
    # Bars are labelled with the risk's title as the letters print it, not the catalogue key.
    counts = Counter(entry.title for entry in entries if entry.status in OPEN_ACCEPTED)
    if not counts:
        return "<p>No open accepted risks.</p>"
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    top = max(counts.values())
    bar_h, gap, label_w, width = 16, 6, 230, 520
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
    return escape(f"{entry.approver_name} ({entry.approver_title})") + ", not signed"


def outcome_words(entry: RiskEntry) -> str:
    """Return the decision and, when it differs, the record's state now ("Accepted; now due for review")."""
    decided = "Accepted" if entry.accepted_at else "Refused to sign"
    now = STATUS_WORDS.get(entry.status, entry.status.value)
    if (entry.accepted_at and entry.status is RiskStatus.ACCEPTED) or entry.status is RiskStatus.REFUSED:
        return decided
    return f"{decided}; now {now}"


def report_html(
    client_name: str,
    entries: Sequence[RiskEntry],
    generated_at: datetime,
    *,
    msp_name: str = "",
    msp_address: str = "",
    paper: Paper = Paper.A4,
) -> str:
    """Return the report as HTML: letterhead, the chart, and accepted and refused risks with dates and signers."""
    shown = [e for e in entries if e.accepted_at is not None or e.refused_at is not None]
    rows = []
    for entry in shown:
        decided = entry.accepted_at or entry.refused_at
        rows.append(
            "<tr>"
            f"<td>{escape(entry.record_id)}</td><td>{escape(entry.title)}</td>"
            f"<td>{escape(outcome_words(entry))}</td>"
            f"<td>{format_date(entry.date_first_recommended)}</td>"
            f"<td>{format_date(decided.date()) if decided else ''}</td>"
            f"<td>{format_date(entry.review_on)}</td><td>{_signers(entry)}</td>"
            "</tr>"
        )
    table = (
        "<table><colgroup><col class='record'><col class='risk'><col class='outcome'><col class='date'>"
        "<col class='date'><col class='date'><col class='signers'></colgroup>"
        "<thead><tr><th>Record</th><th>Risk</th><th>Outcome</th><th>First recommended</th>"
        "<th>Decided</th><th>Review by</th><th>Signed by</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        if rows
        else "<p>No risk has been accepted or refused in writing yet.</p>"
    )
    letterhead = (
        f"<div class='letterhead'><strong>{escape(msp_name)}</strong>"
        + (f"<br/>{escape(msp_address)}" if msp_address else "")
        + "</div>"
        if msp_name
        else ""
    )
    return (
        f"<html lang='en'><head><meta charset='utf-8'><style>{_CSS}@page {{ size: {paper.value}; }}"
        f".letterhead {{ width: {paper.size_mm[0] - 32:.1f}mm; }}</style></head>"
        f"<body>{letterhead}"
        f"<h1>Risk acceptance report: {escape(client_name)}</h1>"
        f"<p>Prepared on {format_date(generated_at.date())} at {generated_at.strftime('%H:%M')} UTC from the "
        "record of risks the client accepted or declined in writing.</p>"
        f"<h2>Open accepted risks by category</h2>{chart_svg(entries)}"
        f"<h2>Accepted and refused risks</h2>{table}</body></html>"
    )


def render_report(
    client_name: str,
    entries: Sequence[RiskEntry],
    generated_at: datetime,
    *,
    msp_name: str = "",
    msp_address: str = "",
    paper: Paper = Paper.A4,
) -> bytes:
    """Return the report as PDF bytes (letterhead of ``msp_name``, on ``paper``, pages numbered)."""
    page = report_html(client_name, entries, generated_at, msp_name=msp_name, msp_address=msp_address, paper=paper)
    html = HTML(string=page, url_fetcher=refuse_every_url)
    pdf: bytes = html.write_pdf()
    return pdf
