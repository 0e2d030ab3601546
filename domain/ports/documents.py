"""The document store ports: documents, versions, signed copies, and who listens to new ones."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from domain.blobs import Retention as Retention
from domain.blobs import StoredBlob as StoredBlob

if TYPE_CHECKING:
    from domain.actor import Actor
    from domain.documents import Document, DocumentFilter, DocumentVersion, SignedDocument


class DocumentRepository(Protocol):
    """Stored documents and their versions; append-only, never committing."""

    def add(self, document: Document) -> None:
        """Insert a new document (without versions)."""
        ...

    def add_version(self, version: DocumentVersion) -> None:
        """Insert a version and its files, and make it the document's latest."""
        ...

    def get(self, document_id: str) -> Document | None:
        """Return the document with all its versions, or ``None``."""
        ...

    def get_version(self, document_id: str, version: int) -> DocumentVersion | None:
        """Return one version with its files, or ``None``."""
        ...

    def lock(self, document_id: str) -> Document | None:
        """Return the document, locked against concurrent new versions until the transaction ends."""
        ...

    def freeze(self, document_id: str, at: datetime) -> None:
        """Mark the document frozen (it is in an envelope)."""
        ...

    def unfreeze(self, document_id: str) -> None:
        """Clear the frozen mark (its envelope ended)."""
        ...

    def search(self, where: DocumentFilter, limit: int, after: tuple[datetime, str] | None) -> list[Document]:
        """Return documents matching ``where``, newest first, after the keyset position ``after``."""
        ...


class SignedDocumentRepository(Protocol):
    """Which document versions every party signed, and where the sealed copies are filed."""

    def add(self, signed: SignedDocument) -> None:
        """Record a completed, sealed document."""
        ...

    def by_envelope(self, envelope_id: str) -> SignedDocument | None:
        """Return the signed document of an envelope, or ``None``."""
        ...

    def latest_for_client(
        self, client_id: str, template_id: str, signed_before: datetime | None = None
    ) -> SignedDocument | None:
        """Return the client's most recently signed document of a template (e.g. its MSA), before a time if given."""
        ...

    def for_document(self, document_id: str) -> list[SignedDocument]:
        """Return every signed version of a document, oldest first."""
        ...


class DocumentListener(Protocol):
    """Told, in the same transaction, when a document version is filed (e.g. the risk register)."""

    def document_version_created(self, actor: Actor, document: Document, version: DocumentVersion) -> None:
        """A new document or document version was filed."""
        ...
