"""``SqlAuditTrail``: appends chained audit events inside the caller's transaction, and reads them back.

Appends are serialised on the chain-head row: on PostgreSQL ``SELECT ... FOR UPDATE`` holds it
until the transaction that records the change commits or rolls back, so concurrent writers queue
and the chain can neither fork nor gap (seq is head + 1 under the lock, never a database sequence,
whose rolled-back values would leave holes). SQLite serialises writers already (BEGIN IMMEDIATE).
The repository can only append and read; triggers in the database refuse UPDATE and DELETE.

Within one transaction the head is read and locked once: after the first append the transaction
holds the lock, so the event just appended is the head, and the next appends of the same
transaction (a batch of notices) chain onto it from memory instead of reading it back. The
remembered head and tree nodes are forgotten on any rollback (a savepoint's included) and at
commit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, and_, insert, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from domain.actor import Actor, audit_identity, payload_naming_person
from domain.audit.event import Actor as AuditActor
from domain.audit.event import AuditEvent, AuditEventDraft, chain_next, payload_digest
from domain.audit_log import EventFilter
from domain.ports import Clock
from storage.audit_tree import SqlAuditTree
from storage.tables import audit_events, audit_head, audit_subjects
from storage.webhook_outbox import record_webhook_message


def audit_actor(actor: Actor) -> AuditActor:
    """Return the audit form of an acting identity."""
    kind, ident, role = audit_identity(actor)
    return AuditActor(kind=kind, id=ident, role=role)


def event_from_row(row: Row[Any]) -> AuditEvent:
    """Rebuild a stored event exactly as it was chained."""
    m = row._mapping
    return AuditEvent(
        seq=m["seq"],
        at=m["at"],
        actor=AuditActor(kind=m["actor_kind"], id=m["actor_id"], role=m["actor_role"]),
        action=m["action"],
        subjects=m["subjects"],
        ip=m["ip"],
        user_agent=m["user_agent"],
        payload_sha256=m["payload_sha256"],
        document_sha256=m["document_sha256"],
        prev_hash=m["prev_hash"],
        hash=m["hash"],
    )


_APPEND_STATE = "undersign.audit_append"


@dataclass
class _AppendState:
    """The head this transaction holds the lock on (the event it appended last) and its tree cache."""

    seq: int
    previous: AuditEvent | None
    tree: SqlAuditTree


def _forget(session: Session, *_args: object) -> None:
    session.info.pop(_APPEND_STATE, None)


def _append_state(session: Session) -> _AppendState | None:
    state = session.info.get(_APPEND_STATE)
    return state if isinstance(state, _AppendState) else None


def _remember(session: Session, state: _AppendState) -> None:
    if not sa_event.contains(session, "after_soft_rollback", _forget):
        sa_event.listen(session, "after_soft_rollback", _forget)
        sa_event.listen(session, "after_commit", _forget)
    session.info[_APPEND_STATE] = state


class SqlAuditTrail:
    """The audit chain in the database; it appends within the caller's unit of work and never commits."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
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
        """Append one event to the chain and return it (naming the person behind ``actor``, if any)."""
        payload = payload_naming_person(actor, payload)
        draft = AuditEventDraft(
            actor=audit_actor(actor),
            action=action,
            subjects=dict(subjects),
            ip=actor.ip,
            user_agent=actor.user_agent,
            payload_sha256=payload_digest(dict(payload)) if payload is not None else None,
            document_sha256=document_sha256,
        )
        state = _append_state(self._session)
        if state is None:
            head = self._session.execute(
                select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1).with_for_update()
            ).one()
            previous = self._by_seq(head.seq) if head.seq else None
            state = _AppendState(head.seq, previous, SqlAuditTree(self._session))
        previous = state.previous
        event = chain_next(previous, draft, state.seq + 1, self._clock.now())
        self._session.execute(
            insert(audit_events).values(
                seq=event.seq,
                at=event.at,
                actor_kind=event.actor.kind,
                actor_id=event.actor.id,
                actor_role=event.actor.role,
                action=event.action,
                subjects=dict(event.subjects),
                ip=event.ip,
                user_agent=event.user_agent,
                payload=dict(payload) if payload is not None else None,
                payload_sha256=event.payload_sha256,
                document_sha256=event.document_sha256,
                prev_hash=event.prev_hash,
                hash=event.hash,
            )
        )
        if event.subjects:
            self._session.execute(
                insert(audit_subjects),
                [{"seq": event.seq, "subject_type": k, "subject_id": v} for k, v in event.subjects.items()],
            )
        state.tree.add_leaf(event.seq, event.hash, previous.hash if previous else None)
        self._session.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=event.seq, hash=event.hash))
        state.seq, state.previous = event.seq, event
        _remember(self._session, state)
        # The webhook outbox: announced in the same transaction as the change (see storage.webhook_outbox).
        record_webhook_message(self._session, event, subjects, payload)
        return event

    def _by_seq(self, seq: int) -> AuditEvent | None:
        row = self._session.execute(select(audit_events).where(audit_events.c.seq == seq)).first()
        return event_from_row(row) if row else None

    def head(self) -> AuditEvent | None:
        """Return the newest event, or ``None`` for an empty chain."""
        seq = self._session.execute(select(audit_head.c.seq).where(audit_head.c.id == 1)).scalar_one()
        return self._by_seq(seq) if seq else None

    def stream(self, *, up_to_seq: int | None = None, batch: int = 5000) -> Iterator[AuditEvent]:
        """Yield every event in insertion order (not sorted by seq: that would hide a reordering)."""
        last_id = 0
        while True:
            stmt = select(audit_events).where(audit_events.c.id > last_id).order_by(audit_events.c.id).limit(batch)
            rows = self._session.execute(stmt).all()
            if not rows:
                return
            for row in rows:
                event = event_from_row(row)
                if up_to_seq is not None and event.seq > up_to_seq:
                    continue
                yield event
            last_id = rows[-1]._mapping["id"]

    def tree_root(self, size: int) -> bytes:
        """Return the Merkle tree head over events 1..``size``."""
        return SqlAuditTree(self._session).root(size)

    def activity_after(self, seq: int, *, ignoring: str) -> bool:
        """Tell whether an event whose action is not ``ignoring`` was appended after ``seq``."""
        found = self._session.execute(
            select(audit_events.c.seq)
            .where(audit_events.c.seq > seq, audit_events.c.action != ignoring)
            .order_by(audit_events.c.seq)
            .limit(1)
        ).first()
        return found is not None

    def payload(self, seq: int) -> dict[str, Any] | None:
        """Return the stored payload of an event (its digest is in the chain)."""
        value = self._session.execute(select(audit_events.c.payload).where(audit_events.c.seq == seq)).scalar()
        return dict(value) if value is not None else None

    def search(
        self,
        *,
        subject: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after_seq: int | None = None,
        limit: int = 100,
    ) -> list[tuple[AuditEvent, dict[str, Any] | None]]:
        """Return events matching every given filter, newest first, before ``after_seq`` (keyset)."""
        stmt: Select[Any] = select(audit_events)
        if subject:
            stmt = stmt.where(
                audit_events.c.seq.in_(select(audit_subjects.c.seq).where(audit_subjects.c.subject_id == subject))
            )
        if actor:
            stmt = stmt.where(audit_events.c.actor_id == actor)
        if action:
            stmt = stmt.where(audit_events.c.action == action)
        if since:
            stmt = stmt.where(audit_events.c.at >= since)
        if until:
            stmt = stmt.where(audit_events.c.at < until)
        if after_seq is not None:
            stmt = stmt.where(and_(audit_events.c.seq < after_seq))
        rows = self._session.execute(stmt.order_by(audit_events.c.seq.desc()).limit(limit)).all()
        return [(event_from_row(row), row._mapping["payload"]) for row in rows]

    def find(self, where: EventFilter, limit: int) -> list[tuple[AuditEvent, dict[str, Any] | None]]:
        """Return up to ``limit`` events matching ``where``, newest first (keyset on seq).

        A subject filter drives the query from ``audit_subjects`` (index on subject id, seq) and
        joins each hit to its event, so a rare subject is found without scanning the chain.
        """
        stmt: Select[Any]
        if where.subject_id is not None:
            subjects = audit_subjects
            stmt = (
                select(audit_events)
                .join(subjects, subjects.c.seq == audit_events.c.seq)
                .where(subjects.c.subject_id == where.subject_id)
            )
            if where.subject_type is not None:
                stmt = stmt.where(subjects.c.subject_type == where.subject_type)
            if where.before_seq is not None:
                stmt = stmt.where(subjects.c.seq < where.before_seq)
            order = subjects.c.seq.desc()
        else:
            stmt = select(audit_events)
            if where.before_seq is not None:
                stmt = stmt.where(audit_events.c.seq < where.before_seq)
            order = audit_events.c.seq.desc()
        if where.actor is not None:
            stmt = stmt.where(audit_events.c.actor_id == where.actor)
        if where.action is not None:
            stmt = stmt.where(audit_events.c.action == where.action)
        if where.since is not None:
            stmt = stmt.where(audit_events.c.at >= where.since)
        if where.until is not None:
            stmt = stmt.where(audit_events.c.at < where.until)
        rows = self._session.execute(stmt.order_by(order).limit(limit)).all()
        seen: set[int] = set()
        out: list[tuple[AuditEvent, dict[str, Any] | None]] = []
        for row in rows:
            # One id under two subject types of one event would join twice.
            if row._mapping["seq"] in seen:
                continue
            seen.add(row._mapping["seq"])
            payload = row._mapping["payload"]
            out.append((event_from_row(row), dict(payload) if payload is not None else None))
        return out
