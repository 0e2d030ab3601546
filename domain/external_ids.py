"""Clients' ids in the MSP's other systems: the PSA's company id, QuickBooks' and Xero's customer.

Exports from those systems name the customer their own way (QuickBooks by the customer's display
name, Xero by the contact name, a PSA by its company id), so a client carries one id per system
and an invoice row or an API call may name its client by any of them. Ids are matched without
regard to case or repeated spaces, because exports do not keep either reliably.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain.text import ShortText


class ExternalSystem(StrEnum):
    """The systems a client can have an id in."""

    PSA = "psa"
    QUICKBOOKS = "quickbooks"
    XERO = "xero"


ExternalId = Annotated[ShortText, Field(min_length=1, max_length=200)]


class ExternalRef(BaseModel):
    """A client named by its id in another system."""

    model_config = ConfigDict(extra="forbid")

    system: ExternalSystem
    id: ExternalId


class ExternalIds(BaseModel):
    """A client's ids in the other systems; a system left out has no id."""

    model_config = ConfigDict(extra="forbid")

    psa: ExternalId | None = None
    quickbooks: ExternalId | None = None
    xero: ExternalId | None = None

    def items(self) -> list[tuple[ExternalSystem, str]]:
        """Return the (system, id) pairs that are set."""
        return [(system, value) for system in ExternalSystem if (value := getattr(self, system.value))]


def external_key(value: str) -> str:
    """Return the form ids are matched by: case-folded, spaces collapsed."""
    return " ".join(value.casefold().split())


class ExternalIdRepository(Protocol):
    """Stored external ids; implementations never commit."""

    def for_client(self, client_id: str) -> dict[ExternalSystem, str]:
        """Return the client's ids by system."""
        ...

    def replace(self, client_id: str, ids: list[tuple[ExternalSystem, str]], at: object) -> None:
        """Make ``ids`` the client's ids; an id held by another client raises ``Conflict``."""
        ...

    def client_for(self, system: ExternalSystem, external_id: str) -> str | None:
        """Return the id of the client holding ``external_id`` in ``system``, or ``None``."""
        ...
