"""The client service driven through fakes: what it stores, what it refuses, and what the audit trail shows."""

from __future__ import annotations

from typing import Any

import pytest

from domain.actor import Actor
from domain.clients import ClientDraft, ClientPatch
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.roles import Role
from services.clients import ClientService
from tests.fakes.audit import FakeAuditTrail
from tests.fakes.clients import FakeClientRepository
from tests.fakes.clock import FixedClock

SALES = Actor(name="sales-desk", role=Role.SALES)


class Desk:
    """The client service over a client fake, an audit fake and a clock the test moves."""

    def __init__(self) -> None:
        self.clock = FixedClock()
        self.clients = FakeClientRepository()
        self.audit = FakeAuditTrail(self.clock)
        self.service = ClientService(self.clients, self.clock, self.audit)


def draft(**overrides: Any) -> ClientDraft:
    """Return a valid client draft with fields overridden."""
    body: dict[str, Any] = {
        "legal_name": "Northwind Dental Clinic Ltd.",
        "short_name": "Northwind",
        "jurisdiction": "CA-BC",
        "billing_email": "ap@northwind.example",
        "primary_contact": {"name": "Dana Wu", "title": "Office Manager", "email": "dana@northwind.example"},
    }
    body.update(overrides)
    return ClientDraft.model_validate(body)


@pytest.fixture
def desk() -> Desk:
    """A fresh desk."""
    return Desk()


class TestCreate:
    def test_a_new_client_is_stored_and_audited(self, desk: Desk) -> None:
        """Creating a client stores it and records client.created with its name, jurisdiction and billing address."""
        client = desk.service.create(SALES, draft())
        assert desk.clients.rows == {client.id: client}
        [event] = desk.audit.recorded
        assert (event.action, dict(event.subjects)) == ("client.created", {"client": client.id})
        assert event.payload == {
            "legal_name": "Northwind Dental Clinic Ltd.",
            "jurisdiction": "CA-BC",
            "billing_email": "ap@northwind.example",
        }
        assert event.event.actor.id == "sales-desk" and event.event.actor.role == "sales"

    def test_the_same_name_in_the_same_jurisdiction_is_refused(self, desk: Desk) -> None:
        """A second 'NORTHWIND dental  clinic ltd.' in BC is a Conflict and leaves one client and one event."""
        desk.service.create(SALES, draft())
        with pytest.raises(Conflict, match="already exists in CA-BC"):
            desk.service.create(SALES, draft(legal_name="NORTHWIND dental  clinic ltd."))
        desk.service.create(SALES, draft(jurisdiction="CA-ON"))
        assert sorted(c.jurisdiction for c in desk.clients.rows.values()) == ["CA-BC", "CA-ON"]
        assert desk.audit.actions() == ["client.created", "client.created"]

    def test_an_auditor_cannot_create(self, desk: Desk) -> None:
        """An auditor's create is Forbidden and stores nothing."""
        with pytest.raises(Forbidden):
            desk.service.create(Actor(name="insurer", role=Role.AUDITOR), draft())
        assert desk.clients.rows == {} and desk.audit.recorded == []


class TestChange:
    def test_a_patch_changes_only_its_fields(self, desk: Desk) -> None:
        """A new billing address is stored with a later updated_at; other fields and the creation time stay."""
        client = desk.service.create(SALES, draft())
        desk.clock.advance(days=1)
        desk.service.change(
            SALES, client.id, ClientPatch.model_validate({"billing_email": "billing@northwind.example"})
        )
        stored = desk.clients.rows[client.id]
        assert stored.billing_email == "billing@northwind.example" and stored.legal_name == client.legal_name
        assert (stored.created_at, stored.updated_at) == (client.created_at, desk.clock.now())
        changed = desk.audit.of("client.changed")[0]
        assert changed.payload is not None and changed.payload["changed"] == ["billing_email"]

    def test_null_fields_and_renames_onto_another_client_are_refused(self, desk: Desk) -> None:
        """Null names the field; a rename onto another client's name is a Conflict; neither changes anything."""
        first = desk.service.create(SALES, draft())
        second = desk.service.create(SALES, draft(legal_name="Contoso Ltd"))
        with pytest.raises(InvalidInput) as refused:
            desk.service.change(SALES, second.id, ClientPatch.model_validate({"legal_name": None}))
        assert [e.pointer for e in refused.value.errors] == ["/legal_name"]
        with pytest.raises(Conflict):
            desk.service.change(SALES, second.id, ClientPatch.model_validate({"legal_name": first.legal_name}))
        assert desk.clients.rows[second.id] == second and desk.audit.of("client.changed") == []


class TestSearch:
    def test_pages_follow_the_cursor_without_repeats(self, desk: Desk) -> None:
        """Three matching clients come two then one by legal name; a forged cursor is refused."""
        for name in ("Gamma Clinic", "Alpha Clinic", "Beta Clinic", "Zeta Foods"):
            desk.service.create(SALES, draft(legal_name=name))
        first = desk.service.search("clinic", 2, None)
        assert [c.legal_name for c in first.items] == ["Alpha Clinic", "Beta Clinic"] and first.next_cursor
        rest = desk.service.search("clinic", 2, first.next_cursor)
        assert [c.legal_name for c in rest.items] == ["Gamma Clinic"] and rest.next_cursor is None
        with pytest.raises(InvalidInput):
            desk.service.search("clinic", 2, "not-a-cursor")
