"""The audit chain ports: recording events, reading the log, signed checkpoints."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from domain.blobs import Retention as Retention
from domain.blobs import StoredBlob as StoredBlob

if TYPE_CHECKING:
    from domain.actor import Actor
    from domain.audit.event import AuditEvent
    from domain.audit_log import EventFilter, StoredCheckpoint


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

    def tree_root(self, size: int) -> bytes:
        """Return the Merkle tree head over events 1..``size`` (see ``domain.audit.merkle``)."""
        ...

    def activity_after(self, seq: int, *, ignoring: str) -> bool:
        """Tell whether an event whose action is not ``ignoring`` was appended after ``seq``."""
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
