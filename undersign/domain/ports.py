"""Ports: the Protocols through which services reach the edges (object store, mail, clock).

Services depend on these and nothing else from the outside world; ``storage/`` and ``adapters/``
implement them and tests use the fakes in ``tests/fakes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from undersign.domain.api_keys import ApiKeyRecord
from undersign.domain.blobs import Retention as Retention
from undersign.domain.blobs import StoredBlob as StoredBlob
from undersign.domain.clients import Client, ClientCursor

if TYPE_CHECKING:
    from undersign.domain.actor import Actor
    from undersign.domain.assembly.assemble import AssembledDocument
    from undersign.domain.assembly.manifest import TemplateManifest
    from undersign.domain.audit.event import AuditEvent
    from undersign.domain.documents import Document, DocumentFilter, DocumentVersion, SignedDocument
    from undersign.domain.render_job import RenderJob, RenderResult


class BlobStore(Protocol):
    """A versioned object store: every put keeps old versions and returns the new version's coordinates."""

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        retention: Retention | None = None,
    ) -> StoredBlob:
        """Store ``data`` under ``key`` as a new version, checksummed with SHA-256."""
        ...

    def get(self, key: str, version_id: str | None = None) -> bytes:
        """Return the bytes of ``key`` (the exact ``version_id`` when given)."""
        ...

    def check(self) -> None:
        """Raise ``StoreUnavailable`` unless the bucket answers with versioning enabled."""
        ...


class Clock(Protocol):
    """The source of the current time; domain code never reads the clock itself."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware (UTC)."""
        ...


class ClientRepository(Protocol):
    """Stored clients; implementations never commit (the request is the unit of work)."""

    def add(self, client: Client) -> None:
        """Insert a new client; raise ``Conflict`` on a duplicate legal name in the same jurisdiction."""
        ...

    def get(self, client_id: str) -> Client | None:
        """Return the client with this id, or ``None``."""
        ...

    def update(self, client: Client) -> None:
        """Replace the stored fields of an existing client."""
        ...

    def find_by_name(self, legal_name: str, jurisdiction: str) -> Client | None:
        """Return the client with this legal name (case-insensitive) in this jurisdiction, or ``None``."""
        ...

    def search(self, query: str | None, limit: int, after: ClientCursor | None) -> list[Client]:
        """Return up to ``limit`` clients whose names contain ``query``, ordered by legal name then id."""
        ...


class ApiKeyRepository(Protocol):
    """Stored API keys (hashes only)."""

    def add(self, key: ApiKeyRecord) -> None:
        """Insert a new key; raise ``Conflict`` if the name is taken."""
        ...

    def by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        """Return the key whose hash this is, or ``None``."""
        ...

    def by_name(self, name: str) -> ApiKeyRecord | None:
        """Return the key with this name, or ``None``."""
        ...

    def all(self) -> list[ApiKeyRecord]:
        """Return every key, newest first."""
        ...

    def revoke(self, name: str, at: datetime) -> None:
        """Mark the key revoked at ``at``."""
        ...


@dataclass(frozen=True)
class Attachment:
    """A file attached to an outgoing mail."""

    filename: str
    content: bytes
    content_type: str = "application/pdf"


@dataclass(frozen=True)
class OutgoingMail:
    """One message to send: who to, what, and any attachments."""

    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    # A stable id makes a retried send recognisable (same Message-ID) instead of a second letter.
    message_id: str | None = None


@dataclass(frozen=True)
class MailReceipt:
    """What the mail relay (or the outbox) said when it took the message."""

    message_id: str
    accepted: tuple[str, ...]
    transport: str  # "smtp" or "outbox"
    detail: str = ""


class Mailer(Protocol):
    """Sends mail; raises ``MailUnavailable`` when the relay cannot take the message."""

    def send(self, mail: OutgoingMail) -> MailReceipt:
        """Hand ``mail`` to the relay (or the outbox) and return its receipt."""
        ...


class TemplateCatalog(Protocol):
    """The template library: manifests by id."""

    def list(self) -> list[TemplateManifest]:
        """Return every template, sorted by id."""
        ...

    def get(self, template_id: str) -> TemplateManifest:
        """Return one template; raise ``NotFound`` for an unknown id."""
        ...


class DocumentRenderer(Protocol):
    """Turns a render job into files, within its time and page budgets."""

    def render(self, job: RenderJob) -> RenderResult:
        """Render ``job``; raise ``RenderBudgetExceeded`` when it runs out of time or pages."""
        ...

    def html(self, document: AssembledDocument) -> str:
        """Return a self-contained HTML preview of an assembled document."""
        ...


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

    def search(self, where: DocumentFilter, limit: int, after: tuple[datetime, str] | None) -> list[Document]:
        """Return documents matching ``where``, newest first, after the keyset position ``after``."""
        ...


class AuditTrail(Protocol):
    """The append-only, hash-chained log every state change writes to, in the same transaction."""

    def record(
        self,
        actor: Actor,
        action: str,
        subjects: Mapping[str, str],
        *,
        payload: Mapping[str, Any] | None = None,
        document_sha256: str | None = None,
    ) -> AuditEvent:
        """Append one event (``action`` like ``client.created``) and return it as chained."""
        ...


class SignedDocumentRepository(Protocol):
    """Which document versions every party signed, and where the sealed copies are filed."""

    def add(self, signed: SignedDocument) -> None:
        """Record a completed, sealed document."""
        ...

    def by_envelope(self, envelope_id: str) -> SignedDocument | None:
        """Return the signed document of an envelope, or ``None``."""
        ...

    def latest_for_client(self, client_id: str, template_id: str) -> SignedDocument | None:
        """Return the client's most recently signed document of a template (e.g. its MSA)."""
        ...

    def for_document(self, document_id: str) -> list[SignedDocument]:
        """Return every signed version of a document, oldest first."""
        ...
