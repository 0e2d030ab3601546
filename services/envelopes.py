"""Envelope use cases for the sender: send a document version for signature, read, list, void, remind, expire.

Every change is written to the envelope's own event list and to the audit chain in the same unit of
work (``EnvelopeRecorder``). Invitation mail goes out before the request commits: if the relay
refuses it the request fails with 503 and nothing is stored, so no envelope claims to be sent that
was not.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from domain.actor import SYSTEM, Actor, ActorKind, payload_naming_person
from domain.assembly.assemble import REVIEWED_VARIABLE
from domain.documents import FileFormat, SignedDocument
from domain.embedding import embed_expiry, embed_origin
from domain.envelopes import (
    Envelope,
    EnvelopeEvent,
    EnvelopeFilter,
    EnvelopeStatus,
    Signer,
    SignerRole,
    SignerSpec,
    SignerStatus,
    due_invitations,
    expiry,
    new_token,
    validate_signers,
)
from domain.errors import Conflict, FieldError, InvalidInput, InvalidTransition, NotFound, RateLimited
from domain.languages import EnglishOnly, MessageCatalogs
from domain.ports import (
    AuditTrail,
    BlobStore,
    Clock,
    DocumentPages,
    DocumentRepository,
    EnvelopeOutcomeListener,
    EnvelopeRepository,
    Mailer,
    OutgoingMail,
    SignedDocumentRepository,
)
from domain.risks import WAIVER_TEMPLATE, Approver, check_approver_signers
from domain.roles import Permission
from services.envelope_notices import EnvelopeNotices

log = logging.getLogger("undersign.envelopes")
MAX_LIST = 200


@dataclass(frozen=True)
class SigningRules:
    """The deployment's signing settings, as the services need them."""

    link_base: str
    consent_version: str = "esign-consent-2"
    # Who takes requests for a paper copy (named in the consent disclosure; never a no-reply address).
    paper_copy_contact: str | None = None
    link_expiry_days: int = 30
    reminder_every_days: int = 3
    max_reminders: int = 5
    remind_min_interval: timedelta = timedelta(minutes=60)
    otp_ttl_minutes: int = 10
    otp_max_attempts: int = 5
    # Development only: write signing links to the log so `make run` shows them.
    announce_links: bool = False
    # Production: a document whose template text counsel has not approved is not sent unless the
    # request says allow_unreviewed (an unreviewed contract signed by a client is hard to take back).
    refuse_unreviewed: bool = False
    # Who is told how an envelope ends when the request names no sender (e.g. the MSP's contracts desk).
    notify_email: str | None = None
    notify_name: str | None = None
    # Embedded signing: the origins that may frame a signing page, and how long an embedded URL works.
    embed_origins: tuple[str, ...] = ()
    embed_ttl_minutes: int = 10


@dataclass(frozen=True)
class EnvelopeRequest:
    """What the sender asks for."""

    document_id: str
    version: int
    signers: Sequence[SignerSpec]
    message: str = ""
    expires_in_days: int | None = None
    reminder_every_days: int | None = None
    otp: bool = False
    legal_hold: bool = False
    allow_unreviewed: bool = False
    # Who is told how the envelope ends; unset = the deployment's default notice address (if any).
    sender_name: str | None = None
    sender_email: str | None = None


@dataclass(frozen=True)
class EmbeddedLink:
    """A short-lived signing URL for one signer, to be shown in an iframe of one listed origin."""

    url: str
    signer_id: str
    origin: str
    expires_at: datetime


