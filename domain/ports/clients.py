"""The client register port."""

from __future__ import annotations

from typing import Protocol

from domain.blobs import Retention as Retention
from domain.blobs import StoredBlob as StoredBlob
from domain.clients import Client, ClientCursor


class ClientRepository(Protocol):
    """Stored clients; implementations never commit (the request is the unit of work)."""

    def add(self, client: Client) -> None:
        """Insert a new client; raise ``Conflict`` on a duplicate legal name in the same jurisdiction."""
        ...

    def get(self, client_id: str) -> Client | None:
        """Return the client with this id, or ``None``."""
        ...

    def update(self, client: Client) -> None:
        """Replace the stored fields of an existing client."""
        ...

    def find_by_name(self, legal_name: str, jurisdiction: str) -> Client | None:
        """Return the client with this legal name (case-insensitive) in this jurisdiction, or ``None``."""
        ...

    def search(self, query: str | None, limit: int, after: ClientCursor | None) -> list[Client]:
        """Return up to ``limit`` clients whose names contain ``query``, ordered by legal name then id."""
        ...
