"""Tampering with the stored audit chain at the database level, the way a database administrator could.

Each helper first disables the append-only triggers by hand (PostgreSQL: ``DISABLE TRIGGER USER``;
SQLite: ``DROP TRIGGER``), as a forger with database access would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text, update

from domain.actor import Actor
from domain.audit import AuditEvent
from domain.roles import Role
from storage.audit_trail import SqlAuditTrail, event_from_row
from storage.database import unit_of_work
from storage.tables import audit_events, audit_head
from tests.fakes.clock import FixedClock
from undersign.runtime import Runtime

ACTOR = Actor(name="alice", role=Role.SALES, ip="203.0.113.9", user_agent="pytest")
GUARDED = ("audit_events", "audit_subjects", "audit_checkpoints")


def record_events(runtime: Runtime, clock: FixedClock, count: int, *, start: int = 0) -> None:
    """Append ``count`` events, one transaction each, a second apart."""
    for index in range(start, start + count):
        clock.advance(seconds=1)
        with unit_of_work(runtime.sessions) as session:
            SqlAuditTrail(session, clock).record(
                ACTOR, "client.changed", {"client": f"C-{index % 3}"}, payload={"field": "notes", "n": index}
            )


@contextmanager
def triggers_off(engine: Engine) -> Iterator[Connection]:
    """Yield a connection in one transaction with the append-only triggers out of the way."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in GUARDED:
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        else:
            names = conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (:a, :b, :c)"),
                dict(zip("abc", GUARDED, strict=True)),
            ).scalars()
            for name in list(names):
                conn.execute(text(f'DROP TRIGGER "{name}"'))
        yield conn
        if engine.dialect.name == "postgresql":
            for table in GUARDED:
                conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


def stored_events(conn: Connection) -> list[tuple[int, AuditEvent]]:
    """Return (row id, event) for every stored event in insertion order."""
    rows = conn.execute(select(audit_events).order_by(audit_events.c.id)).all()
    return [(row._mapping["id"], event_from_row(row)) for row in rows]


def row_values(event: AuditEvent) -> dict[str, Any]:
    """Return the column values that store ``event``."""
    return {
        "seq": event.seq,
        "at": event.at,
        "actor_kind": event.actor.kind,
        "actor_id": event.actor.id,
        "actor_role": event.actor.role,
        "action": event.action,
        "subjects": dict(event.subjects),
        "ip": event.ip,
        "user_agent": event.user_agent,
        "payload": None,
        "payload_sha256": event.payload_sha256,
        "document_sha256": event.document_sha256,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def rehashed(event: AuditEvent, **changes: Any) -> AuditEvent:
    """Return ``event`` changed and with its hash recomputed (a careful forger)."""
    changed = replace(event, **changes)
    return replace(changed, hash=changed.computed_hash())


def edit_row(engine: Engine, seq: int) -> None:
    """Change one stored event's action, leaving its hash as it was."""
    with triggers_off(engine) as conn:
        conn.execute(update(audit_events).where(audit_events.c.seq == seq).values(action="client.deleted"))


def delete_row(engine: Engine, seq: int) -> None:
    """Delete one stored event."""
    with triggers_off(engine) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": seq})


def insert_row_after(engine: Engine, seq: int, fake_seq: int) -> None:
    """Insert a well-formed forged event (valid hash of its own) in stored order right after ``seq``."""
    with triggers_off(engine) as conn:
        events = stored_events(conn)
        row_id, after = next((rid, e) for rid, e in events if e.seq == seq)
        # Make room in the insertion order, as a forger placing an event "back then" would.
        conn.execute(update(audit_events).where(audit_events.c.id > row_id).values(id=audit_events.c.id + 1000))
        forged = rehashed(after, seq=fake_seq, action="risk.accepted", prev_hash=after.hash)
        conn.execute(insert(audit_events).values(id=row_id + 1, **row_values(forged)))


def swap_rows(engine: Engine, first_seq: int, second_seq: int) -> None:
    """Exchange the stored positions of two events."""
    with triggers_off(engine) as conn:
        ids = {e.seq: rid for rid, e in stored_events(conn)}
        a, b = ids[first_seq], ids[second_seq]
        conn.execute(update(audit_events).where(audit_events.c.id == a).values(id=-1))
        conn.execute(update(audit_events).where(audit_events.c.id == b).values(id=a))
        conn.execute(update(audit_events).where(audit_events.c.id == -1).values(id=b))


def rewrite_from(engine: Engine, seq: int) -> None:
    """Change event ``seq`` and recompute every later hash and link: a consistent rewrite of the chain."""
    with triggers_off(engine) as conn:
        previous: AuditEvent | None = None
        for row_id, event in stored_events(conn):
            if event.seq < seq:
                previous = event
                continue
            changes: dict[str, Any] = {"prev_hash": previous.hash if previous else event.prev_hash}
            if event.seq == seq:
                changes["action"] = "risk.accepted"
            forged = rehashed(event, **changes)
            conn.execute(update(audit_events).where(audit_events.c.id == row_id).values(**row_values(forged)))
            previous = forged
        assert previous is not None
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=previous.seq, hash=previous.hash))
