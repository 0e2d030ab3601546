"""In-memory ``InvoiceRepository`` and ``DunningRepository``: the once-per-step rule and SKIP LOCKED, kept.

``FakeInvoiceRepository.held_elsewhere`` plays another run's transaction: an invoice in it cannot be
claimed (``claim`` returns ``None``, as ``FOR UPDATE SKIP LOCKED`` does). ``FakeDunningRepository``
refuses a second record for the same (invoice, step) with ``Conflict``, as the UNIQUE constraint does,
and reads suspended clients from the client fake, as the SQL one reads the clients table.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, ClassVar

from domain.dunning.records import StepRecord, StepStatus
from domain.errors import Conflict
from domain.invoices import InvoiceRecord
from tests.fakes.clients import FakeClientRepository
from tests.fakes.unit_of_work import Transactional

_STATE_FIELDS = ("paid_on", "disputed_since", "dispute_reason", "paused_until", "promise_to_pay_on", "updated_at")


class FakeInvoiceRepository(Transactional):
    """Invoices in a dict, unique by number; ``held_elsewhere`` are locked by another transaction."""

    TABLES: ClassVar[tuple[str, ...]] = ("rows",)

    def __init__(self) -> None:
        self.rows: dict[str, InvoiceRecord] = {}
        self.held_elsewhere: set[str] = set()

    def add(self, invoice: InvoiceRecord) -> None:
        """Insert ``invoice``; a number already stored raises ``Conflict``."""
        if invoice.id in self.rows or self.by_number(invoice.number) is not None:
            raise Conflict(f"An invoice numbered '{invoice.number}' already exists.")
        self.rows[invoice.id] = invoice

    def get(self, invoice_id: str) -> InvoiceRecord | None:
        """Return the invoice with this id, or ``None``."""
        return self.rows.get(invoice_id)

    def by_number(self, number: str) -> InvoiceRecord | None:
        """Return the invoice with this number, or ``None``."""
        return next((i for i in self.rows.values() if i.number == number), None)

    def update(self, invoice: InvoiceRecord) -> None:
        """Store only the state fields of ``invoice`` (amounts and dates are never changed by an update)."""
        stored = self.rows.get(invoice.id)
        if stored is not None:
            self.rows[invoice.id] = replace(stored, **{name: getattr(invoice, name) for name in _STATE_FIELDS})

    def claim(self, invoice_id: str) -> InvoiceRecord | None:
        """Return the invoice locked for this transaction; ``None`` if unknown or held by another run."""
        if invoice_id in self.held_elsewhere:
            return None
        return self.rows.get(invoice_id)

    def search(
        self, *, client_id: str | None, unpaid_on: date | None, limit: int, after: str | None
    ) -> list[InvoiceRecord]:
        """Return invoices ordered by number after ``after``; ``unpaid_on`` keeps those not paid by then."""
        found = sorted(self.rows.values(), key=lambda i: i.number)
        if client_id:
            found = [i for i in found if i.client_id == client_id]
        if unpaid_on is not None:
            found = [i for i in found if i.paid_on is None or i.paid_on > unpaid_on]
        if after:
            found = [i for i in found if i.number > after]
        return found[:limit]

    def due_for_run(self, as_of: date) -> list[str]:
        """Return the ids of invoices issued by ``as_of`` and not paid by then, oldest due date first."""
        found = [i for i in self.rows.values() if i.issued_on <= as_of and (i.paid_on is None or i.paid_on > as_of)]
        return [i.id for i in sorted(found, key=lambda i: (i.due_on, i.id))]


@dataclass(frozen=True)
class StoredOverride:
    """A client's ladder override as stored: what, when and by whom."""

    override: dict[str, Any]
    at: datetime
    by: str


class FakeDunningRepository(Transactional):
    """Step records unique per (invoice, step), and per-client ladder overrides."""

    TABLES: ClassVar[tuple[str, ...]] = ("records", "overrides")

    def __init__(self, clients: FakeClientRepository) -> None:
        self.records: dict[str, StepRecord] = {}
        self.overrides: dict[str, StoredOverride] = {}
        self._clients = clients

    def steps_for(self, invoice_ids: Sequence[str]) -> dict[str, list[StepRecord]]:
        """Return the step records of each invoice (every id present), by day handled then creation."""
        found: dict[str, list[StepRecord]] = {invoice_id: [] for invoice_id in invoice_ids}
        for record in sorted(self.records.values(), key=lambda r: (r.handled_on, r.created_at)):
            if record.invoice_id in found:
                found[record.invoice_id].append(record)
        return found

    def add_step(self, record: StepRecord) -> None:
        """Insert ``record``; a second record for the same (invoice, step) raises ``Conflict``."""
        if any((r.invoice_id, r.step_key) == (record.invoice_id, record.step_key) for r in self.records.values()):
            raise Conflict(f"Step '{record.step_key}' of invoice '{record.invoice_id}' is already recorded.")
        self.records[record.id] = record

    def update_step(self, record: StepRecord) -> None:
        """Store the decision and outcome fields; the identity (invoice, step, creation) never changes."""
        stored = self.records.get(record.id)
        if stored is not None:
            self.records[record.id] = replace(
                record, invoice_id=stored.invoice_id, step_key=stored.step_key, created_at=stored.created_at
            )

    def claim_step(self, step_id: str) -> StepRecord | None:
        """Return the step record locked for this transaction, or ``None``."""
        return self.records.get(step_id)

    def awaiting_approval(self, limit: int) -> list[StepRecord]:
        """Return the steps waiting for a person's decision, oldest first."""
        waiting = [r for r in self.records.values() if r.status is StepStatus.AWAITING_APPROVAL]
        return sorted(waiting, key=lambda r: (r.created_at, r.id))[:limit]

    def steps_of_kind(self, kind: str, status: StepStatus, limit: int) -> list[StepRecord]:
        """Return the steps of ``kind`` in ``status``, oldest first."""
        found = [r for r in self.records.values() if r.kind == kind and r.status is status]
        return sorted(found, key=lambda r: (r.created_at, r.id))[:limit]

    def policy_override(self, client_id: str) -> dict[str, Any] | None:
        """Return a copy of the client's ladder override, or ``None``."""
        stored = self.overrides.get(client_id)
        return copy.deepcopy(stored.override) if stored else None

    def set_policy_override(self, client_id: str, override: dict[str, Any], at: datetime, by: str) -> None:
        """Store (replace) the client's ladder override."""
        self.overrides[client_id] = StoredOverride(copy.deepcopy(override), at, by)

    def suspended_client_ids(self) -> list[str]:
        """Return the clients currently marked suspended, by id."""
        return sorted(c.id for c in self._clients.rows.values() if c.suspended_since is not None)

    # -- what a test reads ---------------------------------------------------------------------------

    def of_invoice(self, invoice_id: str) -> dict[str, StepRecord]:
        """Return the invoice's records by step key."""
        return {r.step_key: r for r in self.steps_for([invoice_id])[invoice_id]}
