"""``SqlLegalHoldRepository``: legal holds and the object versions each subject has filed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session

from domain.legal_holds import HeldObject, LegalHold
from storage.tables import clients, document_files, documents, signed_documents
from storage.tables_envelopes import envelopes
from storage.tables_evidence import legal_holds


def _hold(row: Row[Any]) -> LegalHold:
    m = row._mapping
    return LegalHold(**{name: m[name] for name in LegalHold.__dataclass_fields__})


class SqlLegalHoldRepository:
    """Holds in the database and the objects they cover; never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, hold: LegalHold) -> None:
        """Record a new hold."""
        self._session.execute(insert(legal_holds).values(**hold.__dict__))

    def get(self, hold_id: str) -> LegalHold | None:
        """Return the hold, or ``None``."""
        row = self._session.execute(select(legal_holds).where(legal_holds.c.id == hold_id)).first()
        return _hold(row) if row else None

    def release(self, hold: LegalHold) -> None:
        """Store the release of ``hold``."""
        self._session.execute(
            update(legal_holds)
            .where(legal_holds.c.id == hold.id)
            .values(released_at=hold.released_at, released_by=hold.released_by, release_reason=hold.release_reason)
        )

    def active(self) -> list[LegalHold]:
        """Return every hold not yet released."""
        rows = self._session.execute(select(legal_holds).where(legal_holds.c.released_at.is_(None))).all()
        return [_hold(row) for row in rows]

    def for_subject(self, subject_type: str, subject_id: str) -> list[LegalHold]:
        """Return the holds of a subject, oldest first."""
        rows = self._session.execute(
            select(legal_holds)
            .where(legal_holds.c.subject_type == subject_type, legal_holds.c.subject_id == subject_id)
            .order_by(legal_holds.c.placed_at, legal_holds.c.id)
        ).all()
        return [_hold(row) for row in rows]

    def client_of(self, subject_type: str, subject_id: str) -> str | None:
        """Return the client a subject belongs to, or ``None`` when there is no such subject."""
        if subject_type == "client":
            return self._session.execute(select(clients.c.id).where(clients.c.id == subject_id)).scalar()
        if subject_type == "envelope":
            return self._session.execute(select(envelopes.c.client_id).where(envelopes.c.id == subject_id)).scalar()
        return self._session.execute(select(documents.c.client_id).where(documents.c.id == subject_id)).scalar()

    def objects_of(self, subject_type: str, subject_id: str) -> list[HeldObject]:
        """Return every object version the subject has filed: document files, sent and sealed copies."""
        sealed = select(signed_documents.c.sealed_key, signed_documents.c.sealed_version_id)
        if subject_type == "envelope":
            # An envelope holds the version it sent and its sealed copy.
            files = select(envelopes.c.sent_key, envelopes.c.sent_version_id).where(envelopes.c.id == subject_id)
            sealed = sealed.where(signed_documents.c.envelope_id == subject_id)
        else:
            column, sealed_column = (
                (documents.c.client_id, signed_documents.c.client_id)
                if subject_type == "client"
                else (documents.c.id, signed_documents.c.document_id)
            )
            files = (
                select(document_files.c.key, document_files.c.version_id)
                .join(documents, documents.c.id == document_files.c.document_id)
                .where(column == subject_id)
            )
            sealed = sealed.where(sealed_column == subject_id)
        rows = [*self._session.execute(files).all(), *self._session.execute(sealed).all()]
        return sorted({HeldObject(key, version) for key, version in rows}, key=lambda o: (o.key, o.version_id))


def sealed_by_kind(session: Session, client_id: str) -> list[tuple[str, HeldObject]]:
    """Return (document kind, sealed object version) for every sealed copy of the client's documents."""
    rows = session.execute(
        select(documents.c.kind, signed_documents.c.sealed_key, signed_documents.c.sealed_version_id)
        .join(documents, documents.c.id == signed_documents.c.document_id)
        .where(signed_documents.c.client_id == client_id)
        .order_by(signed_documents.c.signed_at)
    ).all()
    return [(kind, HeldObject(key, version)) for kind, key, version in rows]
