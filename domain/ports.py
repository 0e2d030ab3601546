"""Ports: the Protocols through which services reach the edges (object store, mail, clock).

Services depend on these and nothing else from the outside world; ``storage/`` and ``adapters/``
implement them and tests use the fakes in ``tests/fakes``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from domain.api_keys import ApiKeyRecord
from domain.blobs import Retention as Retention
from domain.blobs import StoredBlob as StoredBlob
from domain.clients import Client, ClientCursor

if TYPE_CHECKING:
    from domain.actor import Actor
    from domain.assembly.assemble import AssembledDocument
    from domain.assembly.manifest import TemplateManifest
    from domain.audit.event import AuditEvent
    from domain.audit_log import EventFilter, StoredCheckpoint
    from domain.documents import Document, DocumentFilter, DocumentVersion, SignedDocument
    from domain.dunning.records import StepRecord
    from domain.envelopes import Envelope, EnvelopeEvent, EnvelopeFilter, Signer
    from domain.invoices import InvoiceRecord
    from domain.render_job import RenderJob, RenderResult
    from domain.risks import DocumentLink, RiskEntry, RiskStatus, RiskTransition


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

    def unfreeze(self, document_id: str) -> None:
        """Clear the frozen mark (its envelope ended)."""
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

    def latest_for_client(
        self, client_id: str, template_id: str, signed_before: datetime | None = None
    ) -> SignedDocument | None:
        """Return the client's most recently signed document of a template (e.g. its MSA), before a time if given."""
        ...

    def for_document(self, document_id: str) -> list[SignedDocument]:
        """Return every signed version of a document, oldest first."""
        ...


class AuditLog(Protocol):
    """The read side of the audit chain: head, the whole chain in stored order, payloads, search."""

    def head(self) -> AuditEvent | None:
        """Return the newest event, or ``None`` for an empty chain."""
        ...

    def stream(self, *, up_to_seq: int | None = None, batch: int = 5000) -> Iterator[AuditEvent]:
        """Yield every event in insertion order (never sorted by seq: that would hide a reordering)."""
        ...

    def find(self, where: EventFilter, limit: int) -> list[tuple[AuditEvent, dict[str, Any] | None]]:
        """Return up to ``limit`` events matching ``where`` with their payloads, newest first."""
        ...


class CheckpointRepository(Protocol):
    """Where signed checkpoints are listed (their documents live in the object store); append-only."""

    def add(self, stored: StoredCheckpoint) -> None:
        """Record a checkpoint filed in the object store."""
        ...

    def all(self) -> list[StoredCheckpoint]:
        """Return every listed checkpoint, ascending seq."""
        ...

    def latest(self) -> StoredCheckpoint | None:
        """Return the checkpoint with the highest seq, or ``None``."""
        ...


class EnvelopeOutcomeListener(Protocol):
    """Told, in the same transaction, when an envelope is sent, viewed, completed or declined (risk register)."""

    def envelope_sent(self, actor: Actor, envelope_id: str, document_id: str, version: int, sent_at: datetime) -> None:
        """The envelope went out to its first signers."""
        ...

    def envelope_viewed(
        self, actor: Actor, envelope_id: str, document_id: str, version: int, viewed_at: datetime
    ) -> None:
        """A signer opened the document itself (after consenting)."""
        ...

    def envelope_completed(
        self,
        actor: Actor,
        envelope_id: str,
        document_id: str,
        version: int,
        completed_at: datetime,
        signers: list[dict[str, str]],
    ) -> None:
        """Every signer signed and the sealed copy is filed."""
        ...

    def envelope_declined(
        self, actor: Actor, envelope_id: str, document_id: str, version: int, declined_at: datetime, reason: str
    ) -> None:
        """A signer declined to sign (a refusal is itself evidence)."""
        ...


class DocumentPages(Protocol):
    """Page images of a PDF for the signing page, cached by the PDF's SHA-256."""

    def pages(self, sha256: str, load: Callable[[], bytes]) -> list[bytes]:
        """Return one PNG per page of the PDF whose hash is ``sha256`` (``load`` fetches its bytes on a miss)."""
        ...


class EnvelopeRepository(Protocol):
    """Stored envelopes, signers, hashed link tokens and envelope events; never committing."""

    def add(self, envelope: Envelope) -> None:
        """Insert an envelope and its signers."""
        ...

    def update(self, envelope: Envelope) -> None:
        """Store the envelope's and its signers' fields."""
        ...

    def update_signer(self, signer: Signer) -> None:
        """Store one signer's fields."""
        ...

    def get(self, envelope_id: str) -> Envelope | None:
        """Return the envelope with its signers, or ``None``."""
        ...

    def lock(self, envelope_id: str) -> Envelope | None:
        """Return the envelope locked against concurrent changes until the transaction ends."""
        ...

    def add_token(self, token_hash: str, signer_id: str, envelope_id: str, at: datetime) -> None:
        """Record the hash of a link token."""
        ...

    def by_token(self, token_hash: str) -> tuple[str, str] | None:
        """Return ``(envelope_id, signer_id)`` for a token hash, or ``None``."""
        ...

    def add_event(self, event: EnvelopeEvent) -> None:
        """Append one envelope event."""
        ...

    def events(self, envelope_id: str) -> list[EnvelopeEvent]:
        """Return the envelope's events, oldest first."""
        ...

    def search(self, where: EnvelopeFilter, limit: int) -> list[Envelope]:
        """Return envelopes matching ``where``, newest first."""
        ...

    def open_for_document(self, document_id: str, version: int) -> list[str]:
        """Return ids of unfinished envelopes over a document version."""
        ...

    def claim_due(self, kind: str, now: datetime, limit: int) -> list[Envelope]:
        """Lock and return envelopes with due work (``expire``, ``remind``, ``seal``), skipping locked ones."""
        ...


