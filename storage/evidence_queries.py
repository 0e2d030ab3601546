"""What an evidence export reads: a client's signed documents, and one subject's events with their proofs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.audit import AuditEvent
from domain.documents import SignedDocument
from storage.audit_trail import event_from_row
from storage.audit_tree import SqlAuditTree
from storage.signed_document_repository import SqlSignedDocumentRepository
from storage.tables import audit_events, audit_subjects, signed_documents


def signed_for_client(session: Session, client_id: str, limit: int = 1000) -> list[SignedDocument]:
    """Return the client's signed documents, oldest first (at most ``limit``)."""
    ids = session.execute(
        select(signed_documents.c.envelope_id)
        .where(signed_documents.c.client_id == client_id)
        .order_by(signed_documents.c.signed_at, signed_documents.c.envelope_id)
        .limit(limit)
    ).scalars()
    repository = SqlSignedDocumentRepository(session)
    return [doc for envelope_id in list(ids) if (doc := repository.by_envelope(envelope_id)) is not None]


class SqlSubjectLog:
    """One subject's slice of the audit log, and Merkle proofs from the kept tree nodes."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._tree = SqlAuditTree(session)

    def subject_events(
        self, subject_type: str, subject_id: str, up_to_seq: int
    ) -> list[tuple[AuditEvent, dict[str, Any] | None]]:
        """Return the events naming the subject (seq <= ``up_to_seq``), ascending, with their payloads."""
        seqs = (
            select(audit_subjects.c.seq)
            .where(audit_subjects.c.subject_type == subject_type, audit_subjects.c.subject_id == subject_id)
            .where(audit_subjects.c.seq <= up_to_seq)
        )
        rows = self._session.execute(
            select(audit_events).where(audit_events.c.seq.in_(seqs)).order_by(audit_events.c.seq)
        ).all()
        return [
            (event_from_row(row), dict(row._mapping["payload"]) if row._mapping["payload"] is not None else None)
            for row in rows
        ]

    def inclusion(self, seq: int, size: int) -> list[bytes]:
        """Return the inclusion proof of event ``seq`` in the tree of ``size`` events."""
        return self._tree.inclusion(seq, size)

    def consistency(self, first: int, second: int) -> list[bytes]:
        """Return the consistency proof from the tree of ``first`` events to the one of ``second``."""
        return self._tree.consistency(first, second)
