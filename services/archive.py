"""Archive timestamps for sealed copies (PAdES B-LTA upkeep), claimed and done by ``run-due``.

A long-term seal stays verifiable only while its newest timestamp can be validated. Before the
certificates it relies on expire, each due sealed copy gets validation data for that timestamp and
a fresh document timestamp over the whole file; the new bytes extend the old ones (the old file is
their exact prefix) and are filed as a new version of the same object, under the same Object Lock
retention date. The record then points at the new version, the audit chain records both hashes,
and the next due date is set.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Protocol

from domain.actor import SYSTEM
from domain.blobs import Retention, StoredBlob
from domain.documents import SignedDocument
from domain.envelopes import RetentionPolicy
from domain.ports import AuditTrail, BlobStore, Clock, EnvelopeRepository


class ArchivableDocuments(Protocol):
    """The signed-document records, as the archive job needs them."""

    def claim_due_for_archive(self, now: datetime, limit: int) -> list[SignedDocument]:
        """Lock and return records whose archive timestamp is due."""
        ...

    def replace_sealed(self, envelope_id: str, sealed: StoredBlob, archive_due_at: datetime | None) -> None:
        """Point a record at a newer version of its sealed copy."""
        ...


class Archiver(Protocol):
    """Adds archive timestamps and says when the next one is due (the signing kit's completer)."""

    def add_archive_timestamp(self, pdf: bytes) -> bytes:
        """Return ``pdf`` with validation data and a fresh document timestamp appended."""
        ...

    def archive_due(self, sealed_pdf: bytes, now: datetime) -> datetime | None:
        """Return when ``sealed_pdf`` needs its next archive timestamp."""
        ...


class ArchiveService:
    """Re-timestamps due sealed copies, one per call, in the caller's unit of work."""

    def __init__(
        self,
        *,
        signed: ArchivableDocuments,
        envelopes: EnvelopeRepository,
        blobs: BlobStore,
        archiver: Archiver,
        retention: RetentionPolicy,
        audit: AuditTrail,
        clock: Clock,
    ) -> None:
        self._signed = signed
        self._envelopes = envelopes
        self._blobs = blobs
        self._archiver = archiver
        self._retention = retention
        self._audit = audit
        self._clock = clock

    def archive_one(self) -> bool:
        """Add an archive timestamp to one due sealed copy; return whether one was due.

        Raises ``TimestampUnavailable`` when the TSA fails: nothing is changed and the copy stays due.
        """
        now = self._clock.now()
        due = self._signed.claim_due_for_archive(now, 1)
        if not due:
            return False
        record = due[0]
        pdf = self._blobs.get(record.sealed.key, record.sealed.version_id)
        archived = self._archiver.add_archive_timestamp(pdf)
        envelope = self._envelopes.get(record.envelope_id)
        kind = envelope.document_kind if envelope is not None else "contract"
        filed_at = (envelope.completed_at if envelope is not None else None) or record.signed_at
        # Same retain-until as the sealed copy it extends: an archive timestamp never shortens (or
        # restarts) the retention the law counts from the signing.
        retention = Retention(
            mode=self._retention.mode,
            retain_until=self._retention.retain_until(kind, filed_at),
            legal_hold=envelope.legal_hold if envelope is not None else False,
        )
        blob = self._blobs.put(record.sealed.key, archived, content_type="application/pdf", retention=retention)
        next_due = self._archiver.archive_due(archived, now)
        self._signed.replace_sealed(record.envelope_id, blob, next_due)
        self._audit.record(
            SYSTEM,
            "document.archive_timestamped",
            {"envelope": record.envelope_id, "document": record.document_id, "client": record.client_id},
            payload={
                "bucket": blob.bucket,
                "key": blob.key,
                "version_id": blob.version_id,
                "sha256": blob.sha256,
                "size": blob.size,
                "previous_sha256": hashlib.sha256(pdf).hexdigest(),
                "previous_version_id": record.sealed.version_id,
                "next_due": next_due.isoformat() if next_due else None,
            },
            document_sha256=blob.sha256,
        )
        return True
