"""The invoice service driven through fakes: recording, idempotent import, state changes the ladder obeys."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from adapters.template_library import TemplateLibrary
from domain.actor import Actor
from domain.errors import Conflict, InvalidInput
from domain.invoices import InvoiceDraft, InvoicePatch, InvoiceStatus
from domain.roles import Role
from services.dunning_run import run_dunning
from services.invoices import ImportResult, InvoiceService
from tests.services.office import FakeOffice

BILLING = Actor(name="billing-desk", role=Role.BILLING)
DUE = date(2026, 3, 2)


@pytest.fixture
def office(template_library: TemplateLibrary) -> FakeOffice:
    """A back office over fakes, its clock on the due date."""
    office = FakeOffice(template_library)
    office.set_day(DUE)
    return office


def service(office: FakeOffice) -> InvoiceService:
    """The invoice service over the office's fakes."""
    return InvoiceService(office.invoices, office.clients, office.clock, office.audit)


def draft(client_id: str, **overrides: Any) -> InvoiceDraft:
    """Return a valid invoice draft (CAD 1250.50, due on ``DUE``) with fields overridden."""
    body: dict[str, Any] = {
        "number": "INV-1",
        "client_id": client_id,
        "amount": "1250.50",
        "currency": "CAD",
        "issued_on": "2026-01-31",
        "due_on": DUE.isoformat(),
    }
    body.update(overrides)
    return InvoiceDraft.model_validate(body)


def patch(**fields: Any) -> InvoicePatch:
    """Return an invoice patch of ``fields``."""
    return InvoicePatch.model_validate(fields)


class TestRecord:
    def test_an_invoice_is_stored_in_minor_units_and_audited(self, office: FakeOffice) -> None:
        """'1250.50' CAD is stored as 125050 cents; the audit payload repeats the amount as written."""
        client = office.add_client()
        invoice = service(office).create(BILLING, draft(client.id))
        assert office.invoices.rows[invoice.id].amount_minor == 125_050
        [event] = office.audit.recorded
        assert event.action == "invoice.created" and event.subjects == {"invoice": invoice.id, "client": client.id}
        assert event.payload is not None and (event.payload["amount"], event.payload["number"]) == ("1250.50", "INV-1")

    def test_bad_client_and_bad_amount_name_the_field_and_store_nothing(self, office: FakeOffice) -> None:
        """An unknown client names /client_id; yen with cents names /amount; nothing is stored or audited."""
        client = office.add_client()
        with pytest.raises(InvalidInput) as no_client:
            service(office).create(BILLING, draft("no-such-client"))
        with pytest.raises(InvalidInput) as bad_amount:
            service(office).create(BILLING, draft(client.id, currency="JPY", amount="12.50"))
        assert [e.pointer for e in no_client.value.errors + bad_amount.value.errors] == ["/client_id", "/amount"]
        assert office.invoices.rows == {} and office.audit.recorded == []

    def test_dates_far_from_today_name_the_field_and_store_nothing(self, office: FakeOffice) -> None:
        """Issue and due dates more than ten years from today are refused, each field named; nothing is stored."""
        client = office.add_client()
        with pytest.raises(InvalidInput, match="too far from today") as refused:
            service(office).create(BILLING, draft(client.id, issued_on="1926-01-31", due_on="2126-03-02"))
        assert [e.pointer for e in refused.value.errors] == ["/issued_on", "/due_on"]
        assert office.invoices.rows == {} and office.audit.recorded == []

    def test_import_is_idempotent_and_refuses_a_contradiction(self, office: FakeOffice) -> None:
        """The same row twice stores one invoice; the same number with another amount is a Conflict."""
        client = office.add_client()
        invoices = service(office)
        assert invoices.import_row(BILLING, draft(client.id)) is ImportResult.CREATED
        assert invoices.import_row(BILLING, draft(client.id)) is ImportResult.UNCHANGED
        with pytest.raises(Conflict, match="other details"):
            invoices.import_row(BILLING, draft(client.id, amount="1300.00"))
        [stored] = office.invoices.rows.values()
        assert stored.amount_minor == 125_050 and office.audit.actions() == ["invoice.created"]


