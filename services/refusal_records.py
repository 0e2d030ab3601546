"""Refusal records: when a signer declines, a sealed record of what they were asked and what they did is filed.

"The client was told in writing and refused" is what an MSP needs after a breach, so a decline is
not only an event: in the same transaction, an evidence summary of the envelope's events (who was
asked to sign what, how identified, what they saw, the reason they gave) is rendered, sealed with
the service key, filed under Object Lock and named by SHA-256 in the chained ``document_sha256`` of
an ``envelope.refusal_filed`` event. It can be exported with the rest of the envelope's evidence.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.actor import SYSTEM, Actor
from domain.audit.canonical import canonical_json
from domain.blobs import Retention
from domain.errors import NotFound
from domain.evidence_summary import SummaryDocument, render_summary, summary_context
from domain.ports import AuditTrail, BlobStore, EnvelopeRepository
from domain.sealing.html_pages import HtmlPageWriter
from services.evidence import SubjectLog, safe_name


class RefusalRecords:
    """An envelope outcome listener that files a sealed refusal record on every decline."""

    def __init__(
        self,
        *,
        envelopes: EnvelopeRepository,
        log: SubjectLog,
        head_seq: Callable[[], int],
        trail: AuditTrail,
        blobs: BlobStore,
        writer: HtmlPageWriter,
        seal: Callable[[str, bytes, datetime], bytes],
        retention: Callable[[datetime], Retention],
        fingerprint: str,
    ) -> None:
        self._envelopes = envelopes
        self._log = log
        self._head_seq = head_seq
        self._trail = trail
        self._blobs = blobs
        self._writer = writer
        self._seal = seal
        self._retention = retention
        self._fingerprint = fingerprint

    def envelope_sent(self, actor: Actor, envelope_id: str, document_id: str, version: int, sent_at: datetime) -> None:
        """Nothing to file when an envelope goes out."""

    def envelope_viewed(
        self, actor: Actor, envelope_id: str, document_id: str, version: int, viewed_at: datetime
    ) -> None:
        """Nothing to file when a signer views."""

    def envelope_completed(
        self,
        actor: Actor,
        envelope_id: str,
        document_id: str,
        version: int,
        completed_at: datetime,
        signers: list[dict[str, Any]],
    ) -> None:
        """Nothing to file here: completion files the sealed document itself."""

    def envelope_declined(
        self, actor: Actor, envelope_id: str, document_id: str, version: int, declined_at: datetime, reason: str
    ) -> None:
        """Render, seal and file the refusal record, and chain its SHA-256."""
        envelope = self._envelopes.get(envelope_id)
        if envelope is None:
            raise NotFound(f"No envelope with id '{envelope_id}'.")
        head = self._head_seq()
        events = self._log.subject_events("envelope", envelope_id, head)
        context = summary_context(
            subject_label=f'"{envelope.title}" (version {envelope.version}), envelope {envelope_id}',
            outcome="refused to sign",
            events=events,
            documents=[SummaryDocument(f"{envelope.title} (as sent)", envelope.sent_sha256)],
            fingerprint=self._fingerprint,
            tree_size=head,
            exported_at=declined_at,
        )
        identifier = hashlib.sha256(canonical_json(["refusal", envelope_id, head])).digest()[:16]
        sealed = self._seal(
            f"envelope:{envelope_id}", render_summary(self._writer, context, identifier=identifier), declined_at
        )
        retention = self._retention(declined_at)
        stamp = declined_at.strftime("%Y%m%dT%H%M%S%fZ")
        filed = self._blobs.put(
            f"evidence/refusals/{safe_name(envelope.client_id)}/{safe_name(envelope_id)}-{stamp}.pdf",
            sealed,
            content_type="application/pdf",
            retention=retention,
        )
        self._trail.record(
            SYSTEM,
            "envelope.refusal_filed",
            {"envelope": envelope_id, "document": document_id, "client": envelope.client_id},
            payload={
                "key": filed.key,
                "version_id": filed.version_id,
                "sha256": filed.sha256,
                "reason": reason,
                "retention_mode": retention.mode,
                "retain_until": retention.retain_until.isoformat(),
            },
            document_sha256=filed.sha256,
        )
