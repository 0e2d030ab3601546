"""Envelopes: a document version sent to signers in order, and the rules of the signing ceremony.

An envelope is ``sent`` until every signer has signed (then ``completing`` while the sealed copy is
made, then ``completed``), or until someone declines, the sender voids it, or it expires. Signers
with equal ``order`` sign in parallel; a higher order is invited only when every lower one signed.

Signer links carry a 256-bit random token; only its SHA-256 is stored, so a copy of the database
does not let anyone sign. One-time codes are 6 digits, live 10 minutes, and after 5 wrong tries the
signer is locked out (a new code must be sent by the sender's reminder). Consent to do business
electronically is asked before anything else, with a versioned disclosure whose version is recorded.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from io import BytesIO
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.rw_common import PdfHandler, find_inherited_value_in_tree

from domain.assembly.records import SignatureBoxRecord
from domain.calendar_years import add_years
from domain.document_kind import DocumentKind
from domain.email_address import email_problem
from domain.errors import FieldError, InvalidInput, InvalidTransition
from domain.languages import DEFAULT_LANGUAGE, ENGLISH, N_, Translator, language_problem
from domain.sealing.stamping import SignatureBox
from domain.text import text_problem

MAX_SIGNERS = 10
TOKEN_BYTES = 32  # 256 bits
OTP_DIGITS = 6


class EnvelopeStatus(StrEnum):
    """Where an envelope is in its life."""

    SENT = "sent"
    COMPLETING = "completing"
    COMPLETED = "completed"
    DECLINED = "declined"
    VOIDED = "voided"
    EXPIRED = "expired"


class SignerStatus(StrEnum):
    """Where one signer is."""

    WAITING = "waiting"
    INVITED = "invited"
    SIGNED = "signed"
    DECLINED = "declined"


class SignerRole(StrEnum):
    """Which side a signer signs for."""

    CLIENT = "client"
    MSP = "msp"


# Versioned consent disclosures (ESIGN 15 U.S.C. 7001(c)): the version shown is recorded with the consent,
# so the exact wording each signer agreed to can be reproduced later. Never edit a published text: add one.
CONSENT_DISCLOSURES: dict[str, str] = {
    "esign-consent-1": (
        "Consent to do business electronically. By ticking the box below you agree to receive, review and "
        "sign this document electronically, and you agree that your electronic signature is the legal "
        "equivalent of your handwritten signature on it. You may instead ask the sender for a paper copy "
        "to sign by hand, at no charge, by replying to the e-mail that brought you here; you may withdraw "
        "this consent at any time before you sign by closing this page or declining. To take part you need "
        "a current web browser and an e-mail account; the signed, sealed copy is e-mailed to you as a PDF "
        "file, which you can keep and print."
    ),
    # Version 2 names a real contact for paper copies: version 1 offered replies to an e-mail that may
    # come from a no-reply address. ``{paper_contact}`` is filled from the deployment's settings and the
    # text as shown (with its hash) is recorded with each consent.
    "esign-consent-2": (
        "Consent to do business electronically. By ticking the box below you agree to receive, review and "
        "sign this document electronically, and you agree that your electronic signature is the legal "
        "equivalent of your handwritten signature on it. You may instead ask for a paper copy to sign by "
        "hand, at no charge, by writing to {paper_contact}; you may withdraw this consent at any time before "
        "you sign by closing this page or declining. To take part you need a current web browser and an "
        "e-mail account; the signed, sealed copy is e-mailed to you as a PDF file, which you can keep and print."
    ),
    # The French (Canadian) disclosure is its own text with its own version: what a French signer agrees
    # to is this wording, recorded with its hash, not a translation looked up at display time.
    "esign-consent-fr-1": (
        "Consentement à faire affaire par voie électronique. En cochant la case ci-dessous, vous acceptez de "
        "recevoir, d’examiner et de signer ce document par voie électronique, et vous reconnaissez que votre "  # noqa: RUF001
        "signature électronique a la même valeur juridique que votre signature manuscrite sur ce document. "
        "Vous pouvez plutôt demander une copie papier à signer à la main, sans frais, en écrivant à "
        "{paper_contact}; vous pouvez retirer ce consentement en tout temps avant de signer en fermant cette "
        "page ou en refusant de signer. Pour participer, il vous faut un navigateur Web à jour et une adresse "
        "courriel; la copie signée et scellée vous est envoyée par courriel en fichier PDF, que vous pouvez "
        "conserver et imprimer."
    ),
}
#: The language each disclosure version is written in (a version is never shown to a reader of another).
DISCLOSURE_LANGUAGE: dict[str, str] = {"esign-consent-1": "en", "esign-consent-2": "en", "esign-consent-fr-1": "fr"}
#: The disclosure in force for each language other than English (English follows the deployment's setting).
CURRENT_DISCLOSURES: dict[str, str] = {"fr": "esign-consent-fr-1"}
DEFAULT_PAPER_CONTACT = "the person who sent you this document"
_DEFAULT_PAPER_CONTACTS = {"en": DEFAULT_PAPER_CONTACT, "fr": "la personne qui vous a envoyé ce document"}


def disclosure_version_for(language: str, english_version: str) -> str:
    """Return the disclosure version in force for a signer reading ``language``."""
    return CURRENT_DISCLOSURES.get(language, english_version)


def disclosure_text(version: str, paper_contact: str | None) -> str:
    """Return the consent disclosure ``version`` as shown, with the contact for paper copies filled in."""
    template = CONSENT_DISCLOSURES[version]
    if "{paper_contact}" not in template:
        return template
    fallback = _DEFAULT_PAPER_CONTACTS[DISCLOSURE_LANGUAGE.get(version, DEFAULT_LANGUAGE)]
    return template.replace("{paper_contact}", (paper_contact or "").strip() or fallback)


@dataclass(frozen=True)
class SignerSpec:
    """A signer as the sender names them."""

    name: str
    email: str
    title: str
    role: SignerRole
    order: int
    # The language of the signer's pages, mails and disclosure (a code of ``domain.languages.LANGUAGES``).
    language: str = DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Signer:
    """One signer of an envelope and everything recorded about their signing."""

    id: str
    envelope_id: str
    position: int
    name: str
    email: str
    title: str
    role: SignerRole
    order: int
    status: SignerStatus
    invited_at: datetime | None = None
    opened_at: datetime | None = None
    consented_at: datetime | None = None
    consent_version: str | None = None
    viewed_at: datetime | None = None
    # 0-based indexes of the pages whose images were actually delivered to this signer: "viewed" means seen.
    viewed_pages: tuple[int, ...] = ()
    # Which whole-document views were delivered too (``reading_view``, ``pdf_download``), first delivery each.
    delivered_views: tuple[str, ...] = ()
    otp_verified_at: datetime | None = None
    otp_hash: str | None = None
    otp_expires_at: datetime | None = None
    otp_attempts: int = 0
    otp_locked: bool = False
    signed_at: datetime | None = None
    signed_name: str | None = None
    signed_title: str | None = None
    attestation: str | None = None
    signature_method: str | None = None
    typed_text: str | None = None
    signature_png: bytes | None = field(default=None, repr=False)
    declined_at: datetime | None = None
    decline_reason: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    language: str = DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Envelope:
    """A document version out for signature."""

    id: str
    document_id: str
    version: int
    client_id: str
    template_id: str
    template_version: str
    document_kind: str
    title: str
    status: EnvelopeStatus
    message: str
    otp_required: bool
    legal_hold: bool
    sent_key: str
    sent_version_id: str
    sent_sha256: str
    client_name: str
    msp_name: str
    created_at: datetime
    created_by: str
    expires_at: datetime
    reminder_every_days: int
    next_reminder_at: datetime | None
    reminders_sent: int = 0
    last_reminded_at: datetime | None = None
    completed_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None
    seal_attempts: int = 0
    seal_error: str | None = None
    signers: tuple[Signer, ...] = ()
    # Who sent it: the named user when a person did (signed in or through their key), or the name the
    # request gave, or the deployment's contracts desk. The certificate names them; ``sender_email``
    # is told how it ends (decline, void, expiry, completion), ``None`` = nobody to mail.
    sender_user_id: str | None = None
    sender_name: str | None = None
    sender_title: str | None = None
    sender_email: str | None = None

    @property
    def is_open(self) -> bool:
        """True while signers may still act."""
        return self.status is EnvelopeStatus.SENT

    def signer(self, signer_id: str) -> Signer:
        """Return the signer with this id."""
        return next(s for s in self.signers if s.id == signer_id)


@dataclass(frozen=True)
class LinkGrant:
    """What a link token opens: one signer of one envelope; an embedded link also has an end and a framing origin."""

    envelope_id: str
    signer_id: str
    expires_at: datetime | None = None
    frame_origin: str | None = None

    @property
    def embedded(self) -> bool:
        """True for a short-lived link issued for an iframe in the MSP's portal."""
        return self.frame_origin is not None