class EnvelopeRecorder:
    """Writes one event to the envelope's event list and to the audit chain, in the same transaction."""

    def __init__(self, envelopes: EnvelopeRepository, audit: AuditTrail, clock: Clock) -> None:
        self._envelopes = envelopes
        self._audit = audit
        self._clock = clock

    def record(
        self,
        envelope: Envelope,
        action: str,
        actor: Actor,
        *,
        signer: Signer | None = None,
        detail: Mapping[str, Any] | None = None,
        document_sha256: str | None = None,
    ) -> None:
        """Record ``action`` (like ``signer.signed``) on ``envelope``.

        The chained ``document_sha256`` is the file the event is about: the document as sent,
        unless the event stored another file (the sealed copy), whose hash is then passed.
        """
        # The person behind a user or a user's key is named in the envelope's own event list too.
        payload = payload_naming_person(actor, detail) or {}
        self._envelopes.add_event(
            EnvelopeEvent(
                envelope_id=envelope.id,
                at=self._clock.now(),
                action=action,
                actor=actor.name if actor.kind is ActorKind.SIGNER else actor.label,
                signer_id=signer.id if signer else None,
                ip=actor.ip,
                user_agent=actor.user_agent,
                detail=payload,
            )
        )
        subjects = {"envelope": envelope.id, "document": envelope.document_id, "client": envelope.client_id}
        if signer is not None:
            subjects["signer"] = signer.id
        self._audit.record(
            actor, action, subjects, payload=payload, document_sha256=document_sha256 or envelope.sent_sha256
        )


class Invitations:
    """Issues personal links and mails them: invitations, reminders (each in its signer's language)."""

    def __init__(
        self,
        envelopes: EnvelopeRepository,
        mailer: Mailer,
        recorder: EnvelopeRecorder,
        clock: Clock,
        rules: SigningRules,
        catalogs: MessageCatalogs | None = None,
    ) -> None:
        self._envelopes = envelopes
        self._mailer = mailer
        self._recorder = recorder
        self._clock = clock
        self._rules = rules
        self._catalogs = catalogs or EnglishOnly()

    def link(self, envelope: Envelope, signer: Signer) -> str:
        """Issue a new link for ``signer`` (only its hash is stored) and return the URL."""
        token, token_hash = new_token()
        self._envelopes.add_token(token_hash, signer.id, envelope.id, self._clock.now())
        url = f"{self._rules.link_base.rstrip('/')}/sign/{token}"
        if self._rules.announce_links:
            log.info("signing link for %s (envelope %s): %s", signer.email, envelope.id, url)
        return url

    def embedded_link(self, envelope: Envelope, signer: Signer, origin: str, expires_at: datetime) -> str:
        """Issue a link for ``signer`` that works until ``expires_at`` and may be framed only by ``origin``."""
        token, token_hash = new_token()
        self._envelopes.add_token(
            token_hash, signer.id, envelope.id, self._clock.now(), expires_at=expires_at, frame_origin=origin
        )
        return f"{self._rules.link_base.rstrip('/')}/sign/{token}"

    def invite_due(self, envelope: Envelope, actor: Actor) -> Envelope:
        """Invite every waiting signer whose turn it is; return the updated envelope."""
        now = self._clock.now()
        for signer in due_invitations(envelope.signers):
            url = self.link(envelope, signer)
            invited = replace(signer, status=SignerStatus.INVITED, invited_at=now)
            envelope = _with_signer(envelope, invited)
            self._envelopes.update_signer(invited)
            self._send(envelope, invited, url, reminder=False, actor=actor, action="envelope.sent")
        return envelope

    def remind(self, envelope: Envelope, actor: Actor) -> tuple[int, Envelope]:
        """Mail every invited signer a fresh link; return how many were reminded and the updated envelope."""
        count = 0
        for signer in envelope.signers:
            if signer.status is not SignerStatus.INVITED:
                continue
            if signer.otp_locked:
                # A reminder is the sender's decision to let a locked-out signer try again.
                signer = replace(signer, otp_locked=False, otp_attempts=0, otp_hash=None, otp_expires_at=None)
                self._envelopes.update_signer(signer)
                envelope = _with_signer(envelope, signer)
            url = self.link(envelope, signer)
            self._send(envelope, signer, url, reminder=True, actor=actor, action="envelope.reminded")
            count += 1
        return count, envelope

    def _send(self, envelope: Envelope, signer: Signer, url: str, *, reminder: bool, actor: Actor, action: str) -> None:
        _ = self._catalogs.translator(signer.language).gettext
        expires = envelope.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        # The client never saw earlier drafts: the version number is ours, not theirs.
        paragraphs = [
            _("Hello %(name)s,") % {"name": signer.name},
            _('%(msp)s asks you to review and sign "%(title)s".') % {"msp": envelope.msp_name, "title": envelope.title},
        ]
        if envelope.message:
            paragraphs.append(_("Message from the sender:") + "\n" + envelope.message)
        paragraphs.append(_("Open your personal signing link:") + "\n" + url)
        paragraphs.append(
            _("The link is for you alone; do not forward it. It works until %(expires)s.") % {"expires": expires}
        )
        subject = _("Reminder: Please sign: %(title)s") if reminder else _("Please sign: %(title)s")
        receipt = self._mailer.send(
            OutgoingMail(
                to=(signer.email,),
                subject=subject % {"title": envelope.title},
                text="\n\n".join(paragraphs) + "\n",
            )
        )
        self._recorder.record(
            envelope, action, actor, signer=signer, detail={"to": signer.email, "message_id": receipt.message_id}
        )
        if signer.email in receipt.accepted:
            self._recorder.record(
                envelope,
                "signer.delivered",
                SYSTEM,
                signer=signer,
                detail={"transport": receipt.transport, "message_id": receipt.message_id},
            )


