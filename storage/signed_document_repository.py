"""``SqlSignedDocumentRepository``: the record of which document versions were signed and sealed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session

from domain.blobs import StoredBlob
from domain.documents import SignedDocument
from storage.tables import signed_documents


def _from_row(row: Row[Any]) -> SignedDocument:
    m = row._mapping
    return SignedDocument(
        envelope_id=m["envelope_id"],
        document_id=m["document_id"],
        version=m["version"],
        client_id=m["client_id"],
        template_id=m["template_id"],
        signed_at=m["signed_at"],
        sealed=StoredBlob(
            bucket=m["sealed_bucket"],
            key=m["sealed_key"],
            version_id=m["sealed_version_id"],
            sha256=m["sealed_sha256"],
            size=m["sealed_size"],
        ),
        archive_due_at=m["archive_due_at"],
    )


class SqlSignedDocumentRepository:
    """Signed documents stored with SQLAlchemy; it never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, signed: SignedDocument) -> None:
        """Record that ``signed`` completed and where its sealed copy is filed."""
        self._session.execute(
            insert(signed_documents).values(
                envelope_id=signed.envelope_id,
                document_id=signed.document_id,
                version=signed.version,
                client_id=signed.client_id,
                template_id=signed.template_id,
                signed_at=signed.signed_at,
                sealed_bucket=signed.sealed.bucket,
                sealed_key=signed.sealed.key,
                sealed_version_id=signed.sealed.version_id,
                sealed_sha256=signed.sealed.sha256,
                sealed_size=signed.sealed.size,
                archive_due_at=signed.archive_due_at,
            )
        )

    def claim_due_for_archive(self, now: datetime, limit: int) -> list[SignedDocument]:
        """Lock and return sealed copies whose archive timestamp is due (skipping ones another host holds)."""
        rows = self._session.execute(
            select(signed_documents)
            .where(signed_documents.c.archive_due_at.is_not(None), signed_documents.c.archive_due_at <= now)
            .order_by(signed_documents.c.archive_due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        return [_from_row(row) for row in rows]

    def replace_sealed(self, envelope_id: str, sealed: StoredBlob, archive_due_at: datetime | None) -> None:
        """Point the record at a newer version of its sealed copy (same file plus an archive timestamp)."""
        self._session.execute(
            update(signed_documents)
            .where(signed_documents.c.envelope_id == envelope_id)
            .values(
                sealed_bucket=sealed.bucket,
                sealed_key=sealed.key,
                sealed_version_id=sealed.version_id,
                sealed_sha256=sealed.sha256,
                sealed_size=sealed.size,
                archive_due_at=archive_due_at,
            )
        )

    def by_envelope(self, envelope_id: str) -> SignedDocument | None:
        """Return the signed document of an envelope, or ``None``."""
        row = self._session.execute(
            select(signed_documents).where(signed_documents.c.envelope_id == envelope_id)
        ).first()
        return _from_row(row) if row else None

    def latest_for_client(
        self, client_id: str, template_id: str, signed_before: datetime | None = None
    ) -> SignedDocument | None:
        """Return the most recently signed document of ``template_id`` for the client (e.g. its current MSA).

        With ``signed_before``, only documents signed before that time count: the MSA in force then.
        """
        query = select(signed_documents).where(
            signed_documents.c.client_id == client_id, signed_documents.c.template_id == template_id
        )
        if signed_before is not None:
            query = query.where(signed_documents.c.signed_at < signed_before)
        row = self._session.execute(query.order_by(signed_documents.c.signed_at.desc()).limit(1)).first()
        return _from_row(row) if row else None

    def for_document(self, document_id: str) -> list[SignedDocument]:
        """Return every signed version of a document, oldest first."""
        rows = self._session.execute(
            select(signed_documents)
            .where(signed_documents.c.document_id == document_id)
            .order_by(signed_documents.c.signed_at)
        )
        return [_from_row(row) for row in rows]
