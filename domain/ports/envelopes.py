"""The envelope ports: stored envelopes, outcome listeners, page images for signers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from domain.blobs import Retention as Retention
from domain.blobs import StoredBlob as StoredBlob

if TYPE_CHECKING:
    from domain.actor import Actor
    from domain.envelopes import Envelope, EnvelopeEvent, EnvelopeFilter, LinkGrant, Signer


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

    def add_token(
        self,
        token_hash: str,
        signer_id: str,
        envelope_id: str,
        at: datetime,
        *,
        expires_at: datetime | None = None,
        frame_origin: str | None = None,
    ) -> None:
        """Record the hash of a link token (an embedded link also has an end and the origin that may frame it)."""
        ...

    def by_token(self, token_hash: str) -> tuple[str, str] | None:
        """Return ``(envelope_id, signer_id)`` for a token hash, or ``None``."""
        ...

    def grant(self, token_hash: str) -> LinkGrant | None:
        """Return what a token hash opens (with an embedded link's end and framing origin), or ``None``."""
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
    """The signing page's images of sent PDFs: rendered once per PDF (by SHA-256) by a task, kept in the store."""

    def ready(self, sha256: str) -> int | None:
        """Return the page count of the PDF ``sha256`` once its images are stored, ``None`` while they are not."""
        ...

    def request(self, sha256: str, key: str, version_id: str | None) -> None:
        """Ask for the images of the PDF stored at ``key``/``version_id`` (nothing happens if already asked)."""
        ...
