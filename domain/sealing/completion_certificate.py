"""The certificate of completion: the human-readable evidence page(s) appended before sealing.

It names the envelope, the document and its version, the template, the SHA-256 of the document as
sent (which is revision 1 of the sealed file), every signer's identity, authority attestation,
authentication method, consent version, IP, user agent and times, and the envelope's event list.
The SHA-256 of the final sealed file cannot be printed inside that same file (writing it would
change it), so the page says where that value lives: in the audit trail and under the seal.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from weasyprint.text.fonts import FontConfiguration

from domain.errors import FieldError, InvalidInput
from domain.sealing.html_pages import HtmlPageWriter, sandboxed_template
from domain.sealing.stamping import format_utc

A4_POINTS = (595.2756, 841.8898)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")

#: What each recorded event means, in the words a client reads on the certificate. The codes stay in
#: the audit trail and the evidence bundle; an unknown code prints as "Recorded: <code>".
EVENT_WORDS = {
    "envelope.created": "Prepared the document for signature",
    "envelope.sent": "Sent the signing link by e-mail",
    "envelope.reminded": "Sent a reminder by e-mail",
    "signer.delivered": "Signing link e-mail delivered",
    "signer.opened": "Opened the signing link",
    "signer.consented": "Agreed to do business electronically",
    "signer.viewed": "Viewed the document",
    "signer.code_sent": "Was sent a one-time code by e-mail",
    "signer.code_verified": "Entered the correct one-time code",
    "signer.code_failed": "Entered a wrong one-time code",
    "signer.signed": "Signed the document",
    "signer.declined": "Declined to sign",
    "envelope.completed": "All parties signed",
    "envelope.voided": "Cancelled the signing request",
    "envelope.expired": "The signing request expired",
    "envelope.seal_deferred": "Sealing postponed (timestamp service unavailable)",
    "envelope.copy_mailed": "E-mailed the signed copy",
    "envelope.copy_not_mailed": "Could not e-mail the signed copy",
}


def event_words(action: str) -> str:
    """Return the plain description of an event code."""
    return EVENT_WORDS.get(action, f"Recorded: {action}")


def event_person(actor: str, signer_names: Sequence[str], issuer: str) -> str:
    """Return who did it as a person or party: the signer's name, the MSP for its staff and API keys."""
    if actor in signer_names:
        return actor
    if actor.startswith("system:"):
        return "Signing service"
    return issuer


@dataclass(frozen=True)
class SignerEvidence:
    """What was recorded about one signer's signing."""

    name: str
    email: str
    title: str
    authority_attestation: str
    auth_method: str
    consent_version: str
    consented_at: datetime
    signed_at: datetime
    ip: str
    user_agent: str
    signature_method: str
    viewed_at: datetime | None = None
    # Which pages were delivered to the signer, in words ("all 3 pages", "pages 1-2 of 9"); "" = not recorded.
    pages_seen: str = ""


@dataclass(frozen=True)
class EventRecord:
    """One event of the envelope as the audit trail has it."""

    at: datetime
    actor: str
    action: str
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class CompletionRecord:
    """Everything the certificate of completion states."""

    envelope_id: str
    document_id: str
    document_version: int
    document_title: str
    template_id: str
    template_version: str
    sent_sha256: str
    sent_at: datetime
    completed_at: datetime
    signers: Sequence[SignerEvidence]
    events: Sequence[EventRecord]
    issuer: str = "undersign"
    # The PAdES level of the seal, in words (filled in by the completer, which knows the sealer).
    seal_profile: str = ""
    #: The certificate's pages are numbered on from the document's: it starts on page ``first_page``.
    first_page: int = 1

    def __post_init__(self) -> None:
        if not _HEX64.fullmatch(self.sent_sha256):
            raise InvalidInput(
                "The completion record is invalid.",
                errors=[FieldError("sent_sha256", "must be 64 lowercase hex digits")],
            )
        if not self.signers:
            raise InvalidInput(
                "The completion record is invalid.", errors=[FieldError("signers", "at least one signer")]
            )


