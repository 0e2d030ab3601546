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

from markupsafe import Markup
from weasyprint.text.fonts import FontConfiguration

from domain.errors import FieldError, InvalidInput
from domain.languages import ENGLISH, N_, Translator
from domain.sealing.html_pages import HtmlPageWriter, sandboxed_template
from domain.sealing.stamping import (
    OVERLAY_SHEETS,
    OVERLAY_STYLE,
    SCRIPT_FONT_FAMILY,
    OverlayPlan,
    format_utc,
)

A4_POINTS = (595.2756, 841.8898)
#: Page totals the certificate's stylesheet spells out: enough for any certificate but one with thousands of events.
_NUMBERED_PAGES = 200
_HEX64 = re.compile(r"^[0-9a-f]{64}$")

#: What each recorded event means, in the words a client reads on the certificate. The codes stay in
#: the audit trail and the evidence bundle; an unknown code prints as "Recorded: <code>".
EVENT_WORDS = {
    "envelope.created": N_("Prepared the document for signature"),
    "envelope.sent": N_("Sent the signing link by e-mail"),
    "envelope.reminded": N_("Sent a reminder by e-mail"),
    "signer.delivered": N_("Signing link e-mail delivered"),
    "signer.opened": N_("Opened the signing link"),
    "signer.consented": N_("Agreed to do business electronically"),
    "signer.viewed": N_("Viewed the document"),
    "signer.code_sent": N_("Was sent a one-time code by e-mail"),
    "signer.code_verified": N_("Entered the correct one-time code"),
    "signer.code_failed": N_("Entered a wrong one-time code"),
    "signer.signed": N_("Signed the document"),
    "signer.declined": N_("Declined to sign"),
    "envelope.completed": N_("All parties signed"),
    "envelope.voided": N_("Cancelled the signing request"),
    "envelope.expired": N_("The signing request expired"),
    "envelope.seal_deferred": N_("Sealing postponed (timestamp service unavailable)"),
    "envelope.copy_mailed": N_("E-mailed the signed copy"),
    "envelope.copy_not_mailed": N_("Could not e-mail the signed copy"),
}


def event_words(action: str, t: Translator = ENGLISH) -> str:
    """Return the plain description of an event code, in the language of ``t``."""
    if action in EVENT_WORDS:
        return t.gettext(EVENT_WORDS[action])
    return t.gettext("Recorded: %(code)s") % {"code": action}


def event_person(actor: str, signer_names: Sequence[str], issuer: str, t: Translator = ENGLISH) -> str:
    """Return who did it as a person or party: the signer's name, the MSP for its staff and API keys."""
    if actor in signer_names:
        return actor
    if actor.startswith("system:"):
        return t.gettext("Signing service")
    return issuer


#: How a signature was made, as the certificate says it.
SIGNATURE_METHOD_WORDS = {"typed": N_("typed"), "drawn": N_("drawn")}


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
    # The MSP's person who sent the document for signature, when a named user did (name, title).
    sender_name: str | None = None
    sender_title: str | None = None
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