class InvoiceRepository(Protocol):
    """Stored invoices; never committing."""

    def add(self, invoice: InvoiceRecord) -> None:
        """Insert an invoice; a number already stored raises ``Conflict``."""
        ...

    def get(self, invoice_id: str) -> InvoiceRecord | None:
        """Return the invoice with this id, or ``None``."""
        ...

    def by_number(self, number: str) -> InvoiceRecord | None:
        """Return the invoice with this number, or ``None``."""
        ...

    def update(self, invoice: InvoiceRecord) -> None:
        """Store the state fields (paid, dispute, pause, promise) of ``invoice``."""
        ...

    def claim(self, invoice_id: str) -> InvoiceRecord | None:
        """Lock the invoice for this transaction; ``None`` when another run holds it (SKIP LOCKED)."""
        ...

    def search(
        self, *, client_id: str | None, unpaid_on: date | None, limit: int, after: str | None
    ) -> list[InvoiceRecord]:
        """Return invoices ordered by number after ``after``; ``unpaid_on`` keeps those not paid by then."""
        ...

    def due_for_run(self, as_of: date) -> list[str]:
        """Return the ids of invoices issued by ``as_of`` and not paid by then, oldest due date first."""
        ...


class DunningRepository(Protocol):
    """The record of every ladder step and the per-client ladder overrides; never committing."""

    def steps_for(self, invoice_ids: Sequence[str]) -> dict[str, list[StepRecord]]:
        """Return the step records of each invoice."""
        ...

    def add_step(self, record: StepRecord) -> None:
        """Insert a step record; a second record for the same (invoice, step) raises ``Conflict``."""
        ...

    def update_step(self, record: StepRecord) -> None:
        """Store a decided approval (status, date, document, decision fields)."""
        ...

    def claim_step(self, step_id: str) -> StepRecord | None:
        """Return the step record locked for this transaction, or ``None``."""
        ...

    def awaiting_approval(self, limit: int) -> list[StepRecord]:
        """Return the steps waiting for a person's decision, oldest first."""
        ...

    def policy_override(self, client_id: str) -> dict[str, Any] | None:
        """Return the client's ladder override, or ``None``."""
        ...

    def set_policy_override(self, client_id: str, override: dict[str, Any], at: datetime, by: str) -> None:
        """Store (replace) the client's ladder override."""
        ...

    def suspended_client_ids(self) -> list[str]:
        """Return the clients currently marked suspended."""
        ...


class DocumentListener(Protocol):
    """Told, in the same transaction, when a document version is filed (e.g. the risk register)."""

    def document_version_created(self, actor: Actor, document: Document, version: DocumentVersion) -> None:
        """A new document or document version was filed."""
        ...


class RiskRepository(Protocol):
    """The risk register; implementations never commit."""

    def add(self, entry: RiskEntry) -> None:
        """Insert a new entry."""
        ...

    def save(self, entry: RiskEntry) -> None:
        """Store the entry's current fields."""
        ...

    def add_transition(self, risk_id: str, transition: RiskTransition) -> None:
        """Append one lifecycle step."""
        ...

    def link_document(self, risk_id: str, link: DocumentLink) -> None:
        """Record a letter version printed from the entry."""
        ...

    def get(self, risk_id: str, *, lock: bool = False) -> RiskEntry | None:
        """Return the entry with documents and history."""
        ...

    def by_record_id(self, record_id: str, *, lock: bool = False) -> RiskEntry | None:
        """Return the entry of a record id."""
        ...

    def by_document(self, document_id: str, *, lock: bool = False) -> RiskEntry | None:
        """Return the entry a letter document belongs to."""
        ...

    def search(
        self,
        *,
        client_id: str | None = None,
        risk: str | None = None,
        status: RiskStatus | None = None,
        review_before: date | None = None,
        statuses: frozenset[RiskStatus] | None = None,
        limit: int = 200,
    ) -> list[RiskEntry]:
        """Return matching entries, soonest review first."""
        ...

    def due_for_review(self, today: date, limit: int = 100) -> list[RiskEntry]:
        """Claim entries whose review date has come."""
        ...

    def due_for_expiry(self, review_on_or_before: date, limit: int = 100) -> list[RiskEntry]:
        """Claim review-due entries whose review date is on or before the given day."""
        ...
