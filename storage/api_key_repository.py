"""``SqlApiKeyRepository``: API key hashes, names and roles in the database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.api_keys import ApiKeyRecord
from domain.errors import Conflict
from domain.roles import Role
from storage.tables import api_keys


def _from_row(row: Row[Any]) -> ApiKeyRecord:
    m = row._mapping
    return ApiKeyRecord(
        name=m["name"],
        role=Role(m["role"]) if m["role"] is not None else None,
        key_hash=m["key_hash"],
        created_at=m["created_at"],
        revoked_at=m["revoked_at"],
        user_id=m["user_id"],
    )


class SqlApiKeyRepository:
    """API keys stored with SQLAlchemy; it never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, key: ApiKeyRecord) -> None:
        """Insert ``key``; a taken name raises ``Conflict``."""
        try:
            with self._session.begin_nested():
                self._session.execute(
                    insert(api_keys).values(
                        name=key.name,
                        role=key.role.value if key.role is not None else None,
                        key_hash=key.key_hash,
                        created_at=key.created_at,
                        revoked_at=key.revoked_at,
                        user_id=key.user_id,
                    )
                )
        except IntegrityError as exc:
            raise Conflict(f"An API key named '{key.name}' already exists.") from exc

    def by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        """Return the key with this hash, or ``None``."""
        row = self._session.execute(select(api_keys).where(api_keys.c.key_hash == key_hash)).first()
        return _from_row(row) if row else None

    def by_name(self, name: str) -> ApiKeyRecord | None:
        """Return the key with this name, or ``None``."""
        row = self._session.execute(select(api_keys).where(api_keys.c.name == name)).first()
        return _from_row(row) if row else None

    def all(self) -> list[ApiKeyRecord]:
        """Return every key, newest first."""
        rows = self._session.execute(select(api_keys).order_by(api_keys.c.created_at.desc(), api_keys.c.name))
        return [_from_row(row) for row in rows]

    def revoke(self, name: str, at: datetime) -> None:
        """Mark the key ``name`` revoked at ``at`` (a revoked key stays revoked)."""
        self._session.execute(
            update(api_keys).where(api_keys.c.name == name, api_keys.c.revoked_at.is_(None)).values(revoked_at=at)
        )
