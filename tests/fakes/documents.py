"""In-memory ``DocumentRepository`` and ``SignedDocumentRepository`` with the SQL ones' read orders."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import ClassVar

from domain.actor import Actor
from domain.documents import Document, DocumentFilter, DocumentVersion, SignedDocument
from domain.errors import Conflict
from tests.fakes.unit_of_work import Transactional


class FakeDocumentRepository(Transactional):
    """Documents and their append-only versions; ``get`` returns a document with every version."""

    TABLES: ClassVar[tuple[str, ...]] = ("documents", "versions")

    def __init__(self) -> None:
        self.documents: dict[str, Document] = {}
        self.versions: dict[tuple[str, int], DocumentVersion] = {}

    def add(self, document: Document) -> None:
        """Insert a new document (without versions)."""
        if document.id in self.documents:
            raise Conflict(f"A document with id '{document.id}' already exists.")
        self.documents[document.id] = replace(document, versions=())

    def add_version(self, version: DocumentVersion) -> None:
        """Insert a version and make it the document's latest; an existing number is a ``Conflict``."""
        key = (version.document_id, version.version)
        if key in self.versions:
            raise Conflict(f"Document '{version.document_id}' already has a version {version.version}.")
        self.versions[key] = version
        document = self.documents.get(version.document_id)
        if document is not None:
            self.documents[document.id] = replace(document, latest_version=version.version)

    def get(self, document_id: str) -> Document | None:
        """Return the document with all its versions (oldest first), or ``None``."""
        document = self.documents.get(document_id)
        if document is None:
            return None
        versions = tuple(v for (d, _n), v in sorted(self.versions.items()) if d == document_id)
        return replace(document, versions=versions)

    def get_version(self, document_id: str, version: int) -> DocumentVersion | None:
        """Return one version, or ``None``."""
        return self.versions.get((document_id, version))

    def lock(self, document_id: str) -> Document | None:
        """Return the document (a single-threaded fake has nothing to wait for)."""
        return self.get(document_id)

    def freeze(self, document_id: str, at: datetime) -> None:
        """Mark the document frozen at ``at`` unless it already is."""
        document = self.documents.get(document_id)
        if document is not None and document.frozen_at is None:
            self.documents[document_id] = replace(document, frozen_at=at)

    def unfreeze(self, document_id: str) -> None:
        """Clear the frozen mark."""
        document = self.documents.get(document_id)
        if document is not None:
            self.documents[document_id] = replace(document, frozen_at=None)

    def search(self, where: DocumentFilter, limit: int, after: tuple[datetime, str] | None) -> list[Document]:
        """Return documents matching ``where``, newest first (created_at, id descending), after ``after``."""
        found = [
            d
            for d in self.documents.values()
            if (where.client_id is None or d.client_id == where.client_id)
            and (where.template_id is None or d.template_id == where.template_id)
            and (where.kind is None or d.kind == where.kind)
            and (after is None or (d.created_at, d.id) < after)
        ]
        return sorted(found, key=lambda d: (d.created_at, d.id), reverse=True)[:limit]


class FakeSignedDocumentRepository(Transactional):
    """Signed, sealed document versions, one per envelope."""

    TABLES: ClassVar[tuple[str, ...]] = ("rows",)

    def __init__(self) -> None:
        self.rows: list[SignedDocument] = []

    def add(self, signed: SignedDocument) -> None:
        """Record a completed, sealed document; a second one for the same envelope is a ``Conflict``."""
        if self.by_envelope(signed.envelope_id) is not None:
            raise Conflict(f"Envelope '{signed.envelope_id}' already has a signed document.")
        self.rows.append(signed)

    def by_envelope(self, envelope_id: str) -> SignedDocument | None:
        """Return the signed document of an envelope, or ``None``."""
        return next((s for s in self.rows if s.envelope_id == envelope_id), None)

    def latest_for_client(
        self, client_id: str, template_id: str, signed_before: datetime | None = None
    ) -> SignedDocument | None:
        """Return the client's most recently signed document of a template, signed before a time if given."""
        found = [
            s
            for s in self.rows
            if s.client_id == client_id
            and s.template_id == template_id
            and (signed_before is None or s.signed_at < signed_before)
        ]
        return max(found, key=lambda s: s.signed_at, default=None)

    def for_document(self, document_id: str) -> list[SignedDocument]:
        """Return every signed version of a document, oldest first."""
        return sorted((s for s in self.rows if s.document_id == document_id), key=lambda s: s.signed_at)


class RecordingDocumentListener:
    """A ``DocumentListener`` that keeps every (document id, version) it was told of, in order."""

    def __init__(self) -> None:
        self.filed: list[tuple[str, int]] = []

    def document_version_created(self, actor: Actor, document: Document, version: DocumentVersion) -> None:
        """Record the filed version."""
        self.filed.append((document.id, version.version))
