"""Records around the audit chain: filed checkpoints, event queries and the service's verification.

The chain itself (events, hashing, verification, bundles) is ``domain.audit``; this
module holds what the service keeps and answers about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.audit import AuditEvent, ChainVerdict, SignedCheckpoint
from domain.blobs import Retention, StoredBlob


@dataclass(frozen=True)
class StoredCheckpoint:
    """A signed checkpoint and where its document is filed (object store, under Object Lock)."""

    signed: SignedCheckpoint
    blob: StoredBlob
    retention: Retention | None
    created_by: str

    @property
    def seq(self) -> int:
        """The chain seq the checkpoint covers."""
        return self.signed.statement.seq


@dataclass(frozen=True)
class EventFilter:
    """Which events a search returns; every given field must match.

    ``subject`` is an id (``"4f1c..."``) or a typed id (``"client:4f1c..."``); ``since`` is
    inclusive and ``until`` exclusive; ``before_seq`` is the keyset position (newest first).
    """

    subject_type: str | None = None
    subject_id: str | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_seq: int | None = None


@dataclass(frozen=True)
class EventPage:
    """One page of events (with their stored payloads), newest first, and the next keyset position."""

    items: list[tuple[AuditEvent, dict[str, Any] | None]]
    next_before_seq: int | None


@dataclass(frozen=True)
class CheckpointProblem:
    """A listed checkpoint that could not be trusted: missing from the store, malformed or badly signed."""

    seq: int
    key: str
    version_id: str
    reason: str


@dataclass(frozen=True)
class AuditVerification:
    """The chain verdict against the checkpoints read back from the object store, and their problems."""

    verdict: ChainVerdict
    checkpoints_verified: int
    checkpoints_other_certificate: int
    problems: list[CheckpointProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the chain verifies and every listed checkpoint of this certificate was sound."""
        return self.verdict.ok and not self.problems

    def as_dict(self) -> dict[str, object]:
        """Return the verification as JSON-ready data."""
        return {
            "ok": self.ok,
            "chain": self.verdict.as_dict(),
            "first_bad_seq": self.verdict.first_bad_seq,
            "kind": None if self.verdict.kind is None else self.verdict.kind.value,
            "checkpoints_verified": self.checkpoints_verified,
            "checkpoints_other_certificate": self.checkpoints_other_certificate,
            "checkpoint_problems": [
                {"seq": p.seq, "key": p.key, "version_id": p.version_id, "reason": p.reason} for p in self.problems
            ],
        }
