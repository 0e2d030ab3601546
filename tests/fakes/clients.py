"""An in-memory ``ClientRepository`` with the same uniqueness, matching and ordering as the SQL one."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from domain.clients import Client, ClientCursor
from domain.errors import Conflict
from tests.fakes.unit_of_work import Transactional


def _name_key(legal_name: str) -> str:
    # Names are unique ignoring case and spacing, as the database's unique index on the folded name.
    return " ".join(legal_name.casefold().split())


class FakeClientRepository(Transactional):
    """Clients in a dict; a duplicate legal name in one jurisdiction is a ``Conflict``."""

    TABLES: ClassVar[tuple[str, ...]] = ("rows",)

    def __init__(self) -> None:
        self.rows: dict[str, Client] = {}

    def _clash(self, client: Client) -> bool:
        key = (_name_key(client.legal_name), client.jurisdiction)
        return any((_name_key(c.legal_name), c.jurisdiction) == key for c in self.rows.values() if c.id != client.id)

    def add(self, client: Client) -> None:
        """Insert ``client``; a duplicate legal name in its jurisdiction raises ``Conflict``."""
        if client.id in self.rows or self._clash(client):
            raise Conflict(f"A client named '{client.legal_name}' already exists in {client.jurisdiction}.")
        self.rows[client.id] = client

    def get(self, client_id: str) -> Client | None:
        """Return the client with this id, or ``None``."""
        return self.rows.get(client_id)

    def update(self, client: Client) -> None:
        """Replace the stored fields (``created_at`` stays); a rename onto another client is a ``Conflict``."""
        stored = self.rows.get(client.id)
        if stored is None:
            return  # an UPDATE that matches no row changes nothing
        if self._clash(client):
            raise Conflict(f"A client named '{client.legal_name}' already exists in {client.jurisdiction}.")
        self.rows[client.id] = replace(client, created_at=stored.created_at)

    def find_by_name(self, legal_name: str, jurisdiction: str) -> Client | None:
        """Return the client with this legal name (ignoring case and spacing) in ``jurisdiction``."""
        key = _name_key(legal_name)
        return next(
            (c for c in self.rows.values() if _name_key(c.legal_name) == key and c.jurisdiction == jurisdiction),
            None,
        )

    def search(self, query: str | None, limit: int, after: ClientCursor | None) -> list[Client]:
        """Return up to ``limit`` clients whose legal or short name contains ``query``, by legal name then id."""
        found = sorted(self.rows.values(), key=lambda c: (c.legal_name, c.id))
        if query:
            needle = query.casefold()
            found = [c for c in found if needle in _name_key(c.legal_name) or needle in c.short_name.casefold()]
        if after is not None:
            found = [c for c in found if (c.legal_name, c.id) > (after.legal_name, after.id)]
        return found[:limit]
