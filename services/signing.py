"""The signer's side of the ceremony: open the link, consent, (one-time code), view, sign or decline.

A link is good only while its envelope is ``sent``, before its expiry, and while its signer's turn
is open; otherwise it is ``LinkInvalid``, which the page shows the same way in every case, so a
link reveals nothing about an envelope to someone who should not have it. Consent to do business
electronically comes before the document is shown, and its disclosure version is recorded.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace

from domain.actor import Actor, ActorKind
from domain.envelopes import (
    PDF_DOWNLOAD,
    READING_VIEW,
    Envelope,
    EnvelopeStatus,
    OtpCheck,
    Signer,
    SignerStatus,
    attestation_text,
    check_otp,
    current_order,
    disclosure_text,
    disclosure_version_for,
    hash_otp,
    hash_token,
    new_otp,
    otp_expiry,
    page_image_key,
    pages_seen,
    party_for,
    require_turn,
)
from domain.envelopes import page_count as pdf_page_count
from domain.errors import FieldError, InvalidInput, InvalidTransition, NotFound
from domain.languages import DEFAULT_LANGUAGE, N_, EnglishOnly, MessageCatalogs
from domain.ports import (
    BlobStore,
    Clock,
    DocumentPages,
    EnvelopeOutcomeListener,
    EnvelopeRepository,
    Mailer,
    OutgoingMail,
    TaskQueue,
)
from domain.risks import WAIVER_TEMPLATE, names_match
from domain.signature_image import SignatureImageError, normalise_drawn_signature
from domain.text import multi_line, single_line
from services.completion import COMPLETE_ENVELOPE_TASK
from services.envelope_notices import DeclineNotices, EnvelopeNotices
from services.envelopes import EnvelopeRecorder, Invitations, SigningRules, with_signer
from services.reading_view import ReadingCopies, ReadingCopy

MAX_REASON = 2000


@dataclass(frozen=True)
class Caller:
    """Where a signer's request came from (IP from trusted proxies only, and user agent)."""

    ip: str | None
    user_agent: str | None


def _actor(signer: Signer, caller: Caller) -> Actor:
    return Actor(name=signer.email, kind=ActorKind.SIGNER, ip=caller.ip, user_agent=caller.user_agent)


def _shown(signer: Signer, page_count: int | None) -> dict[str, object]:
    """Return what a signer's decision chains about what they were shown: pages, whole-document views, in words."""
    return {
        "viewed_pages": [p + 1 for p in signer.viewed_pages],
        "views_delivered": list(signer.delivered_views),
        "page_count": page_count,
        "seen": pages_seen(signer.viewed_pages, page_count or 0),
    }


def pdf_file_name(title: str) -> str:
    """Return a safe download name for the document being signed, e.g. ``Master Services Agreement.pdf``."""
    stem = re.sub(r"[^A-Za-z0-9 ._-]+", "-", title).strip(" .-")[:120] or "Document"
    return f"{stem}.pdf"


class LinkInvalid(NotFound):
    """The link is unknown, expired, used, or its envelope is finished (deliberately not saying which)."""


@dataclass(frozen=True)
class SigningView:
    """What the signing page shows at this point of the ceremony."""

    envelope: Envelope
    signer: Signer
    step: str  # consent | otp | sign
    party: str
    disclosure_version: str
    disclosure_text: str
    page_count: int = 0
    # True while the page images are being rendered (the page asks the signer to wait a moment).
    preparing: bool = False
    # Embedded links only: the one origin that may frame the pages and receives their postMessage.
    frame_origin: str | None = None


@dataclass(frozen=True)
class ReadingDelivery:
    """The reading view for a signer (``copy`` is ``None`` when it cannot be shown as the PDF's same text)."""

    envelope: Envelope
    signer: Signer
    page_count: int
    copy: ReadingCopy | None


@dataclass(frozen=True)
class PageDelivery:
    """Which stored page image the signer gets, and whether this is its first delivery (to be recorded)."""

    sent_sha256: str
    index: int
    page_count: int
    first_delivery: bool


class PagesPreparing(Exception):
    """The page images of this document are still being rendered; ask again in a few seconds."""


