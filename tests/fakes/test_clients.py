"""The client fake keeps the contract of ``domain.ports.clients``: unique names per jurisdiction, keyset order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.clients import Client, ClientCursor, Contact
from domain.errors import Conflict
from domain.ports import ClientRepository
from tests.fakes.clients import FakeClientRepository

AT = datetime(2026, 3, 1, tzinfo=UTC)


def client(client_id: str, legal_name: str, jurisdiction: str = "CA-BC") -> Client:
    """Return a client."""
    contact = Contact(name="Dana Fox", email="dana@example.com")
    return Client(client_id, legal_name, "", "", jurisdiction, "ap@example.com", contact, "", AT, AT)


class TestFakeClientRepository:
    def test_names_are_unique_per_jurisdiction_ignoring_case_and_spacing(self) -> None:
        """'ACME  ltd' clashes with 'Acme Ltd' in BC, on add and on rename, but not in Ontario."""
        port: ClientRepository = FakeClientRepository()
        port.add(client("1", "Acme Ltd"))
        with pytest.raises(Conflict):
            port.add(client("2", "ACME  ltd"))
        port.add(client("3", "Acme Ltd", "CA-ON"))
        port.add(client("4", "Beta Inc"))
        with pytest.raises(Conflict):
            port.update(replace(client("4", "acme ltd")))
        assert port.find_by_name("acme   LTD", "CA-BC") == client("1", "Acme Ltd")
        assert port.find_by_name("Acme Ltd", "US-TX") is None

    def test_search_pages_by_legal_name_then_id(self) -> None:
        """Search finds by part of the name and pages after a cursor without repeating anyone."""
        port: ClientRepository = FakeClientRepository()
        for number, name in enumerate(["Gamma Co", "Alpha Co", "Beta Co"]):
            port.add(client(str(number), name))
        first = port.search("co", 2, None)
        assert [c.legal_name for c in first] == ["Alpha Co", "Beta Co"]
        rest = port.search("co", 2, ClientCursor(first[-1].legal_name, first[-1].id))
        assert [c.legal_name for c in rest] == ["Gamma Co"]
        assert port.search("zeta", 10, None) == []
