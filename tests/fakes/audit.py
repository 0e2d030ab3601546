"""An in-memory audit chain: events chained with the real hashing, payloads kept, rolled back with the unit.

``FakeAuditTrail`` is both the write side (``AuditTrail``) and the read side (``AuditLog``), so a
service test can assert what an auditor would find: which actions, on which subjects, with which
payload, in a chain that ``domain.audit.verify.verify_chain`` accepts.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from domain.actor import Actor
from domain.audit.event import Actor as AuditActor
from domain.audit.event import AuditEvent, AuditEventDraft, chain_next, payload_digest
from domain.audit_log import EventFilter, StoredCheckpoint
from domain.ports import Clock
from tests.fakes.unit_of_work import Transactional

_ACTOR_KINDS = {"key": "api_key", "signer": "signer", "system": "system"}


@dataclass(frozen=True)
class RecordedEvent:
    """One chained event and the payload stored beside it."""

    event: AuditEvent
    payload: dict[str, Any] | None

    @property
    def action(self) -> str:
        """The event's action, e.g. ``dunning.notice_issued``."""
        return self.event.action

    @property
    def subjects(self) -> Mapping[str, str]:
        """The event's subjects by type."""
        return self.event.subjects


class FakeAuditTrail(Transactional):
    """The append-only chain in a list; ``record`` chains each event on the previous one."""

    TABLES: ClassVar[tuple[str, ...]] = ("recorded",)

    def __init__(self, clock: Clock) -> None:
        self.recorded: list[RecordedEvent] = []
        self._clock = clock

    def record(
        self,
        actor: Actor,
        action: str,
        subjects: Mapping[str, str],
        *,
        payload: Mapping[str, Any] | None = None,
        document_sha256: str | None = None,
    ) -> AuditEvent:
        """Validate, chain and append one event; return it as chained."""
        draft = AuditEventDraft(
            actor=AuditActor(
                kind=_ACTOR_KINDS.get(actor.kind, "system"),
                id=actor.name,
                role=actor.role.value if actor.role else None,
            ),
            action=action,
            subjects=dict(subjects),
            ip=actor.ip,
            user_agent=actor.user_agent,
            payload_sha256=payload_digest(dict(payload)) if payload is not None else None,
            document_sha256=document_sha256,
        )
        previous = self.recorded[-1].event if self.recorded else None
        event = chain_next(previous, draft, len(self.recorded) + 1, self._clock.now())
        self.recorded.append(RecordedEvent(event, copy.deepcopy(dict(payload)) if payload is not None else None))
        return event

    # -- AuditLog ------------------------------------------------------------------------------------

    def head(self) -> AuditEvent | None:
        """Return the newest event, or ``None`` for an empty chain."""
        return self.recorded[-1].event if self.recorded else None

    def stream(self, *, up_to_seq: int | None = None, batch: int = 5000) -> Iterator[AuditEvent]:
        """Yield every event in insertion order, up to ``up_to_seq``."""
        for item in self.recorded:
            if up_to_seq is None or item.event.seq <= up_to_seq:
                yield item.event

    def find(self, where: EventFilter, limit: int) -> list[tuple[AuditEvent, dict[str, Any] | None]]:
        """Return up to ``limit`` events matching every field of ``where``, newest first."""
        found: list[tuple[AuditEvent, dict[str, Any] | None]] = []
        for item in reversed(self.recorded):
            event = item.event
            if where.subject_id is not None and not any(
                value == where.subject_id and (where.subject_type in (None, kind))
                for kind, value in event.subjects.items()
            ):
                continue
            if where.before_seq is not None and event.seq >= where.before_seq:
                continue
            if where.actor is not None and event.actor.id != where.actor:
                continue
            if where.action is not None and event.action != where.action:
                continue
            if where.since is not None and event.at < where.since:
                continue
            if where.until is not None and event.at >= where.until:
                continue
            found.append((event, item.payload))
            if len(found) == limit:
                break
        return found

    # -- what a test reads ---------------------------------------------------------------------------

    def actions(self) -> list[str]:
        """Return every recorded action, oldest first."""
        return [item.action for item in self.recorded]

    def of(self, action: str) -> list[RecordedEvent]:
        """Return the events of one action, oldest first."""
        return [item for item in self.recorded if item.action == action]


class FakeCheckpointRepository(Transactional):
    """The list of signed checkpoints (their documents live in the blob store fake); append-only."""

    TABLES: ClassVar[tuple[str, ...]] = ("rows",)

    def __init__(self) -> None:
        self.rows: list[StoredCheckpoint] = []

    def add(self, stored: StoredCheckpoint) -> None:
        """Record a checkpoint filed in the object store."""
        self.rows.append(stored)

    def all(self) -> list[StoredCheckpoint]:
        """Return every listed checkpoint, ascending seq (then in the order added)."""
        return sorted(self.rows, key=lambda c: c.seq)

    def latest(self) -> StoredCheckpoint | None:
        """Return the checkpoint with the highest seq (the last added among equals), or ``None``."""
        ordered = self.all()
        return ordered[-1] if ordered else None
