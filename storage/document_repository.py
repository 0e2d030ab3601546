"""``SqlDocumentRepository``: documents, their immutable versions and the coordinates of their files."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, insert, or_, select, update
from sqlalchemy.orm import Session

from domain.assembly.records import ClauseRecord, SignatureBoxRecord
from domain.blobs import StoredBlob
from domain.document_kind import DocumentKind
from domain.documents import Document, DocumentFilter, DocumentVersion, FileFormat, StoredFile
from storage.tables import document_files, document_versions, documents


def _document(row: Row[Any], versions: tuple[DocumentVersion, ...] = ()) -> Document:
    m = row._mapping
    return Document(
        id=m["id"],
        client_id=m["client_id"],
        template_id=m["template_id"],
        kind=DocumentKind(m["kind"]),
        title=m["title"],
        latest_version=m["latest_version"],
        created_at=m["created_at"],
        created_by=m["created_by"],
        frozen_at=m["frozen_at"],
        versions=versions,
    )


def _file(row: Row[Any]) -> StoredFile:
    m = row._mapping
    return StoredFile(
        format=FileFormat(m["format"]),
        content_type=m["content_type"],
        blob=StoredBlob(
            bucket=m["bucket"], key=m["key"], version_id=m["version_id"], sha256=m["sha256"], size=m["size"]
        ),
    )


def _version(row: Row[Any], template_id: str, files: tuple[StoredFile, ...]) -> DocumentVersion:
    m = row._mapping
    return DocumentVersion(
        document_id=m["document_id"],
        version=m["version"],
        template_id=template_id,
        template_version=m["template_version"],
        document_date=m["document_date"],
        variables=m["variables"],
        clauses=tuple(ClauseRecord.from_dict(c) for c in m["clauses"]),
        signature_boxes=tuple(SignatureBoxRecord.from_dict(b) for b in m["signature_boxes"]),
        library_versions=m["library_versions"],
        context=m["context"],
        created_at=m["created_at"],
        created_by=m["created_by"],
        files=files,
    )


class SqlDocumentRepository:
    """Documents stored with SQLAlchemy; versions are only ever inserted. It never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, document: Document) -> None:
        """Insert a new document row (its versions are added with ``add_version``)."""
        self._session.execute(
            insert(documents).values(
                id=document.id,
                client_id=document.client_id,
                template_id=document.template_id,
                kind=document.kind,
                title=document.title,
                latest_version=document.latest_version,
                frozen_at=document.frozen_at,
                created_at=document.created_at,
                created_by=document.created_by,
            )
        )

    def add_version(self, version: DocumentVersion) -> None:
        """Insert ``version`` and its files and make it the document's latest version."""
        self._session.execute(
            insert(document_versions).values(
                document_id=version.document_id,
                version=version.version,
                template_version=version.template_version,
                document_date=version.document_date,
                variables=version.variables,
                clauses=[c.as_dict() for c in version.clauses],
                signature_boxes=[b.as_dict() for b in version.signature_boxes],
                library_versions=version.library_versions,
                context=version.context,
                created_at=version.created_at,
                created_by=version.created_by,
            )
        )
        for stored in version.files:
            self._session.execute(
                insert(document_files).values(
                    document_id=version.document_id,
                    version=version.version,
                    format=stored.format.value,
                    content_type=stored.content_type,
                    bucket=stored.blob.bucket,
                    key=stored.blob.key,
                    version_id=stored.blob.version_id,
                    sha256=stored.blob.sha256,
                    size=stored.blob.size,
                )
            )
        self._session.execute(
            update(documents).where(documents.c.id == version.document_id).values(latest_version=version.version)
        )

    def _versions(self, document_id: str, template_id: str, only: int | None = None) -> tuple[DocumentVersion, ...]:
        stmt = select(document_versions).where(document_versions.c.document_id == document_id)
        files_stmt = select(document_files).where(document_files.c.document_id == document_id)
        if only is not None:
            stmt = stmt.where(document_versions.c.version == only)
            files_stmt = files_stmt.where(document_files.c.version == only)
        files: dict[int, list[StoredFile]] = {}
        for row in self._session.execute(files_stmt.order_by(document_files.c.format.desc())):
            files.setdefault(row._mapping["version"], []).append(_file(row))
        rows = self._session.execute(stmt.order_by(document_versions.c.version))
        return tuple(_version(row, template_id, tuple(files.get(row._mapping["version"], []))) for row in rows)

    def get(self, document_id: str) -> Document | None:
        """Return the document with every version, or ``None``."""
        row = self._session.execute(select(documents).where(documents.c.id == document_id)).first()
        if row is None:
            return None
        return _document(row, self._versions(document_id, row._mapping["template_id"]))

    def get_version(self, document_id: str, version: int) -> DocumentVersion | None:
        """Return one version with its files, or ``None``."""
        row = self._session.execute(select(documents.c.template_id).where(documents.c.id == document_id)).first()
        if row is None:
            return None
        found = self._versions(document_id, row[0], only=version)
        return found[0] if found else None

    def lock(self, document_id: str) -> Document | None:
        """Return the document row locked FOR UPDATE (PostgreSQL; SQLite serialises writers already)."""
        row = self._session.execute(select(documents).where(documents.c.id == document_id).with_for_update()).first()
        return _document(row) if row else None

    def freeze(self, document_id: str, at: datetime) -> None:
        """Mark the document frozen at ``at`` (it is in an envelope) unless it already is."""
        self._session.execute(
            update(documents).where(documents.c.id == document_id, documents.c.frozen_at.is_(None)).values(frozen_at=at)
        )

    def unfreeze(self, document_id: str) -> None:
        """Clear the frozen mark: the envelope that froze the document has ended."""
        self._session.execute(update(documents).where(documents.c.id == document_id).values(frozen_at=None))

    def search(self, where: DocumentFilter, limit: int, after: tuple[datetime, str] | None) -> list[Document]:
        """Return documents matching ``where``, newest first, after the keyset position ``after``."""
        stmt = select(documents)
        if where.client_id:
            stmt = stmt.where(documents.c.client_id == where.client_id)
        if where.template_id:
            stmt = stmt.where(documents.c.template_id == where.template_id)
        if where.kind:
            stmt = stmt.where(documents.c.kind == where.kind)
        if after is not None:
            created_at, document_id = after
            stmt = stmt.where(
                or_(
                    documents.c.created_at < created_at,
                    and_(documents.c.created_at == created_at, documents.c.id < document_id),
                )
            )
        stmt = stmt.order_by(documents.c.created_at.desc(), documents.c.id.desc()).limit(limit)
        return [_document(row) for row in self._session.execute(stmt)]
