"""Client response bodies."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from domain.clients import Client, ClientPage, Contact


class ClientOut(BaseModel):
    """A client as the API shows it."""

    id: str
    legal_name: str
    short_name: str
    address: str
    jurisdiction: str
    billing_email: str
    primary_contact: Contact
    notes: str
    suspended_since: date | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, client: Client) -> ClientOut:
        """Build the response body for ``client``."""
        return cls(**client.__dict__)


class ClientPageOut(BaseModel):
    """One page of clients and the cursor of the next page (null on the last page)."""

    items: list[ClientOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: ClientPage) -> ClientPageOut:
        """Build the response body for ``page``."""
        return cls(items=[ClientOut.of(c) for c in page.items], next_cursor=page.next_cursor)
