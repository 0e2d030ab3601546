"""The billing fakes keep the contract of ``domain.ports.billing``: unique numbers and steps, SKIP LOCKED, orders."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from domain.dunning.records import StepRecord, StepStatus
from domain.errors import Conflict
from domain.invoices import InvoiceRecord
from domain.ports import DunningRepository, InvoiceRepository
from tests.fakes.billing import FakeDunningRepository, FakeInvoiceRepository
from tests.fakes.clients import FakeClientRepository

AT = datetime(2026, 3, 1, tzinfo=UTC)


def invoice(number: str, due_on: date, paid_on: date | None = None) -> InvoiceRecord:
    """Return an invoice numbered ``number`` due on ``due_on``."""
    return InvoiceRecord(
        id=f"id-{number}",
        number=number,
        client_id="c1",
        currency="CAD",
        amount_minor=100,
        issued_on=date(2026, 1, 1),
        due_on=due_on,
        created_at=AT,
        updated_at=AT,
        paid_on=paid_on,
    )


def step(step_id: str, key: str, invoice_id: str = "id-A", status: StepStatus = StepStatus.DONE) -> StepRecord:
    """Return a step record."""
    return StepRecord(step_id, invoice_id, "c1", key, "email_reminder", date(2026, 3, 9), status, AT)


class TestFakeInvoiceRepository:
    def test_numbers_are_unique_and_claim_skips_locked_and_unknown(self) -> None:
        """A second invoice with a taken number is a Conflict; claim is None for unknown or locked invoices."""
        repo = FakeInvoiceRepository()
        port: InvoiceRepository = repo
        port.add(invoice("A", date(2026, 3, 2)))
        with pytest.raises(Conflict):
            port.add(replace(invoice("A", date(2026, 4, 2)), id="another-id"))
        assert port.claim("nope") is None and port.claim("id-A") is not None
        repo.held_elsewhere.add("id-A")
        assert port.claim("id-A") is None

    def test_due_for_run_orders_by_due_date_and_drops_paid(self) -> None:
        """Invoices paid by the run day are left out; the rest come oldest due date first."""
        port: InvoiceRepository = FakeInvoiceRepository()
        port.add(invoice("A", date(2026, 3, 9)))
        port.add(invoice("B", date(2026, 3, 2)))
        port.add(invoice("C", date(2026, 3, 1), paid_on=date(2026, 3, 5)))
        assert port.due_for_run(date(2026, 3, 10)) == ["id-B", "id-A"]
        assert port.due_for_run(date(2026, 3, 4)) == ["id-C", "id-B", "id-A"]

    def test_update_stores_only_the_state_fields(self) -> None:
        """An update cannot change an invoice's amount; it stores payment and holds."""
        port: InvoiceRepository = FakeInvoiceRepository()
        port.add(invoice("A", date(2026, 3, 2)))
        changed = replace(invoice("A", date(2026, 3, 2), paid_on=date(2026, 3, 3)), amount_minor=999)
        port.update(changed)
        stored = port.get("id-A")
        assert stored is not None and (stored.amount_minor, stored.paid_on) == (100, date(2026, 3, 3))


class TestFakeDunningRepository:
    def test_a_step_is_recorded_once_per_invoice(self) -> None:
        """A second record of the same (invoice, step) is a Conflict, whatever its id."""
        port: DunningRepository = FakeDunningRepository(FakeClientRepository())
        port.add_step(step("s1", "reminder-1"))
        with pytest.raises(Conflict):
            port.add_step(step("s2", "reminder-1"))
        port.add_step(step("s3", "reminder-1", invoice_id="id-B"))
        assert {k: [r.id for r in v] for k, v in port.steps_for(["id-A", "id-B", "id-C"]).items()} == {
            "id-A": ["s1"],
            "id-B": ["s3"],
            "id-C": [],
        }

    def test_claim_step_and_approval_queue(self) -> None:
        """claim_step is None for an unknown id; only waiting steps are in the approval queue."""
        port: DunningRepository = FakeDunningRepository(FakeClientRepository())
        port.add_step(step("s1", "reminder-1"))
        port.add_step(step("s2", "suspension", status=StepStatus.AWAITING_APPROVAL))
        assert port.claim_step("nope") is None
        assert [r.id for r in port.awaiting_approval(10)] == ["s2"]

    def test_an_override_is_stored_as_a_copy(self) -> None:
        """Changing the caller's dict after storing it does not change the stored override."""
        port: DunningRepository = FakeDunningRepository(FakeClientRepository())
        override = {"steps": [{"key": "reminder-1", "offset": 3}]}
        port.set_policy_override("c1", override, AT, "key:alice(billing)")
        override["steps"].clear()
        assert port.policy_override("c1") == {"steps": [{"key": "reminder-1", "offset": 3}]}
        assert port.policy_override("c2") is None