CERTIFICATE_TEMPLATE = (
    """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ _("Certificate of completion") }}</title><style>
@page { size: {{ width }}pt {{ height }}pt; margin: 42pt 40pt 48pt 40pt;
  @bottom-left { content: "{{ footer_left }}";
                 font: 7pt "DejaVu Sans", sans-serif; color: #555; }
  @bottom-right { content: {{ footer_page }};
                  font: 7pt "DejaVu Sans", sans-serif; color: #555; } }
@page :first { counter-reset: page {{ first_page }}; }
@counter-style file-total { system: fixed {{ total_from }}; symbols: {{ total_symbols }}; }
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
body { margin: 0; }
.certificate { margin: 8px; }
"""
    + OVERLAY_STYLE
    + """
</style></head><body>
<div class="certificate">
<div class="letterhead">{{ r.issuer|clean }}</div>
<h1>{{ _("Certificate of completion") }}</h1>
<p class="note">{% trans issuer=r.issuer|clean %}Issued by {{ issuer }} when every party had signed the document
below. All times are UTC.{% endtrans %}</p>

<h2>{{ _("Document") }}</h2>
<div class="row"><div class="k">{{ _("Title") }}</div><div class="v">{{ r.document_title|clean }}</div></div>
<div class="row"><div class="k">{{ _("Envelope") }}</div><div class="v mono">{{ r.envelope_id|clean }}</div></div>
<div class="row"><div class="k">{{ _("Document") }}</div>
<div class="v mono">{% trans id=r.document_id|clean, version=r.document_version %}{{ id }} (version {{ version }})\
{% endtrans %}</div></div>
<div class="row"><div class="k">{{ _("Template") }}</div>
<div class="v mono">{% trans id=r.template_id|clean, version=r.template_version|clean %}\
{{ id }} (version {{ version }}){% endtrans %}</div></div>
<div class="row"><div class="k">{{ _("Sent") }}</div><div class="v">{{ sent_at }}</div></div>
{% if r.sender_name %}<div class="row" id="sender"><div class="k">{{ _("Sent by") }}</div>
<div class="v">{{ r.sender_name|clean }}{% if r.sender_title %}, {{ r.sender_title|clean }}{% endif %},
{{ r.issuer|clean }}</div></div>{% endif %}
<div class="row"><div class="k">{{ _("Completed") }}</div><div class="v">{{ completed_at }}</div></div>
<div class="row"><div class="k">{{ _("SHA-256 of the document as sent") }}</div>
<div class="v mono">{{ r.sent_sha256 }}</div></div>
<p class="note">{% trans eof=eof_marker %}Revision 1 of this PDF file is, byte for byte, the document sent to the
signers: cut the file after its first end-of-file marker ({{ eof }}) and the SHA-256 of that part equals the value
above. The signature stamps and this certificate were added as a later revision, and the whole file is sealed with
the service's PAdES signature. The SHA-256 of the final sealed file cannot be printed inside the file itself; it is
recorded in the envelope's audit trail and is covered by the seal.{% endtrans %}</p>
{% if r.seal_profile %}<p class="note" id="seal-profile">{% trans profile=_(r.seal_profile)|clean %}Seal: \
{{ profile }}.{% endtrans %}</p>{% endif %}

<h2>{{ _("Signers") }}</h2>
{% for s in signers %}
<div class="signer">
<div class="row"><div class="k">{{ _("Name") }}</div><div class="v">{{ s.name|clean }}</div></div>
<div class="row"><div class="k">{{ _("Title") }}</div><div class="v">{{ s.title|clean }}</div></div>
<div class="row"><div class="k">{{ _("E-mail") }}</div><div class="v">{{ s.email|clean }}</div></div>
<div class="row"><div class="k">{{ _("Authority") }}</div><div class="v">{{ s.authority_attestation|clean }}</div></div>
<div class="row"><div class="k">{{ _("Authentication") }}</div><div class="v">{{ s.auth_method|clean }}</div></div>
<div class="row"><div class="k">{{ _("Electronic records consent") }}</div>
<div class="v">{% trans version=s.consent_version|clean, at=s.consented_at %}version {{ version }}, {{ at }}\
{% endtrans %}</div></div>
{% if s.viewed_at %}<div class="row"><div class="k">{{ _("Viewed") }}</div>
<div class="v">{{ s.viewed_at }}{% if s.pages_seen %} ({% trans pages=s.pages_seen|clean %}{{ pages }} shown\
{% endtrans %}){% endif %}</div></div>
{% elif s.pages_seen %}<div class="row"><div class="k">{{ _("Viewed") }}</div>
<div class="v">{{ s.pages_seen|clean }}</div></div>
{% endif %}
<div class="row"><div class="k">{{ _("Signed") }}</div>
<div class="v">{{ s.signed_at }} ({{ s.signature_method|clean }})</div></div>
<div class="row"><div class="k">{{ _("IP address") }}</div><div class="v mono">{{ s.ip|clean }}</div></div>
</div>
{% endfor %}

<h2>{{ _("What happened") }}</h2>
{% for e in events %}
<div class="event"><span class="when">{{ e.at }}</span> &middot; {{ e.who|clean }}: {{ e.what|clean }}
{% if e.ip %} &middot; {% trans ip=e.ip|clean %}from IP address <span class="mono">{{ ip }}</span>{% endtrans %}\
{% endif %}</div>
{% endfor %}
<p class="note small">{% trans %}Browser and request details of each event are kept in the audit trail and the
evidence bundle.{% endtrans %}</p>
</div>
"""
    + OVERLAY_SHEETS
    + """
</body></html>
"""
)
_CERTIFICATE = sandboxed_template(CERTIFICATE_TEMPLATE)


def _css_string_safe(value: str) -> str:
    # The envelope id goes into a CSS string in the page footer, where HTML escaping does not apply.
    return re.sub(r"[^A-Za-z0-9._:\-]", "", value)[:64]


