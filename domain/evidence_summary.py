"""The evidence summary: a short PDF that tells a court, in plain words, what the audit record of a subject says.

Who was asked to sign what, how they were identified, what they saw, what they did and when, and
how anyone can check it. It is written from the subject's audit events and their payloads only
(the same ones the bundle proves), so it can say nothing the record does not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.audit.event import AuditEvent
from domain.sealing.html_pages import HtmlPageWriter, sandboxed_template

# What each recorded step means, for a reader who does not know our event names.
PLAIN_ACTIONS: Mapping[str, str] = {
    "document.created": "The document was drawn up",
    "document.version_created": "A new version of the document was drawn up",
    "envelope.created": "The document was sent for signature",
    "envelope.sent": "A signing invitation was e-mailed",
    "envelope.reminded": "A reminder was e-mailed",
    "signer.invited": "A signing invitation was e-mailed",
    "signer.reminded": "A reminder was e-mailed",
    "signer.delivered": "The invitation was accepted by the mail server",
    "signer.opened": "The signer opened their personal link",
    "signer.consented": "The signer agreed to sign electronically",
    "signer.code_sent": "A one-time code was e-mailed to the signer",
    "signer.code_verified": "The signer entered the correct one-time code",
    "signer.code_failed": "The signer entered a wrong one-time code",
    "signer.viewed": "The document was shown to the signer",
    "signer.signed": "The signer signed",
    "signer.declined": "The signer refused to sign",
    "document.sealed": "The signed document was sealed and filed",
    "envelope.completed": "Every party had signed",
    "envelope.copy_mailed": "Signed copies were e-mailed to the parties",
    "envelope.copy_not_mailed": "The signed copy could not be e-mailed",
    "envelope.seal_deferred": "Sealing was postponed, to be tried again",
    "envelope.declined": "A signer declined, which ended the signing",
    "envelope.refusal_filed": "The record of the refusal to sign was filed",
    "envelope.notice_mailed": "The parties were told the outcome by e-mail",
    "envelope.notice_not_mailed": "The notice of the outcome could not be e-mailed",
    "document.archive_timestamped": "An archive timestamp was added to the signed copy",
    "signer.embedded_link_issued": "A signing link was issued for the sender's own website",
    "signer.view_delivered": "The whole document was shown to the signer",
    "signer.page_viewed": "A page of the document was shown to the signer",
    "envelope.voided": "The sender withdrew the document",
    "envelope.expired": "The signing period ended without every signature",
    "evidence.exported": "This evidence was exported",
    "risk.created": "The risk was recorded",
    "risk.letter_linked": "A decline-of-service letter was linked to the risk",
    "risk.sent": "The letter was sent to the client",
    "risk.viewed": "The client was shown the letter",
    "risk.accepted": "The client accepted the risk in writing",
    "risk.refused": "The client refused to sign the letter (they were told in writing)",
    "risk.revoked": "The risk acceptance was revoked",
    "risk.remediated": "The recommended control was put in place",
    "risk.renewed": "The risk acceptance was renewed",
    "risk.review_due": "The risk acceptance came due for review",
    "risk.expired": "The risk acceptance expired",
    "legal_hold.placed": "A legal hold was placed",
    "legal_hold.released": "A legal hold was released",
    "retention.extended": "Retention was extended from the end of the relationship",
    "dunning.notice_issued": "A payment notice was issued",
}

_TEMPLATE = """<!doctype html><html><head><meta charset="utf-8"><style>
@page { size: A4; margin: 18mm 16mm; @bottom-right { content: "Page " counter(page) " of " counter(pages);
  font-size: 8pt; color: #555; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; color: #111; line-height: 1.35; }
h1 { font-size: 16pt; margin: 0 0 2mm; } h2 { font-size: 11.5pt; margin: 6mm 0 2mm; }
p.lead { color: #333; margin: 0 0 4mm; }
table { width: 100%; border-collapse: collapse; } th, td { text-align: left; vertical-align: top;
  padding: 1.2mm 1.5mm; border-bottom: 0.3pt solid #bbb; } th { background: #eee; font-size: 8.5pt; }
tr { break-inside: avoid; } td.when { white-space: nowrap; width: 31mm; }
.hash { font-family: "DejaVu Sans Mono", monospace; font-size: 7pt; word-break: break-all; }
.small { font-size: 8pt; color: #333; }
</style></head><body>
<h1>Evidence summary</h1>
<p class="lead">{{ subject_label }} &middot; exported {{ exported_at }} &middot; outcome: <b>{{ outcome }}</b></p>

{% if people %}<h2>Who was asked to sign</h2>
<table><tr><th>Name</th><th>E-mail</th><th>Title</th><th>For</th></tr>
{% for p in people %}<tr><td>{{ p.name|clean }}</td><td>{{ p.email|clean }}</td><td>{{ p.title|clean }}</td>
<td>{{ p.role|clean }}</td></tr>{% endfor %}</table>{% endif %}

{% if documents %}<h2>What they were asked to sign</h2>
<table><tr><th>Document</th><th>SHA-256 (compare with the file)</th></tr>
{% for d in documents %}<tr><td>{{ d.label|clean }}</td><td class="hash">{{ d.sha256 }}</td></tr>{% endfor %}
</table>{% endif %}

<h2>What happened, in order</h2>
<table><tr><th>When (UTC)</th><th>What</th><th>By</th><th>Details</th></tr>
{% for e in events %}<tr><td class="when">{{ e.at }}</td><td>{{ e.what|clean }}</td><td>{{ e.who|clean }}</td>
<td class="small">{{ e.details|clean }}</td></tr>{% endfor %}</table>

<h2>How to check this</h2>
<p>Every step above is an entry of an append-only audit log kept by the service. The evidence
bundle this summary came with holds each entry, its details, and a proof that the entry is part of the
log as signed by the service (a Merkle inclusion proof against a signed tree head, as in Certificate
Transparency). Run <b>verify_audit_chain.py</b> (Python and the <i>cryptography</i> package only) on the
bundle with the service certificate fingerprint below; it checks every file, every proof and every
signature, and that each document's SHA-256 is the one recorded in the log. Signed PDFs also carry
their own digital seal, which any PDF reader can check.</p>
<p class="small">Service certificate SHA-256: <span class="hash">{{ fingerprint }}</span><br>
Audit log size when exported: {{ tree_size }} entries.</p>
</body></html>
"""


@dataclass(frozen=True)
class SummaryDocument:
    """A document the summary names, with the SHA-256 a reader can compare the file with."""

    label: str
    sha256: str


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _details(action: str, payload: Mapping[str, Any] | None, event: AuditEvent) -> str:
    """Say what a person needs from an event's details: names, attestations, reasons, how identified."""
    data = dict(payload or {})
    parts: list[str] = []
    if action == "signer.signed":
        parts.append(f"signed as {data.get('name', '')}, {data.get('title', '')}")
        parts.append(f"method: {'drawn signature' if data.get('method') == 'drawn' else 'typed name'}")
        if data.get("attestation"):
            parts.append(str(data["attestation"]))
        if data.get("seen"):
            parts.append(f"shown before signing: {data['seen']}")
    elif action == "signer.declined":
        parts.append(f"reason given: {data.get('reason', '')}")
        if data.get("seen"):
            parts.append(f"shown before declining: {data['seen']}")
    elif action == "signer.consented":
        parts.append(f"disclosure version {data.get('disclosure_version', '')}")
    elif action == "signer.viewed" and "page" in data and "pages" in data:
        parts.append(f"first page shown: page {data['page']} of {data['pages']}")
    elif action == "signer.viewed" and "pages" in data:
        parts.append(f"{data['pages']} page(s) shown")
    elif data.get("reason") and isinstance(data["reason"], str):
        parts.append(f"reason: {data['reason']}")
    elif action in ("signer.code_sent", "envelope.sent", "signer.invited") and data.get("to"):
        parts.append(f"to {data['to']}")
    if event.ip:
        parts.append(f"from IP {event.ip}")
    if event.user_agent:
        parts.append(f"browser: {event.user_agent[:90]}")
    return "; ".join(part for part in parts if part.strip())


def summary_context(
    *,
    subject_label: str,
    outcome: str,
    events: Sequence[tuple[AuditEvent, Mapping[str, Any] | None]],
    documents: Sequence[SummaryDocument],
    fingerprint: str,
    tree_size: int,
    exported_at: datetime,
) -> dict[str, Any]:
    """Return the values the summary page shows (plain words, no internal names)."""
    people: list[dict[str, str]] = []
    rows = []
    for event, payload in events:
        if event.action == "envelope.created" and payload:
            for signer in payload.get("signers", []):
                role = {"client": "the client", "msp": "the provider"}.get(signer.get("role", ""), signer.get("role"))
                people.append(
                    {
                        "name": signer.get("name", ""),
                        "email": signer.get("email", ""),
                        "title": signer.get("title", ""),
                        "role": str(role),
                    }
                )
        who = "the service" if event.actor.kind == "system" else event.actor.id
        rows.append(
            {
                "at": _when(event.at),
                "what": PLAIN_ACTIONS.get(event.action, event.action.replace(".", ": ").replace("_", " ")),
                "who": who,
                "details": _details(event.action, payload, event),
            }
        )
    return {
        "subject_label": subject_label,
        "outcome": outcome,
        "people": people,
        "documents": [{"label": d.label, "sha256": d.sha256} for d in documents],
        "events": rows,
        "fingerprint": fingerprint,
        "tree_size": tree_size,
        "exported_at": _when(exported_at) + " UTC",
    }


def render_summary(writer: HtmlPageWriter, context: dict[str, Any], *, identifier: bytes) -> bytes:
    """Render the summary PDF (same context, same bytes)."""
    return writer.write_pdf(sandboxed_template(_TEMPLATE), context, identifier=identifier)