# Whole-document views a signer can be given besides the page images (recorded like page views).
READING_VIEW = "reading_view"
PDF_DOWNLOAD = "pdf_download"


@dataclass(frozen=True)
class EnvelopeEvent:
    """One event of an envelope, with who, when, and from where."""

    envelope_id: str
    at: datetime
    action: str
    actor: str
    signer_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EnvelopeFilter:
    """Which envelopes a listing returns."""

    client_id: str | None = None
    status: EnvelopeStatus | None = None


@dataclass(frozen=True)
class RetentionPolicy:
    """Object Lock for sealed files: mode and years per document kind."""

    mode: str
    years_by_kind: dict[DocumentKind, int]
    default_years: int = 7

    def years_for(self, kind: str) -> int:
        """Return how many years a sealed file of ``kind`` is kept (the default for a kind we do not know)."""
        try:
            return self.years_by_kind.get(DocumentKind(kind), self.default_years)
        except ValueError:
            return self.default_years

    def retain_until(self, kind: str, now: datetime) -> datetime:
        """Return the retain-until date of a sealed file of ``kind`` filed at ``now``."""
        return add_years(now, self.years_for(kind))


def validate_signers(specs: Sequence[SignerSpec]) -> None:
    """Refuse an empty, oversized or inconsistent signer list, naming every bad field."""
    errors: list[FieldError] = []
    if not specs:
        errors.append(FieldError("/signers", "at least one signer"))
    if len(specs) > MAX_SIGNERS:
        errors.append(FieldError("/signers", f"at most {MAX_SIGNERS} signers"))
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        where = f"/signers/{index}"
        if not spec.name.strip():
            errors.append(FieldError(f"{where}/name", "must not be empty"))
        # Signers also come from letters' variables (risk approvers), not only from the API schema:
        # the same text and address rules apply whichever way they arrive.
        for name, value in (("name", spec.name), ("title", spec.title)):
            if (problem := text_problem(value)) is not None:
                errors.append(FieldError(f"{where}/{name}", problem))
        if (problem := email_problem(spec.email)) is not None:
            errors.append(FieldError(f"{where}/email", problem))
        elif spec.email.lower() in seen:
            # One person, one signer: a second slot for the same address would let one link sign twice.
            errors.append(FieldError(f"{where}/email", "appears twice"))
        seen.add(spec.email.lower())
        if spec.order < 1:
            errors.append(FieldError(f"{where}/order", "must be at least 1"))
        if (problem := language_problem(spec.language)) is not None:
            errors.append(FieldError(f"{where}/language", problem))
    if errors:
        raise InvalidInput("The signers are invalid. Nothing was sent.", errors=errors)