class TestChange:
    def test_a_dispute_defaults_to_today_and_null_clears_it(self, office: FakeOffice) -> None:
        """A dispute without a date starts today; null clears both its date and its reason; each change is audited."""
        invoice = service(office).create(BILLING, draft(office.add_client().id))
        service(office).change(BILLING, invoice.id, patch(dispute={"reason": "Wrong hourly rate"}))
        stored = office.invoices.rows[invoice.id]
        assert (stored.disputed_since, stored.dispute_reason) == (DUE, "Wrong hourly rate")
        service(office).change(BILLING, invoice.id, patch(dispute=None))
        stored = office.invoices.rows[invoice.id]
        assert (stored.disputed_since, stored.dispute_reason) == (None, None)
        payloads = [e.payload for e in office.audit.of("invoice.changed")]
        assert payloads == [
            {"disputed_since": DUE.isoformat(), "dispute_reason": "Wrong hourly rate"},
            {"disputed_since": None, "dispute_reason": None},
        ]

    def test_a_change_to_a_far_date_names_the_field_and_changes_nothing(self, office: FakeOffice) -> None:
        """A pause until, or a dispute since, a date decades away is refused under its own field; the row stays."""
        invoice = service(office).create(BILLING, draft(office.add_client().id))
        events = len(office.audit.recorded)
        with pytest.raises(InvalidInput) as refused:
            service(office).change(BILLING, invoice.id, patch(paused_until="2999-01-01"))
        assert [e.pointer for e in refused.value.errors] == ["/paused_until"]
        with pytest.raises(InvalidInput) as refused:
            service(office).change(BILLING, invoice.id, patch(dispute={"reason": "Old", "since": "1900-01-01"}))
        assert [e.pointer for e in refused.value.errors] == ["/dispute/since"]
        assert office.invoices.rows[invoice.id] == invoice and len(office.audit.recorded) == events

    def test_paid_before_issued_is_refused(self, office: FakeOffice) -> None:
        """A payment dated before the invoice was issued names /paid_on and changes nothing."""
        invoice = service(office).create(BILLING, draft(office.add_client().id))
        with pytest.raises(InvalidInput) as refused:
            service(office).change(BILLING, invoice.id, patch(paid_on="2026-01-01"))
        assert [e.pointer for e in refused.value.errors] == ["/paid_on"]
        assert office.invoices.rows[invoice.id] == invoice

    def test_a_dispute_recorded_here_holds_the_ladder(self, office: FakeOffice) -> None:
        """An invoice disputed through the service gets no reminder on day 7; the undisputed one does."""
        client = office.add_client()
        disputed = service(office).create(BILLING, draft(client.id, number="INV-D"))
        service(office).create(BILLING, draft(client.id, number="INV-O"))
        service(office).change(BILLING, disputed.id, patch(dispute={"reason": "Never received"}))
        office.set_day(date(2026, 3, 9))
        run_dunning(office.units(), BILLING, date(2026, 3, 9))
        assert [m.subject for m in office.mailer.sent] == ["Payment Reminder: invoice INV-O - Harbour IT Ltd"]
        assert office.steps.steps_for([disputed.id]) == {disputed.id: []}


class TestSearch:
    def test_status_filters_on_todays_state(self, office: FakeOffice) -> None:
        """Today's open, disputed and paid invoices are told apart; paging goes by number."""
        client = office.add_client()
        invoices = service(office)
        made = {n: invoices.create(BILLING, draft(client.id, number=f"INV-{n}")) for n in (1, 2, 3, 4)}
        invoices.change(BILLING, made[2].id, patch(dispute={"reason": "Wrong rate"}))
        invoices.change(BILLING, made[3].id, patch(paid_on=DUE.isoformat()))
        numbers = {
            status: [i.number for i in invoices.search(client_id=client.id, status=status, limit=10, after=None).items]
            for status in (InvoiceStatus.OPEN, InvoiceStatus.DISPUTED, InvoiceStatus.PAID)
        }
        assert numbers == {
            InvoiceStatus.OPEN: ["INV-1", "INV-4"],
            InvoiceStatus.DISPUTED: ["INV-2"],
            InvoiceStatus.PAID: ["INV-3"],
        }
        page = invoices.search(client_id=None, status=None, limit=3, after=None)
        assert [i.number for i in page.items] == ["INV-1", "INV-2", "INV-3"] and page.next_after == "INV-3"
        assert [i.number for i in invoices.search(client_id=None, status=None, limit=3, after="INV-3").items] == [
            "INV-4"
        ]
