"""An in-memory audit chain: events chained with the real hashing, payloads kept, rolled back with the unit.

``FakeAuditTrail`` is both the write side (``AuditTrail``) and the read side (``AuditLog``), so a
service test can assert what an auditor would find: which actions, on which subjects, with which
payload, in a chain that ``domain.audit.verify.verify_chain`` accepts. Like storage it keeps the
RFC 9162 Merkle tree's complete subtrees as each event is appended (``domain.audit.merkle``), so tree
heads and the per-subject proofs an evidence export needs (``services.evidence.SubjectLog``) are
folded from nodes fixed at append time, not recomputed from whatever the list holds later.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from domain.actor import Actor, audit_identity, payload_naming_person
from domain.audit.event import Actor as AuditActor
from domain.audit.event import AuditEvent, AuditEventDraft, chain_next, payload_digest
from domain.audit.merkle import consistency_proof, inclusion_proof, node_hash, tree_root
from domain.audit_log import EventFilter, StoredCheckpoint
from domain.errors import NotFound
from domain.ports import Clock
from tests.fakes.unit_of_work import Transactional


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

    TABLES: ClassVar[tuple[str, ...]] = ("recorded", "nodes")

    def __init__(self, clock: Clock) -> None:
        self.recorded: list[RecordedEvent] = []
        # (level, index) -> hash of every complete subtree of level >= 1, as storage's audit_tree_nodes.
        self.nodes: dict[tuple[int, int], bytes] = {}
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
        payload = payload_naming_person(actor, payload)
        kind, ident, role = audit_identity(actor)
        draft = AuditEventDraft(
            actor=AuditActor(kind=kind, id=ident, role=role),
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
        self._add_leaf(event.seq, bytes.fromhex(event.hash))
        return event

    def _add_leaf(self, seq: int, leaf: bytes) -> None:
        """Keep every complete subtree that event ``seq`` closes (a right child closes its parent)."""
        level, index, current = 0, seq - 1, leaf
        while index & 1:
            current = node_hash(self._complete(level, index - 1), current)
            level += 1
            index >>= 1
            self.nodes[(level, index)] = current

    def _complete(self, level: int, index: int) -> bytes:
        """Return the complete subtree (``level``, ``index``); level 0 is the stored hash of event ``index + 1``."""
        if level == 0:
            if not 0 <= index < len(self.recorded):
                raise NotFound(f"the audit tree has no leaf {index}")
            return bytes.fromhex(self.recorded[index].event.hash)
        found = self.nodes.get((level, index))
        if found is None:
            raise NotFound(f"the audit tree has no node at level {level}, index {index}")
        return found

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

    def tree_root(self, size: int) -> bytes:
        """Return the Merkle tree head over events 1..``size``."""
        return tree_root(self._complete, size)

    def activity_after(self, seq: int, *, ignoring: str) -> bool:
        """Tell whether an event whose action is not ``ignoring`` was appended after ``seq``."""
        return any(item.event.seq > seq and item.event.action != ignoring for item in self.recorded)

    # -- SubjectLog (what an evidence export reads) --------------------------------------------------

    def subject_events(
        self, subject_type: str, subject_id: str, up_to_seq: int
    ) -> list[tuple[AuditEvent, dict[str, Any] | None]]:
        """Return the events naming the subject (seq <= ``up_to_seq``), ascending, with their payloads."""
        return [
            (item.event, copy.deepcopy(item.payload))
            for item in self.recorded
            if item.event.seq <= up_to_seq and item.event.subjects.get(subject_type) == subject_id
        ]

    def inclusion(self, seq: int, size: int) -> list[bytes]:
        """Return the inclusion proof of event ``seq`` in the tree of ``size`` events."""
        return inclusion_proof(self._complete, seq - 1, size)

    def consistency(self, first: int, second: int) -> list[bytes]:
        """Return the consistency proof from the tree of ``first`` events to the one of ``second``."""
        return consistency_proof(self._complete, first, second)

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
