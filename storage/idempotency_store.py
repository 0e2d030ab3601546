"""``SqlIdempotencyStore``: idempotency keys in the database, so every replica sees the same keys.

Each call is its own short transaction, apart from the request's unit of work: the key is
reserved (and committed) before the request runs, so a concurrent request with the same key finds
it taken at once instead of racing to create a second document, and the answer is stored after
the request's own transaction committed. On PostgreSQL the primary key serialises two first
requests; SQLite serialises writers already.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from domain.idempotency import KEY_LIFETIME, KeyRecord, KeyState, StoredResponse
from storage.database import READ_MOSTLY
from storage.tables_integrations import idempotency_keys as keys


def _record(row: Any) -> KeyRecord:
    m = row._mapping
    response = None
    if m["state"] == KeyState.COMPLETED.value:
        response = StoredResponse(
            status=m["response_status"], headers=dict(m["response_headers"] or {}), body=bytes(m["response_body"])
        )
    return KeyRecord(
        fingerprint=m["fingerprint"], state=KeyState(m["state"]), created_at=m["created_at"], response=response
    )


class SqlIdempotencyStore:
    """Reserve, complete, release and purge idempotency keys, each in a transaction of its own."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def reserve(
        self, owner: str, key: str, fingerprint: str, method: str, path: str, now: datetime
    ) -> KeyRecord | None:
        """Reserve ``key`` for this request and return ``None``; if it is taken, return what is stored."""
        with self._sessions.begin() as session:
            # A key past its lifetime is free again.
            session.execute(
                delete(keys).where(keys.c.owner == owner, keys.c.key == key, keys.c.created_at < now - KEY_LIFETIME)
            )
            try:
                with session.begin_nested():
                    session.execute(
                        insert(keys).values(
                            owner=owner,
                            key=key,
                            fingerprint=fingerprint,
                            method=method,
                            path=path,
                            state=KeyState.PENDING.value,
                            created_at=now,
                        )
                    )
                return None
            except IntegrityError:
                row = session.execute(select(keys).where(keys.c.owner == owner, keys.c.key == key)).one()
                return _record(row)

    def get(self, owner: str, key: str) -> KeyRecord | None:
        """Return the stored key, or ``None``."""
        with self._sessions() as session:
            session.connection(execution_options={READ_MOSTLY: True})
            row = session.execute(select(keys).where(keys.c.owner == owner, keys.c.key == key)).first()
            return _record(row) if row else None

    def complete(self, owner: str, key: str, response: StoredResponse, now: datetime) -> None:
        """Store the answer given under ``key``."""
        with self._sessions.begin() as session:
            session.execute(
                update(keys)
                .where(keys.c.owner == owner, keys.c.key == key)
                .values(
                    state=KeyState.COMPLETED.value,
                    response_status=response.status,
                    response_headers=response.headers,
                    response_body=response.body,
                    completed_at=now,
                )
            )

    def release(self, owner: str, key: str) -> None:
        """Forget ``key`` (its request failed in a way that a retry should run again)."""
        with self._sessions.begin() as session:
            session.execute(delete(keys).where(keys.c.owner == owner, keys.c.key == key))

    def purge(self, now: datetime) -> int:
        """Delete every key older than its lifetime; return how many went."""
        with self._sessions.begin() as session:
            result = session.execute(delete(keys).where(keys.c.created_at < now - KEY_LIFETIME))
            return int(getattr(result, "rowcount", 0) or 0)
