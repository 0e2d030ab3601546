"""Completion: stamp the signatures, append the certificate of completion, seal, file under Object Lock, mail.

Runs in its own unit of work after the last signature (and again from ``run-due`` while an envelope
stays ``completing``). If the configured timestamp authority or the object store cannot be reached
nothing is sealed or filed: the envelope stays ``completing`` with the error noted (``seal_error``,
an ``envelope.seal_deferred`` event), and a later run retries. A seal with
an invented time is never made. The sealed file is written first, then the rows that point at it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from domain.actor import SYSTEM
from domain.blobs import Retention
from domain.documents import SignedDocument
from domain.envelopes import (
    Envelope,
    EnvelopeEvent,
    EnvelopeStatus,
    RetentionPolicy,
    Signer,
    SignerRole,
    SignerStatus,
    delivered_summary,
    page_heights,
    stamp_boxes,
)
from domain.errors import MailUnavailable, NotFound, StoreUnavailable, TimestampUnavailable
from domain.languages import DEFAULT_LANGUAGE, ENGLISH, N_, EnglishOnly, MessageCatalogs, Translator
from domain.ports import (
    Attachment,
    BlobStore,
    Clock,
    DocumentRepository,
    EnvelopeOutcomeListener,
    EnvelopeRepository,
    Mailer,
    OutgoingMail,
    SignedDocumentRepository,
)
from domain.sealing.completion import Completer
from domain.sealing.completion_certificate import CompletionRecord, EventRecord, SignerEvidence
from domain.sealing.stamping import SentDocument, SignatureStamp
from services.envelope_notices import EnvelopeNotices
from services.envelopes import EnvelopeRecorder

# The task that seals a fully signed envelope (enqueued with the last signature; see undersign.tasks).
COMPLETE_ENVELOPE_TASK = "complete-envelope"


def sealed_copy_key(envelope: Envelope) -> str:
    """Return the object key of an envelope's sealed copy: one key per envelope, so a re-run finds it."""
    return f"signed/{envelope.client_id}/{envelope.document_id}/v{envelope.version}/{envelope.id}.pdf"


_MONTHS = (
    N_("January"),
    N_("February"),
    N_("March"),
    N_("April"),
    N_("May"),
    N_("June"),
    N_("July"),
    N_("August"),
    N_("September"),
    N_("October"),
    N_("November"),
    N_("December"),
)


def signed_copy_name(title: str, signed_at: datetime, t: Translator = ENGLISH) -> str:
    """Return the signed copy's file name by title and date, e.g. ``MSA - signed 1 March 2026.pdf``."""
    stem = re.sub(r"[^A-Za-z0-9 ._-]+", "-", title).strip(" .-")[:120] or t.gettext("Signed document")
    date = f"{signed_at.day} {t.gettext(_MONTHS[signed_at.month - 1])} {signed_at.year}"
    name = t.gettext("%(title)s - signed %(date)s.pdf") % {"title": stem, "date": date}
    # The translated words may carry accents: keep the name portable (ASCII letters, digits, ". _ -").
    return re.sub(r"[^A-Za-z0-9 ._-]+", "-", unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode())


def certificate_language(signers: Sequence[Signer]) -> str:
    """Return the language of the certificate: the first client signer's (the client keeps the record)."""
    ordered = sorted(signers, key=lambda s: (s.role is not SignerRole.CLIENT, s.order, s.position))
    return ordered[0].language if ordered else DEFAULT_LANGUAGE


def completion_record(
    envelope: Envelope,
    events: Sequence[EnvelopeEvent],
    sent_pages: int,
    now: datetime,
    t: Translator = ENGLISH,
) -> CompletionRecord:
    """Return what the certificate of completion of ``envelope`` states, from its signers and events."""
    signers = [s for s in envelope.signers if s.status is SignerStatus.SIGNED]
    sent_at = next((e.at for e in events if e.action == "envelope.created"), envelope.created_at)
    return CompletionRecord(
        envelope_id=envelope.id,
        document_id=envelope.document_id,
        document_version=envelope.version,
        document_title=envelope.title,
        template_id=envelope.template_id,
        template_version=envelope.template_version,
        sent_sha256=envelope.sent_sha256,
        sent_at=sent_at,
        completed_at=now,
        sender_name=envelope.sender_name,
        sender_title=envelope.sender_title,
        signers=[
            SignerEvidence(
                name=s.signed_name or s.name,
                email=s.email,
                title=s.signed_title or s.title,
                authority_attestation=s.attestation or "",
                auth_method=t.gettext("e-mail link + one-time code") if s.otp_verified_at else t.gettext("e-mail link"),
                consent_version=s.consent_version or "",
                consented_at=s.consented_at or now,
                viewed_at=s.viewed_at,
                pages_seen=delivered_summary(s.viewed_pages, s.delivered_views, sent_pages, t),
                signed_at=s.signed_at or now,
                ip=s.ip or t.gettext("unknown"),
                user_agent=s.user_agent or t.gettext("unknown"),
                signature_method=s.signature_method or "typed",
            )
            for s in signers
        ],
        events=[EventRecord(at=e.at, actor=e.actor, action=e.action, ip=e.ip, user_agent=e.user_agent) for e in events],
        # The certificate is issued by the MSP, whose document this is, not by the software.
        issuer=envelope.msp_name,
    )


