"""The archive job of ``undersign run-due``: fresh archive timestamps for long-term seals that need one.

Each sealed copy is claimed (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and done in its own unit of
work. A TSA that is down leaves the copy due for the next run.
"""

from __future__ import annotations

from adapters.signing_kit import SigningKit, build_signing_kit
from domain.errors import TimestampUnavailable
from services.archive import ArchiveService
from storage.audit_trail import SqlAuditTrail
from storage.database import unit_of_work
from storage.envelope_repository import SqlEnvelopeRepository
from storage.signed_document_repository import SqlSignedDocumentRepository
from undersign.runtime import Runtime

MAX_ITEMS = 500


def archive_due(runtime: Runtime, kit: SigningKit | None = None) -> dict[str, int]:
    """Add archive timestamps to due sealed copies; return how many were done and deferred."""
    kit = kit or build_signing_kit(runtime.settings, runtime.clock.now())
    counts = {"archived": 0, "deferred": 0}
    if not kit.completer.sealer.long_term:
        return counts
    for _ in range(MAX_ITEMS):
        try:
            with unit_of_work(runtime.sessions) as session:
                service = ArchiveService(
                    signed=SqlSignedDocumentRepository(session),
                    envelopes=SqlEnvelopeRepository(session),
                    blobs=runtime.blob_store,
                    archiver=kit.completer,
                    retention=kit.retention,
                    audit=SqlAuditTrail(session, runtime.clock),
                    clock=runtime.clock,
                )
                if not service.archive_one():
                    break
        except TimestampUnavailable:
            counts["deferred"] += 1
            break
        counts["archived"] += 1
    return counts