def current_order(signers: Sequence[Signer]) -> int | None:
    """Return the signing order whose turn it is (lowest with someone unsigned), or ``None`` if all signed."""
    pending = [s.order for s in signers if s.status is not SignerStatus.SIGNED]
    return min(pending) if pending else None


def due_invitations(signers: Sequence[Signer]) -> list[Signer]:
    """Return the waiting signers whose turn it is now."""
    turn = current_order(signers)
    return [s for s in signers if s.status is SignerStatus.WAITING and s.order == turn]


def require_turn(envelope: Envelope, signer: Signer) -> None:
    """Raise ``InvalidTransition`` unless the envelope is open and it is ``signer``'s turn."""
    if not envelope.is_open:
        raise InvalidTransition(f"The envelope is {envelope.status}; nobody can sign it now.")
    if signer.status is not SignerStatus.INVITED or signer.order != current_order(envelope.signers):
        # The order is enforced here, not in the page: a later signer's link cannot sign early.
        raise InvalidTransition("It is not this signer's turn to sign.")


def new_token() -> tuple[str, str]:
    """Return a fresh signer link token and the hash to store."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    """Return the stored form of a link token (SHA-256 hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_otp() -> str:
    """Return a fresh 6-digit one-time code."""
    return f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"


def hash_otp(signer_id: str, code: str) -> str:
    """Return the stored form of a one-time code, bound to its signer."""
    return hmac.new(signer_id.encode(), code.encode(), hashlib.sha256).hexdigest()


class OtpCheck(StrEnum):
    """The result of checking a one-time code."""

    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"


def check_otp(signer: Signer, code: str, now: datetime, max_attempts: int) -> OtpCheck:
    """Check ``code`` against the signer's current code; the caller records a wrong try."""
    if signer.otp_locked or signer.otp_attempts >= max_attempts:
        return OtpCheck.LOCKED
    if signer.otp_hash is None or signer.otp_expires_at is None or now >= signer.otp_expires_at:
        return OtpCheck.EXPIRED
    if not hmac.compare_digest(signer.otp_hash, hash_otp(signer.id, code.strip())):
        return OtpCheck.WRONG
    return OtpCheck.OK


def otp_expiry(now: datetime, minutes: int) -> datetime:
    """Return when a code sent at ``now`` stops working."""
    return now + timedelta(minutes=minutes)


def attestation_text(name: str, title: str, party: str, t: Translator = ENGLISH) -> str:
    """Return the authority attestation a signer confirms, in the words (and language) the certificate prints."""
    # A legal name such as "Example Ltd." already ends the sentence: never print "Ltd..".
    return t.gettext("I, %(name)s, %(title)s, confirm that I am authorised to sign on behalf of %(party)s.") % {
        "name": name,
        "title": title,
        "party": party.rstrip().rstrip("."),
    }


def party_for(envelope: Envelope, role: SignerRole) -> str:
    """Return the legal name a signer of ``role`` binds."""
    return envelope.client_name if role is SignerRole.CLIENT else envelope.msp_name


def pages_seen(viewed_pages: Sequence[int], page_count: int, t: Translator = ENGLISH) -> str:
    """Say in plain words which pages were delivered: "all 3 pages", "pages 1-2 and 5 of 9", "no page"."""
    seen = sorted({p for p in viewed_pages if 0 <= p < page_count})
    if not seen:
        if not page_count:
            return t.gettext("no page was shown")
        return t.gettext("no page of the %(count)s-page document was shown") % {"count": page_count}
    if len(seen) == page_count:
        return (
            t.gettext("the one page") if page_count == 1 else t.gettext("all %(count)s pages") % {"count": page_count}
        )
    runs: list[str] = []
    start = prev = seen[0]
    for page in [*seen[1:], None]:
        if page is not None and page == prev + 1:
            prev = page
            continue
        runs.append(str(start + 1) if start == prev else f"{start + 1}-{prev + 1}")
        if page is not None:
            start = prev = page
    listed = (
        runs[0]
        if len(runs) == 1
        else t.gettext("%(first)s and %(last)s")
        % {
            "first": ", ".join(runs[:-1]),
            "last": runs[-1],
        }
    )
    if len(seen) == 1:
        return t.gettext("page %(pages)s of %(count)s") % {"pages": listed, "count": page_count}
    return t.gettext("pages %(pages)s of %(count)s") % {"pages": listed, "count": page_count}


_VIEW_WORDS = {
    READING_VIEW: N_("the whole document as text (reading view)"),
    PDF_DOWNLOAD: N_("the PDF file (downloaded)"),
}


def delivered_summary(
    viewed_pages: Sequence[int], delivered_views: Sequence[str], page_count: int, t: Translator = ENGLISH
) -> str:
    """Say in plain words everything delivered: page images, then the reading view and the PDF download.

    Reads after "Viewed … (" as "all 3 pages and the PDF file (downloaded) shown"; with nothing
    delivered it is :func:`pages_seen`'s "no page of the 3-page document was shown".
    """
    parts = [t.gettext(_VIEW_WORDS[v]) for v in delivered_views if v in _VIEW_WORDS]
    if any(0 <= p < page_count for p in viewed_pages) or not parts:
        parts.insert(0, pages_seen(viewed_pages, page_count, t))
    if len(parts) == 1:
        return parts[0]
    return t.gettext("%(first)s and %(last)s") % {"first": ", ".join(parts[:-1]), "last": parts[-1]}


def page_count(pdf: bytes) -> int:
    """Return the number of pages of ``pdf``."""
    return len(page_heights(pdf))


def page_heights(pdf: bytes | PdfHandler) -> list[float]:
    """Return the height of each page of ``pdf`` in points (its length is the page count).

    ``pdf`` is the file, or a reader or writer that has parsed it already.
    """
    reader = PdfFileReader(BytesIO(pdf), strict=False) if isinstance(pdf, bytes) else pdf
    heights = []
    for index in range(int(reader.root["/Pages"]["/Count"])):
        page_ref, _ = reader.find_page_for_modification(index)
        box = [float(v) for v in find_inherited_value_in_tree(page_ref.get_object(), "/MediaBox", "/Parent")]
        heights.append(abs(box[3] - box[1]))
    return heights


def stamp_boxes(
    pdf: bytes | Sequence[float], boxes: Sequence[SignatureBoxRecord], signers: Sequence[Signer]
) -> dict[str, SignatureBox]:
    """Map signer ids to the stamp box their role's next template box gives (top-left origin).

    The renderer records boxes bottom-left (PDF user space, ``[x1, y1, x2, y2]``); the stamper wants
    them from the page's top-left, so each is flipped against its own page's height (``pdf`` is the
    document, or its page heights when the caller has them already). The n-th signer
    of a role gets the n-th box of that role; signers beyond the boxes appear on the certificate only.
    """
    heights = page_heights(pdf) if isinstance(pdf, bytes) else list(pdf)
    free: dict[str, list[SignatureBoxRecord]] = {}
    for box in boxes:
        free.setdefault(box.role, []).append(box)
    out: dict[str, SignatureBox] = {}
    for signer in sorted(signers, key=lambda s: (s.order, s.position)):
        queue = free.get(signer.role.value, [])
        if not queue:
            continue
        box = queue.pop(0)
        page = box.page_index
        out[signer.id] = SignatureBox(
            page_index=page, left=box.x1, top=heights[page] - box.y2, width=box.x2 - box.x1, height=box.y2 - box.y1
        )
    return out


def expiry(now: datetime, days: int) -> datetime:
    """Return when an envelope sent at ``now`` expires."""
    return (now + timedelta(days=days)).astimezone(UTC)


def page_image_key(sent_sha256: str, index: int) -> str:
    """Return the object key of page ``index`` (0-based) of the sent PDF ``sent_sha256`` as PNG."""
    return f"pages/{sent_sha256}/{index + 1}.png"
