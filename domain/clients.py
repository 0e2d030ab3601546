"""Clients: the MSP's customers, to which every document, envelope, risk and invoice belongs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from domain.email_address import EmailAddress
from domain.jurisdiction import Jurisdiction
from domain.keyset_cursor import decode_cursor, encode_cursor
from domain.text import Address, LongText, Name, ShortText


class Contact(BaseModel):
    """A person at the client."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    title: ShortText = ""
    email: EmailAddress


class ClientDraft(BaseModel):
    """What it takes to create a client."""

    model_config = ConfigDict(extra="forbid")

    legal_name: Name
    short_name: ShortText = Field(default="", max_length=60)
    address: Address = ""
    jurisdiction: Jurisdiction
    billing_email: EmailAddress
    primary_contact: Contact
    notes: LongText = ""


class ClientPatch(BaseModel):
    """A partial change to a client; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    legal_name: Name | None = None
    short_name: ShortText | None = Field(default=None, max_length=60)
    address: Address | None = None
    jurisdiction: Jurisdiction | None = None
    billing_email: EmailAddress | None = None
    primary_contact: Contact | None = None
    notes: LongText | None = None


@dataclass(frozen=True)
class Client:
    """A stored client."""

    id: str
    legal_name: str
    short_name: str
    address: str
    jurisdiction: str
    billing_email: str
    primary_contact: Contact
    notes: str
    created_at: datetime
    updated_at: datetime
    suspended_since: date | None = None


@dataclass(frozen=True)
class ClientCursor:
    """The keyset position after which the next page of a client listing starts."""

    legal_name: str
    id: str

    def encode(self) -> str:
        """Return the opaque cursor string handed to API callers."""
        return encode_cursor(self.legal_name, self.id)

    @classmethod
    def decode(cls, cursor: str) -> ClientCursor:
        """Parse a cursor produced by ``encode``; anything else is an ``InvalidInput``."""
        legal_name, client_id = decode_cursor(cursor, 2)
        return cls(legal_name=legal_name, id=client_id)


@dataclass(frozen=True)
class ClientPage:
    """One page of a client listing and the cursor of the next page, if any."""

    items: list[Client]
    next_cursor: str | None
