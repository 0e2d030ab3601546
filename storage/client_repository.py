"""``SqlClientRepository``: clients in the database, with keyset-paginated name search."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, insert, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.clients import Client, ClientCursor, Contact
from domain.errors import Conflict
from domain.text import comparison_key
from storage.tables import clients


def _name_key(legal_name: str) -> str:
    # Look-alikes (fullwidth letters, ligatures, case, zero-width and soft hyphens) share one key,
    # so the duplicate check and the unique index cannot be sidestepped with a second "ACME".
    return comparison_key(legal_name)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _row_values(client: Client) -> dict[str, Any]:
    return {
        "id": client.id,
        "legal_name": client.legal_name,
        "legal_name_key": _name_key(client.legal_name),
        "short_name": client.short_name,
        "address": client.address,
        "jurisdiction": client.jurisdiction,
        "billing_email": client.billing_email,
        "contact_name": client.primary_contact.name,
        "contact_title": client.primary_contact.title,
        "contact_email": str(client.primary_contact.email),
        "notes": client.notes,
        "suspended_since": client.suspended_since,
        "created_at": client.created_at,
        "updated_at": client.updated_at,
    }


def _from_row(row: Row[Any]) -> Client:
    m = row._mapping
    return Client(
        id=m["id"],
        legal_name=m["legal_name"],
        short_name=m["short_name"],
        address=m["address"],
        jurisdiction=m["jurisdiction"],
        billing_email=m["billing_email"],
        primary_contact=Contact(name=m["contact_name"], title=m["contact_title"], email=m["contact_email"]),
        notes=m["notes"],
        suspended_since=m["suspended_since"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


class SqlClientRepository:
    """Clients stored with SQLAlchemy; it never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, client: Client) -> None:
        """Insert ``client``; a duplicate legal name in its jurisdiction raises ``Conflict``."""
        try:
            with self._session.begin_nested():
                self._session.execute(insert(clients).values(**_row_values(client)))
        except IntegrityError as exc:
            raise Conflict(f"A client named '{client.legal_name}' already exists in {client.jurisdiction}.") from exc

    def get(self, client_id: str) -> Client | None:
        """Return the client with this id, or ``None``."""
        row = self._session.execute(select(clients).where(clients.c.id == client_id)).first()
        return _from_row(row) if row else None

    def update(self, client: Client) -> None:
        """Store the new field values of ``client``; a rename onto another client raises ``Conflict``."""
        values = _row_values(client)
        del values["id"], values["created_at"]
        try:
            with self._session.begin_nested():
                self._session.execute(update(clients).where(clients.c.id == client.id).values(**values))
        except IntegrityError as exc:
            raise Conflict(f"A client named '{client.legal_name}' already exists in {client.jurisdiction}.") from exc

    def find_by_name(self, legal_name: str, jurisdiction: str) -> Client | None:
        """Return the client with this legal name (ignoring case and spacing) in ``jurisdiction``."""
        row = self._session.execute(
            select(clients).where(
                clients.c.legal_name_key == _name_key(legal_name), clients.c.jurisdiction == jurisdiction
            )
        ).first()
        return _from_row(row) if row else None

    def search(self, query: str | None, limit: int, after: ClientCursor | None) -> list[Client]:
        """Return up to ``limit`` clients matching ``query``, ordered by (legal name, id), after ``after``."""
        stmt = select(clients)
        if query:
            pattern = f"%{_escape_like(_name_key(query))}%"
            stmt = stmt.where(
                or_(
                    clients.c.legal_name_key.like(pattern, escape="\\"),
                    func.lower(clients.c.short_name).like(pattern, escape="\\"),
                )
            )
        if after is not None:
            stmt = stmt.where(tuple_(clients.c.legal_name, clients.c.id) > tuple_(after.legal_name, after.id))
        stmt = stmt.order_by(clients.c.legal_name, clients.c.id).limit(limit)
        return [_from_row(row) for row in self._session.execute(stmt)]
