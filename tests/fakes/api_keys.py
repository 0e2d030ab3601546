"""An in-memory ``ApiKeyRepository``: hashes only, unique names, a revocation that keeps its first time."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import ClassVar

from domain.api_keys import ApiKeyRecord
from domain.errors import Conflict
from tests.fakes.unit_of_work import Transactional


class FakeApiKeyRepository(Transactional):
    """Key records by name."""

    TABLES: ClassVar[tuple[str, ...]] = ("rows",)

    def __init__(self) -> None:
        self.rows: dict[str, ApiKeyRecord] = {}

    def add(self, key: ApiKeyRecord) -> None:
        """Insert a new key; a taken name is a ``Conflict``."""
        if key.name in self.rows:
            raise Conflict(f"An API key named '{key.name}' already exists.")
        self.rows[key.name] = key

    def by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        """Return the key whose hash this is, or ``None``."""
        return next((k for k in self.rows.values() if k.key_hash == key_hash), None)

    def by_name(self, name: str) -> ApiKeyRecord | None:
        """Return the key with this name, or ``None``."""
        return self.rows.get(name)

    def all(self) -> list[ApiKeyRecord]:
        """Return every key, newest first (then by name)."""
        by_name = sorted(self.rows.values(), key=lambda k: k.name)
        return sorted(by_name, key=lambda k: k.created_at, reverse=True)

    def revoke(self, name: str, at: datetime) -> None:
        """Mark the key revoked at ``at``, unless it already is (the first revocation stands)."""
        key = self.rows.get(name)
        if key is not None and key.revoked_at is None:
            self.rows[name] = replace(key, revoked_at=at)
