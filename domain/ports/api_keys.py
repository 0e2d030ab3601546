"""The API key store port."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.api_keys import ApiKeyRecord
from domain.blobs import Retention as Retention
from domain.blobs import StoredBlob as StoredBlob


class ApiKeyRepository(Protocol):
    """Stored API keys (hashes only)."""

    def add(self, key: ApiKeyRecord) -> None:
        """Insert a new key; raise ``Conflict`` if the name is taken."""
        ...

    def by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        """Return the key whose hash this is, or ``None``."""
        ...

    def by_name(self, name: str) -> ApiKeyRecord | None:
        """Return the key with this name, or ``None``."""
        ...

    def all(self) -> list[ApiKeyRecord]:
        """Return every key, newest first."""
        ...

    def revoke(self, name: str, at: datetime) -> None:
        """Mark the key revoked at ``at``."""
        ...
