"""Which signed documents an evidence export covers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.documents import SignedDocument
from storage.signed_document_repository import SqlSignedDocumentRepository
from storage.tables import signed_documents


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
