"""Wiring of the evidence area over a ``Runtime`` and a session: the refusal-record listener.

Used by the envelope dependencies (API and ``run-due``) as an outcome listener factory, so a
decline files its sealed record in the same transaction as the decline itself.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from adapters.evidence_seal import evidence_seal
from domain.audit import certificate_fingerprint
from domain.blobs import Retention
from services.audit import add_years
from services.refusal_records import RefusalRecords
from storage.audit_trail import SqlAuditTrail
from storage.envelope_repository import SqlEnvelopeRepository
from storage.evidence_queries import SqlSubjectLog
from undersign.audit_runtime import runtime_service_key
from undersign.runtime import Runtime


def refusal_records(session: Session, runtime: Runtime) -> RefusalRecords:
    """Return the listener that files a sealed refusal record when a signer declines."""
    settings = runtime.settings
    trail = SqlAuditTrail(session, runtime.clock)
    seal = evidence_seal(settings, runtime.clock.now())

    def head_seq() -> int:
        head = trail.head()
        return 0 if head is None else head.seq

    return RefusalRecords(
        envelopes=SqlEnvelopeRepository(session),
        log=SqlSubjectLog(session),
        head_seq=head_seq,
        trail=trail,
        blobs=runtime.blob_store,
        writer=seal.writer,
        seal=seal.seal,
        retention=lambda now: Retention(
            mode=settings.s3.retention_mode,
            retain_until=add_years(now, max(settings.s3.waiver_retention_years, settings.s3.contract_retention_years)),
        ),
        fingerprint=certificate_fingerprint(runtime_service_key(runtime).certificate),
    )
