"""The billing ports: invoices and the escalation ladder's step records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from domain.blobs import Retention as Retention
from domain.blobs import StoredBlob as StoredBlob

if TYPE_CHECKING:
    from domain.dunning.records import StepRecord, StepStatus
    from domain.invoices import InvoiceRecord


class InvoiceRepository(Protocol):
    """Stored invoices; never committing."""

    def add(self, invoice: InvoiceRecord) -> None:
        """Insert an invoice; a number already stored raises ``Conflict``."""
        ...

    def get(self, invoice_id: str) -> InvoiceRecord | None:
        """Return the invoice with this id, or ``None``."""
        ...

    def by_number(self, number: str) -> InvoiceRecord | None:
        """Return the invoice with this number, or ``None``."""
        ...

    def update(self, invoice: InvoiceRecord) -> None:
        """Store the state fields (paid, dispute, pause, promise) of ``invoice``."""
        ...

    def claim(self, invoice_id: str) -> InvoiceRecord | None:
        """Lock the invoice for this transaction; ``None`` when another run holds it (SKIP LOCKED)."""
        ...

    def search(
        self, *, client_id: str | None, unpaid_on: date | None, limit: int, after: str | None
    ) -> list[InvoiceRecord]:
        """Return invoices ordered by number after ``after``; ``unpaid_on`` keeps those not paid by then."""
        ...

    def due_for_run(self, as_of: date) -> list[str]:
        """Return the ids of invoices issued by ``as_of`` and not paid by then, oldest due date first."""
        ...


class DunningRepository(Protocol):
    """The record of every ladder step and the per-client ladder overrides; never committing."""

    def steps_for(self, invoice_ids: Sequence[str]) -> dict[str, list[StepRecord]]:
        """Return the step records of each invoice."""
        ...

    def add_step(self, record: StepRecord) -> None:
        """Insert a step record; a second record for the same (invoice, step) raises ``Conflict``."""
        ...

    def update_step(self, record: StepRecord) -> None:
        """Store a decided approval (status, date, document, decision fields)."""
        ...

    def claim_step(self, step_id: str) -> StepRecord | None:
        """Return the step record locked for this transaction, or ``None``."""
        ...

    def awaiting_approval(self, limit: int) -> list[StepRecord]:
        """Return the steps waiting for a person's decision, oldest first."""
        ...

    def steps_of_kind(self, kind: str, status: StepStatus, limit: int) -> list[StepRecord]:
        """Return the steps of ``kind`` in ``status``, oldest first."""
        ...

    def policy_override(self, client_id: str) -> dict[str, Any] | None:
        """Return the client's ladder override, or ``None``."""
        ...

    def set_policy_override(self, client_id: str, override: dict[str, Any], at: datetime, by: str) -> None:
        """Store (replace) the client's ladder override."""
        ...

    def suspended_client_ids(self) -> list[str]:
        """Return the clients currently marked suspended."""
        ...
