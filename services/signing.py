"""The signer's side of the ceremony: open the link, consent, (one-time code), view, sign or decline.

A link is good only while its envelope is ``sent``, before its expiry, and while its signer's turn
is open; otherwise it is ``LinkInvalid``, which the page shows the same way in every case, so a
link reveals nothing about an envelope to someone who should not have it. Consent to do business
electronically comes before the document is shown, and its disclosure version is recorded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from domain.actor import Actor, ActorKind
from domain.envelopes import (
    Envelope,
    EnvelopeStatus,
    OtpCheck,
    Signer,
    SignerStatus,
    attestation_text,
    check_otp,
    current_order,
    disclosure_text,
    hash_otp,
    hash_token,
    new_otp,
    otp_expiry,
    page_image_key,
    pages_seen,
    party_for,
    require_turn,
)
from domain.errors import FieldError, InvalidInput, InvalidTransition, NotFound
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
from services.envelopes import EnvelopeRecorder, Invitations, SigningRules, with_signer

MAX_REASON = 2000


@dataclass(frozen=True)
class Caller:
    """Where a signer's request came from (IP from trusted proxies only, and user agent)."""

    ip: str | None
    user_agent: str | None


def _actor(signer: Signer, caller: Caller) -> Actor:
    return Actor(name=signer.email, kind=ActorKind.SIGNER, ip=caller.ip, user_agent=caller.user_agent)


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

    # -- resolving a link ------------------------------------------------------------------------------

    def _resolve(self, token: str, *, lock: bool) -> tuple[Envelope, Signer]:
        found = self._envelopes.by_token(hash_token(token)) if 20 <= len(token) <= 100 else None
        if found is None:
            raise LinkInvalid("This link is not valid.")
        envelope_id, signer_id = found
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
        version = signer.consent_version or self._rules.consent_version
        return SigningView(
            envelope=envelope,
            signer=signer,
            step=step,
            party=party_for(envelope, signer.role),
            disclosure_version=version,
            disclosure_text=disclosure_text(version, self._rules.paper_copy_contact),
            page_count=page_count,
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

        The first page delivered is ``signer.viewed`` (which moves a risk letter to "viewed"); later
        pages are ``signer.page_viewed``; each names the page and what has been seen so far.
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
        detail = {"page": index + 1, "pages": count, "seen": pages_seen(signer.viewed_pages, count)}
        action = "signer.viewed" if first else "signer.page_viewed"
        self._recorder.record(envelope, action, actor, signer=signer, detail=detail)
        if first:
            for listener in self._listeners:
                listener.envelope_viewed(actor, envelope.id, envelope.document_id, envelope.version, now)

    # -- consent and one-time code ---------------------------------------------------------------------

    def consent(self, token: str, caller: Caller, *, agreed: bool, version: str) -> None:
        """Record consent to do business electronically with the disclosure version shown."""
        envelope, signer = self._resolve(token, lock=True)
        actor = _actor(signer, caller)
        if not agreed:
            raise InvalidInput("Tick the box to agree, or decline.", errors=[FieldError("agree", "required")])
        if version != self._rules.consent_version:
            # The page was rendered with another disclosure than the one in force: show the current one.
            raise InvalidInput("The disclosure has changed; read it again.", errors=[FieldError("version", "stale")])
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
                "disclosure_sha256": hashlib.sha256(text.encode()).hexdigest(),
                "disclosure_text": text,
            },
        )

    def send_code(self, token: str, caller: Caller) -> None:
        """E-mail the signer a new one-time code (10 minutes)."""
        envelope, signer = self._resolve(token, lock=True)
        actor = _actor(signer, caller)
        if signer.consented_at is None or not envelope.otp_required:
            raise InvalidTransition("No code is needed now.")
        if signer.otp_locked:
            raise InvalidTransition("Too many wrong codes; ask the sender to send the invitation again.")
        code = new_otp()
        expires = otp_expiry(self._clock.now(), self._rules.otp_ttl_minutes)
        signer = replace(signer, otp_hash=hash_otp(signer.id, code), otp_expires_at=expires)
        envelope = self._save(envelope, signer)
        self._mailer.send(
            OutgoingMail(
                to=(signer.email,),
                # The code stays out of the Subject: lock screens and mail lists show subjects to anyone nearby.
                subject=f"Your signing code for {envelope.title}",
                text=f'Your one-time code to sign "{envelope.title}" is {code}. '
                f"It works for {self._rules.otp_ttl_minutes} minutes. Do not share it with anyone.\n",
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
            errors.append(FieldError("full_name", "type your full name"))
        if not 1 <= len(title) <= 200:
            errors.append(FieldError("title", "type your title"))
        cleaned: dict[str, str] = {}
        for pointer, label, value in (("full_name", "Your name", full_name), ("title", "Your title", title)):
            try:
                cleaned[pointer] = single_line(value)
            except ValueError as exc:
                # The name printed on the sealed PDF must be the name stored: no direction overrides.
                errors.append(FieldError(pointer, f"{label} {exc}"))
        full_name, title = cleaned.get("full_name", full_name), cleaned.get("title", title)
        if not attested:
            errors.append(FieldError("attest", "confirm that you are authorised"))
        if method not in ("typed", "drawn"):
            errors.append(FieldError("method", "typed or drawn"))
        if method == "drawn":
            try:
                if drawn_png is None:
                    raise SignatureImageError("draw your signature")
                drawn_png = normalise_drawn_signature(drawn_png)
            except SignatureImageError as exc:
                errors.append(FieldError("signature", f"Signature: {exc}"))
        page_count = self._page_count(envelope)
        if page_count is None:
            # Nobody signs a document they could not yet have been shown.
            errors.append(FieldError("document", "the document is still being prepared; read it, then sign"))
        if errors:
            raise InvalidInput("Some fields need your attention.", errors=errors)
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
        attestation = attestation_text(full_name, title, party_for(envelope, signer.role))
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
                "viewed_pages": [p + 1 for p in signer.viewed_pages],
                "page_count": page_count,
                "seen": pages_seen(signer.viewed_pages, page_count or 0),
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

    def decline(self, token: str, caller: Caller, reason: str) -> Envelope:
        """Record that the signer declined, with their reason; the envelope ends."""
        envelope, signer = self._resolve(token, lock=True)
        actor = _actor(signer, caller)
        reason = reason.strip()
        if not 3 <= len(reason) <= MAX_REASON:
            raise InvalidInput("Please say why you decline.", errors=[FieldError("reason", "3-2000 characters")])
        try:
            reason = multi_line(reason)
        except ValueError as exc:
            raise InvalidInput("Please check your reason.", errors=[FieldError("reason", f"The reason {exc}")]) from exc
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
        self._recorder.record(envelope, "signer.declined", actor, signer=signer, detail={"reason": reason})
        for listener in self._listeners:
            listener.envelope_declined(actor, envelope.id, envelope.document_id, envelope.version, now, reason)
        return envelope