class SigningService:
    """The signing ceremony behind ``/sign/{token}``."""

    def __init__(
        self,
        *,
        envelopes: EnvelopeRepository,
        blobs: BlobStore,
        pages: DocumentPages,
        invitations: Invitations,
        recorder: EnvelopeRecorder,
        mailer: Mailer,
        clock: Clock,
        rules: SigningRules,
        tasks: TaskQueue,
        listeners: list[EnvelopeOutcomeListener] | None = None,
        catalogs: MessageCatalogs | None = None,
        reading: ReadingCopies | None = None,
    ) -> None:
        self._envelopes = envelopes
        self._blobs = blobs
        self._pages = pages
        self._invitations = invitations
        self._recorder = recorder
        self._mailer = mailer
        self._clock = clock
        self._rules = rules
        self._tasks = tasks
        self._listeners = listeners or []
        self._catalogs = catalogs or EnglishOnly()
        self._notices = EnvelopeNotices(mailer, recorder, catalogs)
        self._reading = reading

    # -- resolving a link ------------------------------------------------------------------------------

    def _resolve(self, token: str, *, lock: bool) -> tuple[Envelope, Signer]:
        found = self._envelopes.grant(hash_token(token)) if 20 <= len(token) <= 100 else None
        if found is None or (found.expires_at is not None and self._clock.now() >= found.expires_at):
            # An embedded link is short-lived: past its end it is as dead as any other unusable link.
            raise LinkInvalid("This link is not valid.")
        envelope_id, signer_id = found.envelope_id, found.signer_id
        envelope = self._envelopes.lock(envelope_id) if lock else self._envelopes.get(envelope_id)
        if envelope is None:
            raise LinkInvalid("This link is not valid.")
        signer = envelope.signer(signer_id)
        if (
            envelope.status is not EnvelopeStatus.SENT
            or self._clock.now() >= envelope.expires_at
            or signer.status is not SignerStatus.INVITED
        ):
            raise LinkInvalid("This link is not valid.")
        return envelope, signer

    def language_of(self, token: str) -> str:
        """Return the language of the link's signer while the link is usable (English otherwise)."""
        try:
            _envelope, signer = self._resolve(token, lock=False)
        except LinkInvalid:
            return DEFAULT_LANGUAGE
        return signer.language

    def frame_origin(self, token: str) -> str | None:
        """Return the one origin that may frame this link's pages (embedded links only), else ``None``."""
        found = self._envelopes.grant(hash_token(token)) if 20 <= len(token) <= 100 else None
        return found.frame_origin if found is not None else None

    def signer_id(self, token: str) -> str | None:
        """Return the id of the signer a link belongs to (whatever the state), or ``None`` for an unknown link."""
        found = self._envelopes.grant(hash_token(token)) if 20 <= len(token) <= 100 else None
        return found.signer_id if found is not None else None

    def _save(self, envelope: Envelope, signer: Signer) -> Envelope:
        self._envelopes.update_signer(signer)
        return with_signer(envelope, signer)

    def view(self, token: str, caller: Caller) -> SigningView:
        """Return what the page shows now, recording the signer's first open of the link.

        Showing the signing page is not viewing the document: a view is recorded only when a page
        image is delivered (:meth:`page_image`). The envelope row is locked only for the first open,
        so signers of one envelope do not queue behind each other's page loads.
        """
        envelope, signer = self._resolve(token, lock=False)
        step = self._step(envelope, signer)
        page_count = (self._page_count(envelope) or 0) if step == "sign" else 0
        if signer.opened_at is None:
            envelope, signer = self._resolve(token, lock=True)
            if signer.opened_at is None:
                signer = replace(signer, opened_at=self._clock.now())
                envelope = self._save(envelope, signer)
                self._recorder.record(envelope, "signer.opened", _actor(signer, caller), signer=signer)
            step = self._step(envelope, signer)
            if step == "sign" and not page_count:
                page_count = self._page_count(envelope) or 0
        version = signer.consent_version or disclosure_version_for(signer.language, self._rules.consent_version)
        return SigningView(
            envelope=envelope,
            signer=signer,
            step=step,
            party=party_for(envelope, signer.role),
            disclosure_version=version,
            disclosure_text=disclosure_text(version, self._rules.paper_copy_contact),
            page_count=page_count,
            frame_origin=self.frame_origin(token),
            preparing=step == "sign" and not page_count,
        )

    def _step(self, envelope: Envelope, signer: Signer) -> str:
        if signer.consented_at is None:
            return "consent"
        if envelope.otp_required and signer.otp_verified_at is None:
            return "otp"
        return "sign"

    def _page_count(self, envelope: Envelope) -> int | None:
        """Return the page count once the page images are stored; else ask for them and return ``None``.

        Envelopes ask at creation; one sent before page images were rendered by a task asks here.
        """
        count = self._pages.ready(envelope.sent_sha256)
        if count is None:
            self._pages.request(envelope.sent_sha256, envelope.sent_key, envelope.sent_version_id)
        return count

    def _sent_page_count(self, envelope: Envelope) -> int:
        """Return the sent PDF's page count, from the stored page images or, while they render, the PDF."""
        count = self._page_count(envelope)
        if count is None:
            count = pdf_page_count(self._blobs.get(envelope.sent_key, envelope.sent_version_id))
        return count

    def page_image(self, token: str, index: int, caller: Caller | None = None) -> bytes:
        """Return page ``index`` (0-based) as PNG and record its first delivery, in this unit of work."""
        delivery = self.deliver_page(token, index)
        if delivery.first_delivery:
            self.record_page_view(token, index, delivery.page_count, caller or Caller(None, None))
        return self._blobs.get(page_image_key(delivery.sent_sha256, delivery.index))

    def deliver_page(self, token: str, index: int) -> PageDelivery:
        """Return page ``index`` (0-based) as PNG, only after consent (and the code, when required).

        Nothing is written: ``first_delivery`` tells the caller to record the view with
        :meth:`record_page_view` (the API does so in a write transaction of its own, so that page
        images fetched in parallel queue for the write instead of failing).
        """
        envelope, signer = self._resolve(token, lock=False)
        if self._step(envelope, signer) != "sign":
            raise LinkInvalid("This link is not valid.")
        count = self._page_count(envelope)
        if count is None:
            raise PagesPreparing("The document is being prepared.")
        if not 0 <= index < count:
            raise NotFound("No such page.")
        return PageDelivery(envelope.sent_sha256, index, count, index not in signer.viewed_pages)

    def record_page_view(self, token: str, index: int, count: int, caller: Caller) -> None:
        """Record that page ``index`` was delivered to the signer (once per page).

        The first page delivered is chained as ``signer.viewed`` (which moves a risk letter to "viewed"),
        naming the page. Later pages are added to the signer's record of pages seen, which the signature
        (``signer.signed``) or the refusal (``signer.declined``) chains with the page list: one event per
        signer instead of one per page, because every chained event queues for the chain's head and a
        browser fetches all the pages at once.
        """
        self._record_page(token, index, count, caller)

    def _record_page(self, token: str, index: int, count: int, caller: Caller) -> None:
        envelope, signer = self._resolve(token, lock=True)
        if index in signer.viewed_pages:
            return  # another request for the same page got the lock first
        actor = _actor(signer, caller)
        now = self._clock.now()
        first = signer.viewed_at is None
        signer = replace(
            signer, viewed_at=signer.viewed_at or now, viewed_pages=tuple(sorted({*signer.viewed_pages, index}))
        )
        envelope = self._save(envelope, signer)
        if not first:
            return
        detail = {
            "view": "page_image",
            "page": index + 1,
            "pages": count,
            "seen": pages_seen(signer.viewed_pages, count),
        }
        self._recorder.record(envelope, "signer.viewed", actor, signer=signer, detail=detail)
        for listener in self._listeners:
            listener.envelope_viewed(actor, envelope.id, envelope.document_id, envelope.version, now)

    # -- whole-document views: the reading view and the PDF ----------------------------------------------

    def reading_view(self, token: str, caller: Caller) -> ReadingDelivery:
        """Return the reading view (after consent and any code) and record its first delivery.

        The view is built from the version's recorded source and shown only when its clauses equal
        the PDF's clause records; its HTML hash is recorded with the delivery.
        """
        envelope, signer = self._resolve(token, lock=False)
        if self._step(envelope, signer) != "sign":
            raise LinkInvalid("This link is not valid.")
        count = self._sent_page_count(envelope)
        copy = self._reading.for_envelope(envelope) if self._reading is not None else None
        if copy is not None:
            envelope, signer = self._record_view(
                token,
                READING_VIEW,
                caller,
                {
                    "view": READING_VIEW,
                    "pages": count,
                    "seen": f"the whole {count}-page document as text",
                    "html_sha256": copy.sha256,
                    "template_id": copy.template_id,
                    "template_version": copy.template_version,
                    # Every clause was checked against the PDF's clause records (id, version, SHA-256, text).
                    "clauses_match_pdf": copy.clauses,
                },
            )
        return ReadingDelivery(envelope=envelope, signer=signer, page_count=count, copy=copy)

    def pdf(self, token: str, caller: Caller) -> tuple[Envelope, bytes]:
        """Return exactly the sent PDF (after consent and any code) and record its first download."""
        envelope, signer = self._resolve(token, lock=False)
        if self._step(envelope, signer) != "sign":
            raise LinkInvalid("This link is not valid.")
        data = self._blobs.get(envelope.sent_key, envelope.sent_version_id)
        digest = hashlib.sha256(data).hexdigest()
        count = pdf_page_count(data)
        envelope, _signer = self._record_view(
            token,
            PDF_DOWNLOAD,
            caller,
            {"view": PDF_DOWNLOAD, "pages": count, "seen": f"the whole {count}-page PDF", "sha256": digest},
        )
        return envelope, data

    def _record_view(self, token: str, view: str, caller: Caller, detail: dict[str, object]) -> tuple[Envelope, Signer]:
        """Record the first delivery of a whole-document ``view``; the first view of any kind is ``signer.viewed``."""
        envelope, signer = self._resolve(token, lock=True)
        if view in signer.delivered_views:
            return envelope, signer
        actor = _actor(signer, caller)
        now = self._clock.now()
        first = signer.viewed_at is None
        signer = replace(signer, viewed_at=signer.viewed_at or now, delivered_views=(*signer.delivered_views, view))
        envelope = self._save(envelope, signer)
        action = "signer.viewed" if first else "signer.view_delivered"
        self._recorder.record(envelope, action, actor, signer=signer, detail=detail)
        if first:
            for listener in self._listeners:
                listener.envelope_viewed(actor, envelope.id, envelope.document_id, envelope.version, now)
        return envelope, signer

    # -- consent and one-time code ---------------------------------------------------------------------

    def consent(self, token: str, caller: Caller, *, agreed: bool, version: str) -> None:
        """Record consent to do business electronically with the disclosure version shown."""
        envelope, signer = self._resolve(token, lock=True)
        actor = _actor(signer, caller)
        if not agreed:
            raise InvalidInput(N_("Tick the box to agree, or decline."), errors=[FieldError("agree", N_("required"))])
        if version != disclosure_version_for(signer.language, self._rules.consent_version):
            # The page was rendered with another disclosure than the one in force: show the current one.
            raise InvalidInput(
                N_("The disclosure has changed; read it again."), errors=[FieldError("version", N_("stale"))]
            )
        if signer.consented_at is not None:
            return
        signer = replace(signer, consented_at=self._clock.now(), consent_version=version)
        envelope = self._save(envelope, signer)
        text = disclosure_text(version, self._rules.paper_copy_contact)
        self._recorder.record(
            envelope,
            "signer.consented",
            actor,
            signer=signer,
            # The text exactly as shown, so the wording agreed to (with its paper-copy contact) is reproducible.
            detail={
                "disclosure_version": version,
                "disclosure_language": signer.language,
                "disclosure_sha256": hashlib.sha256(text.encode()).hexdigest(),
                "disclosure_text": text,
            },
        )

    def send_code(self, token: str, caller: Caller) -> None:
        """E-mail the signer a new one-time code (10 minutes)."""
        envelope, signer = self._resolve(token, lock=True)
        actor = _actor(signer, caller)
        if signer.consented_at is None or not envelope.otp_required:
            raise InvalidTransition(N_("No code is needed now."))
        if signer.otp_locked:
            raise InvalidTransition(N_("Too many wrong codes; ask the sender to send the invitation again."))
        code = new_otp()
        expires = otp_expiry(self._clock.now(), self._rules.otp_ttl_minutes)
        signer = replace(signer, otp_hash=hash_otp(signer.id, code), otp_expires_at=expires)
        envelope = self._save(envelope, signer)
        _ = self._catalogs.translator(signer.language).gettext
        words = {"title": envelope.title, "code": code, "minutes": self._rules.otp_ttl_minutes}
        self._mailer.send(
            OutgoingMail(
                to=(signer.email,),
                # The code stays out of the Subject: lock screens and mail lists show subjects to anyone nearby.
                subject=_("Your signing code for %(title)s") % words,
                text=_(
                    'Your one-time code to sign "%(title)s" is %(code)s. It works for %(minutes)s minutes. '
                    "Do not share it with anyone."
                )
                % words
                + "\n",
            )
        )
        self._recorder.record(envelope, "signer.code_sent", actor, signer=signer, detail={"to": signer.email})

    def check_code(self, token: str, caller: Caller, code: str) -> OtpCheck:
        """Check a one-time code; wrong tries are counted and kept even though the answer is "no"."""
        envelope, signer = self._resolve(token, lock=True)
        actor = _actor(signer, caller)
        result = check_otp(signer, code, self._clock.now(), self._rules.otp_max_attempts)
        if result is OtpCheck.OK:
            signer = replace(signer, otp_verified_at=self._clock.now(), otp_hash=None)
            envelope = self._save(envelope, signer)
            self._recorder.record(envelope, "signer.code_verified", actor, signer=signer)
        elif result is OtpCheck.WRONG:
            attempts = signer.otp_attempts + 1
            locked = attempts >= self._rules.otp_max_attempts
            signer = replace(signer, otp_attempts=attempts, otp_locked=locked)
            envelope = self._save(envelope, signer)
            self._recorder.record(
                envelope, "signer.code_failed", actor, signer=signer, detail={"attempts": attempts, "locked": locked}
            )
            if locked:
                result = OtpCheck.LOCKED
        return result

    # -- signing and declining -------------------------------------------------------------------------

    def sign(
        self,
        token: str,
        caller: Caller,
        *,
        full_name: str,
        title: str,
        attested: bool,
        method: str,
        drawn_png: bytes | None,
    ) -> Envelope:
        """Record the signature; invite the next signers or mark the envelope ``completing``."""
        envelope, signer = self._resolve(token, lock=True)
        actor = _actor(signer, caller)
        require_turn(envelope, signer)
        if self._step(envelope, signer) != "sign":
            raise InvalidTransition("Consent (and the one-time code, when asked) come before signing.")
        errors = []
        full_name, title = full_name.strip(), title.strip()
        if not 2 <= len(full_name) <= 200:
            errors.append(FieldError("full_name", N_("type your full name")))
        if not 1 <= len(title) <= 200:
            errors.append(FieldError("title", N_("type your title")))
        cleaned: dict[str, str] = {}
        for pointer, label, value in (("full_name", "Your name", full_name), ("title", "Your title", title)):
            try:
                cleaned[pointer] = single_line(value)
            except ValueError as exc:
                # The name printed on the sealed PDF must be the name stored: no direction overrides.
                errors.append(FieldError(pointer, f"{label} {exc}"))
        full_name, title = cleaned.get("full_name", full_name), cleaned.get("title", title)
        if not attested:
            errors.append(FieldError("attest", N_("confirm that you are authorised")))
        if method not in ("typed", "drawn"):
            errors.append(FieldError("method", N_("typed or drawn")))
        if method == "drawn":
            try:
                if drawn_png is None:
                    raise SignatureImageError(N_("draw your signature"))
                drawn_png = normalise_drawn_signature(drawn_png)
            except SignatureImageError as exc:
                errors.append(FieldError("signature", f"Signature: {exc}"))
        page_count = self._page_count(envelope)
        if page_count is None:
            # Nobody signs a document they could not yet have been shown.
            errors.append(FieldError("document", "the document is still being prepared; read it, then sign"))
        if errors:
            raise InvalidInput(N_("Some fields need your attention."), errors=errors)
        name_matches = names_match(full_name, signer.name)
        if envelope.template_id == WAIVER_TEMPLATE and not name_matches:
            # A risk letter records who accepted the risk: only the approver it names may sign it.
            raise InvalidInput(
                f"This letter can be signed only by {signer.name}, the person it names as accepting the risk. "
                f"If that is you, type your name as {signer.name}. If someone else should accept the risk, "
                "do not sign: ask the sender to name them as the approver.",
                errors=[FieldError("full_name", f"must be {signer.name} (the approver named in the letter)")],
            )
        now = self._clock.now()
        # The attestation is recorded in the words the signer confirmed: those of their own language.
        attestation = attestation_text(
            full_name, title, party_for(envelope, signer.role), self._catalogs.translator(signer.language)
        )
        signer = replace(
            signer,
            status=SignerStatus.SIGNED,
            signed_at=now,
            signed_name=full_name,
            signed_title=title,
            attestation=attestation,
            signature_method=method,
            typed_text=full_name if method == "typed" else None,
            signature_png=drawn_png if method == "drawn" else None,
            ip=actor.ip,
            user_agent=actor.user_agent,
        )
        envelope = self._save(envelope, signer)
        self._recorder.record(
            envelope,
            "signer.signed",
            actor,
            signer=signer,
            detail={
                "name": full_name,
                "title": title,
                "attestation": attestation,
                "method": method,
                "consent_version": signer.consent_version,
                "invited_name": signer.name,
                # What the signer was shown before signing ("viewed" means the page images were delivered).
                **_shown(signer, page_count),
                "name_matches_invitation": name_matches,
                "signature_sha256": hashlib.sha256(drawn_png or full_name.encode()).hexdigest(),
            },
        )
        if current_order(envelope.signers) is None:
            envelope = replace(envelope, status=EnvelopeStatus.COMPLETING, next_reminder_at=None)
            self._envelopes.update(envelope)
            # Sealing is a task committed with this signature: a worker seals after the commit, and a
            # crash on either side loses neither the signature nor the seal that follows it.
            self._tasks.enqueue(COMPLETE_ENVELOPE_TASK, {"envelope_id": envelope.id})
            return envelope
        return self._invitations.invite_due(envelope, actor)

    def decline(self, token: str, caller: Caller, reason: str) -> tuple[Envelope, DeclineNotices]:
        """Record that the signer declined, with their reason; the envelope ends.

        Allowed at every step (before consent, before or after the one-time code): refusing needs no
        proof of identity beyond the link, and a signer who will not sign must never be made to verify
        first. The signer is mailed a copy of their refusal and the sender is told, with the reason;
        what was really sent is returned so the page says only that.
        """
        envelope, signer = self._resolve(token, lock=True)
        actor = _actor(signer, caller)
        reason = reason.strip()
        if not 3 <= len(reason) <= MAX_REASON:
            raise InvalidInput(
                N_("Please say why you decline."), errors=[FieldError("reason", N_("3-2000 characters"))]
            )
        try:
            reason = multi_line(reason)
        except ValueError as exc:
            raise InvalidInput(
                N_("Please check your reason."), errors=[FieldError("reason", f"The reason {exc}")]
            ) from exc
        now = self._clock.now()
        signer = replace(
            signer,
            status=SignerStatus.DECLINED,
            declined_at=now,
            decline_reason=reason,
            ip=actor.ip,
            user_agent=actor.user_agent,
        )
        envelope = with_signer(envelope, signer)
        envelope = replace(
            envelope, status=EnvelopeStatus.DECLINED, ended_at=now, end_reason=reason, next_reminder_at=None
        )
        self._envelopes.update(envelope)
        page_count = self._pages.ready(envelope.sent_sha256) or 0
        # What the signer had been shown before refusing (page views after the first are chained here).
        detail = {"reason": reason, **_shown(signer, page_count)}
        self._recorder.record(envelope, "signer.declined", actor, signer=signer, detail=detail)
        for listener in self._listeners:
            listener.envelope_declined(actor, envelope.id, envelope.document_id, envelope.version, now, reason)
        return envelope, self._notices.declined(envelope, signer, actor)