def _with_signer(envelope: Envelope, signer: Signer) -> Envelope:
    return replace(envelope, signers=tuple(signer if s.id == signer.id else s for s in envelope.signers))


def with_signer(envelope: Envelope, signer: Signer) -> Envelope:
    """Return ``envelope`` with one signer replaced."""
    return _with_signer(envelope, signer)


class EnvelopeService:
    """Send documents for signature and manage the envelopes."""

    def __init__(
        self,
        *,
        envelopes: EnvelopeRepository,
        documents: DocumentRepository,
        mailer: Mailer,
        audit: AuditTrail,
        clock: Clock,
        rules: SigningRules,
        blobs: BlobStore | None = None,
        signed: SignedDocumentRepository | None = None,
        listeners: Sequence[EnvelopeOutcomeListener] = (),
        catalogs: MessageCatalogs | None = None,
        pages: DocumentPages | None = None,
    ) -> None:
        self._listeners = list(listeners)
        self._pages = pages
        self._envelopes = envelopes
        self._documents = documents
        self._blobs = blobs
        self._signed = signed
        self._clock = clock
        self._rules = rules
        self.recorder = EnvelopeRecorder(envelopes, audit, clock)
        self.invitations = Invitations(envelopes, mailer, self.recorder, clock, rules, catalogs)
        self.notices = EnvelopeNotices(mailer, self.recorder, catalogs)

    def create(self, actor: Actor, request: EnvelopeRequest) -> Envelope:
        """Freeze the document version, store the envelope and invite the first signers."""
        actor.require(Permission.ENVELOPES_WRITE)
        validate_signers(request.signers)
        expires_in = request.expires_in_days or self._rules.link_expiry_days
        remind_every = (
            request.reminder_every_days if request.reminder_every_days is not None else self._rules.reminder_every_days
        )
        if not 1 <= expires_in <= 365:
            raise InvalidInput("expires_in_days must be 1-365.", errors=[FieldError("/expires_in_days", "1-365")])
        if not 0 <= remind_every <= 60:
            raise InvalidInput("reminder_every_days must be 0-60.", errors=[FieldError("/reminder_every_days", "0-60")])
        document = self._documents.lock(request.document_id)
        version = self._documents.get_version(request.document_id, request.version) if document else None
        if document is None or version is None:
            raise InvalidInput(
                f"No document '{request.document_id}' with version {request.version}.",
                errors=[FieldError("/document_id", "no such document version")],
            )
        pdf = version.file(FileFormat.PDF)
        if pdf is None:
            raise InvalidInput("That version has no PDF.", errors=[FieldError("/version", "no PDF file")])
        reviewed = version.variables.get(REVIEWED_VARIABLE) is True
        if not reviewed and self._rules.refuse_unreviewed and not request.allow_unreviewed:
            raise InvalidInput(
                f"Version {version.version} of this document was made from a template text your counsel has not "
                "reviewed, so it is marked as a draft. Have counsel review the template and make a new version with "
                '"counsel_reviewed": true, or send this draft anyway with "allow_unreviewed": true (recorded).',
                errors=[FieldError("/allow_unreviewed", "the document is an unreviewed draft; set true to send it")],
            )
        if document.template_id == WAIVER_TEMPLATE:
            # A risk letter binds the approver it names: nobody else may sign it for the client.
            check_approver_signers(
                Approver.of_letter(dict(version.variables)),
                [
                    (index, spec.name, spec.email)
                    for index, spec in enumerate(request.signers)
                    if spec.role is SignerRole.CLIENT
                ],
            )
        if self._envelopes.open_for_document(document.id, version.version):
            raise Conflict("That document version is already out for signature; void that envelope first.")
        now = self._clock.now()
        envelope_id = str(uuid.uuid4())
        signers = tuple(
            Signer(
                id=str(uuid.uuid4()),
                envelope_id=envelope_id,
                position=index,
                name=spec.name.strip(),
                email=spec.email.strip(),
                title=spec.title.strip(),
                role=spec.role,
                order=spec.order,
                status=SignerStatus.WAITING,
                language=spec.language,
            )
            for index, spec in enumerate(request.signers)
        )
        context = version.context
        envelope = Envelope(
            id=envelope_id,
            document_id=document.id,
            version=version.version,
            client_id=document.client_id,
            template_id=document.template_id,
            template_version=version.template_version,
            document_kind=document.kind,
            title=document.title,
            status=EnvelopeStatus.SENT,
            message=request.message,
            otp_required=request.otp,
            legal_hold=request.legal_hold,
            sent_key=pdf.blob.key,
            sent_version_id=pdf.blob.version_id,
            sent_sha256=pdf.blob.sha256,
            client_name=str(context.get("client", {}).get("legal_name", "the Client")),
            msp_name=str(context.get("branding", {}).get("msp_name", "the Provider")),
            created_at=now,
            created_by=actor.label,
            sender_user_id=actor.user_id,
            sender_name=self._sender_name(actor, request),
            sender_title=(actor.title or None) if actor.user_id else None,
            expires_at=expiry(now, expires_in),
            reminder_every_days=remind_every,
            next_reminder_at=now + timedelta(days=remind_every) if remind_every else None,
            signers=signers,
            sender_email=request.sender_email or actor.email or self._rules.notify_email,
        )
        self._envelopes.add(envelope)
        if self._pages is not None:
            # The signing page's images are rendered now, by a task, not when the first signer waits for them.
            self._pages.request(envelope.sent_sha256, envelope.sent_key, envelope.sent_version_id)
        # A version out for signature must never change under the signers.
        self._documents.freeze(document.id, now)
        self.recorder.record(
            envelope,
            "envelope.created",
            actor,
            detail={
                "version": envelope.version,
                "sent_sha256": envelope.sent_sha256,
                "expires_at": envelope.expires_at.isoformat(),
                "otp": envelope.otp_required,
                "counsel_reviewed": reviewed,
                "allow_unreviewed": request.allow_unreviewed,
                "sender": {"name": envelope.sender_name, "email": envelope.sender_email},
                "signers": [
                    {"name": s.name, "email": s.email, "title": s.title, "role": s.role.value, "order": s.order}
                    for s in signers
                ],
            },
        )
        envelope = self.invitations.invite_due(envelope, actor)
        for listener in self._listeners:
            listener.envelope_sent(actor, envelope.id, envelope.document_id, envelope.version, now)
        return envelope

    def _sender_name(self, actor: Actor, request: EnvelopeRequest) -> str | None:
        """Name the sender: the signed-in person, else the name the request gave with its address, else the desk.

        The address told how the envelope ends follows the same order: the request's, the person's own,
        then the desk's.
        """
        if actor.user_id:
            return actor.display_name or actor.name
        return request.sender_name if request.sender_email else self._rules.notify_name

    def get(self, envelope_id: str) -> Envelope:
        """Return the envelope, or raise ``NotFound``."""
        envelope = self._envelopes.get(envelope_id)
        if envelope is None:
            raise NotFound(f"No envelope with id '{envelope_id}'.")
        return envelope

    def sealed_copy(self, envelope_id: str) -> tuple[SignedDocument, bytes]:
        """Return the filed record of a completed envelope and exactly the stored sealed bytes."""
        record = self._signed.by_envelope(envelope_id) if self._signed is not None else None
        if record is None or self._blobs is None:
            self.get(envelope_id)
            raise NotFound(f"Envelope '{envelope_id}' has no sealed copy (yet).")
        return record, self._blobs.get(record.sealed.key, record.sealed.version_id)

    def events(self, envelope_id: str) -> list[EnvelopeEvent]:
        """Return the envelope's events, oldest first."""
        return self._envelopes.events(envelope_id)

    def search(self, where: EnvelopeFilter, limit: int = 50) -> list[Envelope]:
        """Return envelopes, newest first."""
        return self._envelopes.search(where, max(1, min(limit, MAX_LIST)))

    def _locked(self, envelope_id: str) -> Envelope:
        envelope = self._envelopes.lock(envelope_id)
        if envelope is None:
            raise NotFound(f"No envelope with id '{envelope_id}'.")
        return envelope

    def void(self, actor: Actor, envelope_id: str, reason: str) -> Envelope:
        """Void an envelope that is still out for signature; every link dies."""
        actor.require(Permission.ENVELOPES_WRITE)
        if not reason.strip():
            raise InvalidInput("A reason is required to void.", errors=[FieldError("/reason", "must not be empty")])
        envelope = self._locked(envelope_id)
        if envelope.status is not EnvelopeStatus.SENT:
            raise InvalidTransition(f"The envelope is {envelope.status}; only a sent envelope can be voided.")
        envelope = replace(
            envelope,
            status=EnvelopeStatus.VOIDED,
            ended_at=self._clock.now(),
            end_reason=reason.strip(),
            next_reminder_at=None,
        )
        self._envelopes.update(envelope)
        self._documents.unfreeze(envelope.document_id)
        self.recorder.record(envelope, "envelope.voided", actor, detail={"reason": reason.strip()})
        self.notices.voided(envelope, actor)
        return envelope

    def signing_url(self, actor: Actor, envelope_id: str, signer_id: str, origin: str | None) -> EmbeddedLink:
        """Issue a short-lived signing URL for one signer whose turn it is, for an iframe of a listed origin.

        Only origins the MSP listed (``signing.embed_origins``) may frame it; when several are listed
        the request names one, which also receives the page's ``postMessage``. Nothing is mailed: the
        URL goes to the portal that asked, and the issue is recorded.
        """
        actor.require(Permission.ENVELOPES_WRITE)
        listed = self._rules.embed_origins
        if not listed:
            raise InvalidTransition(
                "Embedded signing is off: list your portal's origin in UNDERSIGN_SIGNING__EMBED_ORIGINS first."
            )
        if origin is None:
            if len(listed) > 1:
                raise InvalidInput(
                    "Several portal origins are listed: say which one will show the signing page.",
                    errors=[FieldError("/origin", f"one of {', '.join(listed)}")],
                )
            chosen = listed[0]
        else:
            try:
                chosen = embed_origin(origin)
            except ValueError as exc:
                raise InvalidInput(str(exc), errors=[FieldError("/origin", str(exc))]) from None
            if chosen not in listed:
                raise InvalidInput(
                    f"{chosen} is not one of the origins allowed to embed signing.",
                    errors=[FieldError("/origin", f"one of {', '.join(listed)}")],
                )
        envelope = self._locked(envelope_id)
        signer = next((s for s in envelope.signers if s.id == signer_id), None)
        if signer is None:
            raise NotFound(f"Envelope '{envelope_id}' has no signer '{signer_id}'.")
        now = self._clock.now()
        if envelope.status is not EnvelopeStatus.SENT or now >= envelope.expires_at:
            raise InvalidTransition(f"The envelope is {envelope.status}; nobody can sign it now.")
        if signer.status is not SignerStatus.INVITED:
            raise InvalidTransition(
                f"This signer is {signer.status}: a signing URL is issued only to a signer whose turn it is."
            )
        expires_at = min(embed_expiry(now, self._rules.embed_ttl_minutes), envelope.expires_at)
        url = self.invitations.embedded_link(envelope, signer, chosen, expires_at)
        self.recorder.record(
            envelope,
            "signer.embedded_link_issued",
            actor,
            signer=signer,
            detail={"origin": chosen, "expires_at": expires_at.isoformat()},
        )
        return EmbeddedLink(url=url, signer_id=signer.id, origin=chosen, expires_at=expires_at)

    def remind(self, actor: Actor, envelope_id: str) -> int:
        """Mail every signer whose turn it is a fresh link (429 when the last reminder was too recent)."""
        actor.require(Permission.ENVELOPES_WRITE)
        envelope = self._locked(envelope_id)
        if envelope.status is not EnvelopeStatus.SENT:
            raise InvalidTransition(f"The envelope is {envelope.status}; there is nobody to remind.")
        now = self._clock.now()
        if envelope.last_reminded_at is not None and now - envelope.last_reminded_at < self._rules.remind_min_interval:
            # Signers must not be flooded: one reminder per interval, whoever asks.
            raise RateLimited("This envelope was reminded a short while ago; try again later.")
        return self._remind(envelope, actor, now)

    def _remind(self, envelope: Envelope, actor: Actor, now: datetime) -> int:
        count, envelope = self.invitations.remind(envelope, actor)
        sent = envelope.reminders_sent + 1
        more = envelope.reminder_every_days and sent < self._rules.max_reminders
        envelope = replace(
            envelope,
            reminders_sent=sent,
            last_reminded_at=now,
            next_reminder_at=now + timedelta(days=envelope.reminder_every_days) if more else None,
        )
        self._envelopes.update(envelope)
        return count

    # -- due work (run-due) --------------------------------------------------------------------------

    def expire_one(self) -> bool:
        """Expire one envelope whose time is up; return whether there was one."""
        now = self._clock.now()
        claimed = self._envelopes.claim_due("expire", now, 1)
        if not claimed:
            return False
        envelope = replace(
            claimed[0], status=EnvelopeStatus.EXPIRED, ended_at=now, end_reason="expired", next_reminder_at=None
        )
        self._envelopes.update(envelope)
        self._documents.unfreeze(envelope.document_id)
        self.recorder.record(
            envelope, "envelope.expired", SYSTEM, detail={"expires_at": envelope.expires_at.isoformat()}
        )
        self.notices.expired(envelope)
        return True

    def remind_one(self) -> bool:
        """Send the automatic reminder of one envelope that is due; return whether there was one."""
        now = self._clock.now()
        claimed = self._envelopes.claim_due("remind", now, 1)
        if not claimed:
            return False
        self._remind(claimed[0], SYSTEM, now)
        return True