_CERTIFICATE = sandboxed_template(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Certificate of completion</title><style>
@page { size: {{ width }}pt {{ height }}pt; margin: 42pt 40pt 48pt 40pt;
  @bottom-left { content: "Certificate of completion \\2014  envelope {{ envelope_id_css }}";
                 font: 7pt "DejaVu Sans", sans-serif; color: #555; }
  @bottom-right { content: "Page " counter(page) " of {{ total_pages }}";
                  font: 7pt "DejaVu Sans", sans-serif; color: #555; } }
@page :first { counter-reset: page {{ first_page }}; }
body { font: 8.5pt/1.35 "DejaVu Sans", "Liberation Sans", sans-serif; color: #111; }
.letterhead { font-weight: bold; font-size: 9pt; color: #1f3a5f; padding-bottom: 3pt; margin-bottom: 10pt;
  border-bottom: 0.75pt solid #5b7c99; }
h1 { font-size: 15pt; margin: 0 0 4pt 0; color: #1f3a5f; }
h2 { font-size: 10.5pt; margin: 14pt 0 4pt 0; border-bottom: 0.6pt solid #888; }
p.note { color: #333; margin: 2pt 0; }
.row { overflow: hidden; padding: 1pt 0; }
.k { float: left; width: 30%; font-weight: bold; }
.v { margin-left: 31%; overflow-wrap: break-word; }
.mono { font-family: "DejaVu Sans Mono", monospace; font-size: 7.5pt; }
.signer { break-inside: avoid; margin-bottom: 8pt; }
.small { font-size: 7pt; }
.event { padding: 1.5pt 0; border-bottom: 0.3pt solid #ddd; break-inside: avoid; overflow-wrap: break-word; }
.event .when { font-weight: bold; }
</style></head><body>
<div class="letterhead">{{ r.issuer|clean }}</div>
<h1>Certificate of completion</h1>
<p class="note">Issued by {{ r.issuer|clean }} when every party had signed the document below. All times are UTC.</p>

<h2>Document</h2>
<div class="row"><div class="k">Title</div><div class="v">{{ r.document_title|clean }}</div></div>
<div class="row"><div class="k">Envelope</div><div class="v mono">{{ r.envelope_id|clean }}</div></div>
<div class="row"><div class="k">Document</div>
<div class="v mono">{{ r.document_id|clean }} (version {{ r.document_version }})</div></div>
<div class="row"><div class="k">Template</div>
<div class="v mono">{{ r.template_id|clean }} (version {{ r.template_version|clean }})</div></div>
<div class="row"><div class="k">Sent</div><div class="v">{{ sent_at }}</div></div>
<div class="row"><div class="k">Completed</div><div class="v">{{ completed_at }}</div></div>
<div class="row"><div class="k">SHA-256 of the document as sent</div><div class="v mono">{{ r.sent_sha256 }}</div></div>
<p class="note">Revision 1 of this PDF file is, byte for byte, the document sent to the signers: cut the
file after its first end-of-file marker (<span class="mono">%%EOF</span>) and the SHA-256 of that part
equals the value above. The signature stamps and this certificate were added as a later revision, and
the whole file is sealed with the service's PAdES signature. The SHA-256 of the final sealed file cannot
be printed inside the file itself; it is recorded in the envelope's audit trail and is covered by the seal.</p>
{% if r.seal_profile %}<p class="note" id="seal-profile">Seal: {{ r.seal_profile|clean }}.</p>{% endif %}

<h2>Signers</h2>
{% for s in signers %}
<div class="signer">
<div class="row"><div class="k">Name</div><div class="v">{{ s.name|clean }}</div></div>
<div class="row"><div class="k">Title</div><div class="v">{{ s.title|clean }}</div></div>
<div class="row"><div class="k">E-mail</div><div class="v">{{ s.email|clean }}</div></div>
<div class="row"><div class="k">Authority</div><div class="v">{{ s.authority_attestation|clean }}</div></div>
<div class="row"><div class="k">Authentication</div><div class="v">{{ s.auth_method|clean }}</div></div>
<div class="row"><div class="k">Electronic records consent</div>
<div class="v">version {{ s.consent_version|clean }}, {{ s.consented_at }}</div></div>
{% if s.viewed_at %}<div class="row"><div class="k">Viewed</div>
<div class="v">{{ s.viewed_at }}{% if s.pages_seen %} ({{ s.pages_seen|clean }} shown){% endif %}</div></div>
{% elif s.pages_seen %}<div class="row"><div class="k">Viewed</div><div class="v">{{ s.pages_seen|clean }}</div></div>
{% endif %}
<div class="row"><div class="k">Signed</div>
<div class="v">{{ s.signed_at }} ({{ s.signature_method|clean }})</div></div>
<div class="row"><div class="k">IP address</div><div class="v mono">{{ s.ip|clean }}</div></div>
</div>
{% endfor %}

<h2>What happened</h2>
{% for e in events %}
<div class="event"><span class="when">{{ e.at }}</span> &middot; {{ e.who|clean }}: {{ e.what|clean }}
{% if e.ip %} &middot; from IP address <span class="mono">{{ e.ip|clean }}</span>{% endif %}</div>
{% endfor %}
<p class="note small">Browser and request details of each event are kept in the audit trail and the
evidence bundle.</p>
</body></html>
"""
)


def _css_string_safe(value: str) -> str:
    # The envelope id goes into a CSS string in the page footer, where HTML escaping does not apply.
    return re.sub(r"[^A-Za-z0-9._:\-]", "", value)[:64]


class CertificateRenderer:
    """Renders :class:`CompletionRecord` values to certificate-of-completion PDFs (one per worker)."""

    def __init__(self, font_config: FontConfiguration | None = None) -> None:
        self._pages = HtmlPageWriter(font_config)

    def render(self, record: CompletionRecord, *, page_size: tuple[float, float] = A4_POINTS) -> bytes:
        """Return the certificate as PDF bytes with pages of ``page_size`` points (width, height).

        Pages are numbered as part of the whole sealed file ("Page 12 of 13"): the certificate starts
        at ``record.first_page``. It is laid out once on the guess that it fills one page (the common
        case) and again only when it runs longer, with the total it then knows.
        """
        identifier = hashlib.sha256(f"certificate:{record.envelope_id}:{record.sent_sha256}".encode()).digest()[:16]
        own_pages = 1
        while True:
            total = record.first_page - 1 + own_pages
            document = self._pages.layout(_CERTIFICATE, self.context(record, page_size=page_size, total_pages=total))
            if len(document.pages) == own_pages:
                return self._pages.write(document, identifier=identifier)
            own_pages = len(document.pages)

    def html(self, record: CompletionRecord, *, page_size: tuple[float, float] = A4_POINTS, total_pages: int) -> str:
        """Return the certificate's HTML (what the PDF is laid out from; benchmarks render it raw)."""
        return _CERTIFICATE.render(**self.context(record, page_size=page_size, total_pages=total_pages))

    @staticmethod
    def context(record: CompletionRecord, *, page_size: tuple[float, float], total_pages: int) -> dict[str, Any]:
        """Return the template values of the certificate of ``record`` in a file of ``total_pages`` pages."""
        names = [s.name for s in record.signers]
        return {
            "r": record,
            "width": round(page_size[0], 4),
            "height": round(page_size[1], 4),
            "envelope_id_css": _css_string_safe(record.envelope_id),
            "sent_at": format_utc(record.sent_at),
            "completed_at": format_utc(record.completed_at),
            "signers": [
                {
                    "name": s.name,
                    "title": s.title,
                    "email": s.email,
                    "authority_attestation": s.authority_attestation,
                    "auth_method": s.auth_method,
                    "consent_version": s.consent_version,
                    "consented_at": format_utc(s.consented_at),
                    "viewed_at": format_utc(s.viewed_at) if s.viewed_at else None,
                    "pages_seen": s.pages_seen,
                    "signed_at": format_utc(s.signed_at),
                    "signature_method": s.signature_method,
                    "ip": s.ip,
                    "user_agent": s.user_agent,
                }
                for s in record.signers
            ],
            "events": [
                {
                    "at": format_utc(e.at),
                    "who": event_person(e.actor, names, record.issuer),
                    "what": event_words(e.action),
                    # Only a signer's own address is shown; staff and service addresses are internal.
                    "ip": e.ip if e.ip and e.actor in names else "",
                }
                for e in record.events
            ],
            "first_page": record.first_page,
            "total_pages": str(total_pages),
        }