def _css_text(value: str) -> Markup:
    """Return translated text for a CSS string in the stylesheet (escaped for CSS; HTML escaping would show)."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,:;()-\u2014\u2019" else f"\\{ord(ch):x} " for ch in value)
    return Markup(escaped)  # noqa: S704  (every character outside a safe set is CSS-escaped above)


class CertificateRenderer:
    """Renders :class:`CompletionRecord` values to certificate-of-completion PDFs (one per worker)."""

    def __init__(self, font_config: FontConfiguration | None = None) -> None:
        self._pages = HtmlPageWriter(font_config)

    def render(
        self,
        record: CompletionRecord,
        *,
        page_size: tuple[float, float] = A4_POINTS,
        translator: Translator = ENGLISH,
        language: str = "en",
        overlay: OverlayPlan | None = None,
    ) -> bytes:
        """Return the certificate as PDF bytes with pages of ``page_size`` points (width, height).

        Pages are numbered as part of the whole sealed file ("Page 12 of 13"): the certificate starts
        at ``record.first_page``, and the total is the certificate's own page count (the ``pages``
        counter) shifted by the pages before it, so one layout knows it. Its words are
        ``translator``'s (``language`` is the page's ``lang``); names, titles and the attestations stay
        as the signers gave them. With ``overlay``, the signature stamps' overlay sheets follow the
        certificate's pages in the same PDF (one layout and one PDF for both).
        """
        identifier = hashlib.sha256(f"certificate:{record.envelope_id}:{record.sent_sha256}".encode()).digest()[:16]
        sheets = len(overlay.sheets) if overlay is not None else 0
        numbered = _NUMBERED_PAGES
        while True:
            values = self.context(
                record,
                page_size=page_size,
                translator=translator,
                language=language,
                overlay=overlay,
                numbered_pages=numbered,
            )
            document = self._pages.layout(_CERTIFICATE, values)
            own_pages = len(document.pages) - sheets
            if own_pages <= numbered:
                return self._pages.write(document, identifier=identifier)
            # Longer than the totals the stylesheet spells out (thousands of events): lay out again.
            numbered = own_pages

    def html(
        self,
        record: CompletionRecord,
        *,
        page_size: tuple[float, float] = A4_POINTS,
        translator: Translator = ENGLISH,
        language: str = "en",
    ) -> str:
        """Return the certificate's HTML (what the PDF is laid out from; benchmarks render it raw)."""
        values = self.context(record, page_size=page_size, translator=translator, language=language)
        return _CERTIFICATE.render(**values)

    @staticmethod
    def context(
        record: CompletionRecord,
        *,
        page_size: tuple[float, float],
        translator: Translator = ENGLISH,
        language: str = "en",
        overlay: OverlayPlan | None = None,
        numbered_pages: int | None = None,
    ) -> dict[str, Any]:
        """Return the template values of the certificate of ``record`` (and of ``overlay``'s sheets after it).

        The footer's total is ``counter(pages)`` printed through a fixed counter style whose n-th symbol
        is the file's total when the certificate has n pages (``numbered_pages`` of them are spelled out).
        """
        sheets = overlay.sheets if overlay is not None else []
        numbered = numbered_pages or _NUMBERED_PAGES
        offset = record.first_page - 1
        t = translator
        names = [s.name for s in record.signers]
        return {
            "sheets": sheets,
            "script_font": SCRIPT_FONT_FAMILY,
            "footer_page": _page_footer(t),
            # The ``pages`` counter also counts the overlay sheets, which come after the certificate.
            "total_from": len(sheets) + 1,
            "total_symbols": Markup(" ".join(f'"{offset + n}"' for n in range(1, numbered + 1))),  # noqa: S704 (digits)
            "_": t.gettext,
            "gettext": t.gettext,
            "ngettext": t.ngettext,
            "lang": language,
            "eof_marker": Markup('<span class="mono">%EOF</span>'),
            "footer_left": _css_text(
                t.gettext("Certificate of completion \u2014 envelope %(id)s")
                % {"id": _css_string_safe(record.envelope_id)}
            ),
            "r": record,
            "width": round(page_size[0], 4),
            "height": round(page_size[1], 4),
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
                    "signature_method": t.gettext(SIGNATURE_METHOD_WORDS.get(s.signature_method, s.signature_method)),
                    "ip": s.ip,
                    "user_agent": s.user_agent,
                }
                for s in record.signers
            ],
            "events": [
                {
                    "at": format_utc(e.at),
                    "who": event_person(e.actor, names, record.issuer, t),
                    "what": event_words(e.action, t),
                    # Only a signer's own address is shown; staff and service addresses are internal.
                    "ip": e.ip if e.ip and e.actor in names else "",
                }
                for e in record.events
            ],
            "first_page": record.first_page,
        }


def _page_footer(t: Translator) -> Markup:
    """Return the CSS ``content`` of "Page N of M": N is the page counter, M the file's total (see ``context``)."""
    words = t.gettext("Page %(page)s of %(total)s") % {"page": "\x00", "total": "\x01"}
    parts: list[str] = []
    for piece in re.split("([\x00\x01])", words):
        if piece == "\x00":
            parts.append("counter(page)")
        elif piece == "\x01":
            parts.append("counter(pages, file-total)")
        elif piece:
            parts.append(f'"{_css_text(piece)}"')
    return Markup(" ".join(parts))  # noqa: S704  (CSS-escaped text and two fixed counters)