class CompletionService:
    """Turns a fully signed envelope into its sealed, filed, mailed record."""

    def __init__(
        self,
        *,
        envelopes: EnvelopeRepository,
        documents: DocumentRepository,
        signed: SignedDocumentRepository,
        blobs: BlobStore,
        mailer: Mailer,
        recorder: EnvelopeRecorder,
        clock: Clock,
        completer: Completer,
        retention: RetentionPolicy,
        listeners: Sequence[EnvelopeOutcomeListener] = (),
        catalogs: MessageCatalogs | None = None,
        after_filed: Callable[[str], None] | None = None,
    ) -> None:
        self._envelopes = envelopes
        self._documents = documents
        self._signed = signed
        self._blobs = blobs
        self._mailer = mailer
        self._recorder = recorder
        self._clock = clock
        self._completer = completer
        self._retention = retention
        self._listeners = list(listeners)
        self._catalogs = catalogs or EnglishOnly()
        self._notices = EnvelopeNotices(mailer, recorder, catalogs)
        # Called with the envelope id between filing the sealed copy and recording it (a test's kill point).
        self._after_filed = after_filed or (lambda _envelope_id: None)

    def complete(self, envelope_id: str) -> Envelope:
        """Seal and file a ``completing`` envelope; leave it ``completing`` if the TSA is down."""
        envelope = self._envelopes.lock(envelope_id)
        if envelope is None:
            raise NotFound(f"No envelope with id '{envelope_id}'.")
        return self.complete_locked(envelope)

    def complete_locked(self, envelope: Envelope) -> Envelope:
        """Like :meth:`complete`, for an envelope the caller has already locked."""
        if envelope.status is not EnvelopeStatus.COMPLETING:
            return envelope
        version = self._documents.get_version(envelope.document_id, envelope.version)
        if version is None:
            raise NotFound(f"Document version {envelope.document_id} v{envelope.version} is missing.")
        try:
            sent = self._blobs.get(envelope.sent_key, envelope.sent_version_id)
        except StoreUnavailable as exc:
            return self._defer(envelope, exc)
        now = self._clock.now()
        signers = [s for s in envelope.signers if s.status is SignerStatus.SIGNED]
        # Parsed once: the boxes, the page count and the completing update all use this parse.
        opened = SentDocument.open(sent)
        heights = page_heights(opened.writer)
        boxes = stamp_boxes(heights, version.signature_boxes, signers)
        stamps = [
            SignatureStamp(
                box=boxes[s.id],
                signer_name=s.signed_name or s.name,
                signer_title=s.signed_title or s.title,
                signed_at=s.signed_at or now,
                drawn_png=s.signature_png if s.signature_method == "drawn" else None,
                typed_text=s.typed_text if s.signature_method != "drawn" else None,
                fill_lines=True,  # every template's signature block has Name, Title and Date lines
            )
            for s in signers
            if s.id in boxes
        ]
        sent_pages = len(heights)
        language = certificate_language(envelope.signers)
        t = self._catalogs.translator(language)
        record = completion_record(envelope, self._envelopes.events(envelope.id), sent_pages, now, t)
        retention = Retention(
            mode=self._retention.mode,
            retain_until=self._retention.retain_until(envelope.document_kind, now),
            legal_hold=envelope.legal_hold,
        )
        key = sealed_copy_key(envelope)
        try:
            # A run before this one may have filed the sealed copy and died before recording it: that
            # copy is recorded as it is; a second seal would file a second "original".
            blob = self._blobs.latest(key)
            if blob is not None:
                sealed_pdf = self._blobs.get(key, blob.version_id)
            else:
                sealed = self._completer.complete(
                    opened, stamps, record, sealed_at=now, translator=t, language=language
                )
                sealed_pdf = sealed.pdf
                blob = self._blobs.put(key, sealed_pdf, content_type="application/pdf", retention=retention)
        except (TimestampUnavailable, StoreUnavailable) as exc:
            return self._defer(envelope, exc)
        self._after_filed(envelope.id)
        signed_at = max((s.signed_at for s in signers if s.signed_at), default=now)
        self._signed.add(
            SignedDocument(
                envelope_id=envelope.id,
                document_id=envelope.document_id,
                version=envelope.version,
                client_id=envelope.client_id,
                template_id=envelope.template_id,
                signed_at=signed_at,
                sealed=blob,
                archive_due_at=self._completer.archive_due(sealed_pdf, now),
            )
        )
        envelope = replace(
            envelope,
            status=EnvelopeStatus.COMPLETED,
            completed_at=now,
            ended_at=now,
            seal_attempts=envelope.seal_attempts + 1,
            seal_error=None,
        )
        self._envelopes.update(envelope)
        self._recorder.record(
            envelope,
            "document.sealed",
            SYSTEM,
            document_sha256=blob.sha256,
            detail={
                "bucket": blob.bucket,
                "key": blob.key,
                "version_id": blob.version_id,
                "sha256": blob.sha256,
                "size": blob.size,
                "sent_sha256": envelope.sent_sha256,
                "retention_mode": retention.mode,
                "retain_until": retention.retain_until.isoformat(),
                "legal_hold": retention.legal_hold,
            },
        )
        self._recorder.record(envelope, "envelope.completed", SYSTEM, detail={"sealed_sha256": blob.sha256})
        summary = [
            {
                "name": s.signed_name or s.name,
                "email": s.email,
                "title": s.signed_title or s.title,
                "role": s.role.value,
                # What the register keeps of "viewed": the pages this signer was actually shown.
                "pages_viewed": delivered_summary(s.viewed_pages, s.delivered_views, sent_pages),
            }
            for s in signers
        ]
        for listener in self._listeners:
            listener.envelope_completed(SYSTEM, envelope.id, envelope.document_id, envelope.version, now, summary)
        self._mail_copies(envelope, sealed_pdf)
        self._notices.completed(envelope)
        return envelope

    def _defer(self, envelope: Envelope, exc: TimestampUnavailable | StoreUnavailable) -> Envelope:
        """Keep the envelope ``completing`` with the reason visible; ``run-due`` retries it.

        Recorded in the caller's unit of work, so the error shows on the envelope even though nothing
        was sealed (an outage must not leave an envelope silently stuck).
        """
        envelope = replace(envelope, seal_attempts=envelope.seal_attempts + 1, seal_error=exc.detail)
        self._envelopes.update(envelope)
        self._recorder.record(envelope, "envelope.seal_deferred", SYSTEM, detail={"error": exc.detail})
        return envelope

    def _mail_copies(self, envelope: Envelope, pdf: bytes) -> None:
        """Mail the sealed copy to every signer, one mail per language, each in its readers' words."""
        by_language: dict[str, list[str]] = {}
        for signer in envelope.signers:
            by_language.setdefault(signer.language, []).append(signer.email)
        mailed: list[str] = []
        accepted: list[str] = []
        transport = ""
        for language, recipients in by_language.items():
            t = self._catalogs.translator(language)
            words = {"title": envelope.title, "msp": envelope.msp_name, "id": envelope.id}
            text = (
                t.gettext(
                    '"%(title)s" has been signed by every party. The sealed copy with its certificate of '
                    "completion is attached; keep it for your records."
                )
                % words
                + f"\n\n{envelope.msp_name}\n\n"
                + t.gettext("Reference: %(id)s") % words
                + "\n"
            )
            # The first language keeps the envelope's historic message id; others get their own.
            suffix = "" if not mailed and language == DEFAULT_LANGUAGE else f"-{language}"
            try:
                receipt = self._mailer.send(
                    OutgoingMail(
                        to=tuple(recipients),
                        subject=t.gettext("Completed: %(title)s") % words,
                        text=text,
                        attachments=(
                            Attachment(filename=signed_copy_name(envelope.title, self._clock.now(), t), content=pdf),
                        ),
                        message_id=f"<completed-{envelope.id}{suffix}@undersign.local>",
                    )
                )
            except MailUnavailable as exc:
                # The sealed copy is filed; a lost mail must not undo the record. The event says who did not get it.
                self._recorder.record(
                    envelope, "envelope.copy_not_mailed", SYSTEM, detail={"error": exc.detail, "to": recipients}
                )
                continue
            mailed += recipients
            accepted += receipt.accepted
            transport = receipt.transport
        if mailed:
            self._recorder.record(
                envelope,
                "envelope.copy_mailed",
                SYSTEM,
                detail={"to": mailed, "accepted": accepted, "transport": transport},
            )
