"""Importing invoices and payments from CSV rows, with clients named by their id in another system.

A row names its client either by undersign's id or by an external id (QuickBooks customer, Xero
contact, PSA company); the latter is resolved first, then the row goes through the same
``InvoiceService`` as an API call, so an import is checked, audited and idempotent exactly like
one. Payments mark the numbered invoice paid; an invoice already marked paid is left as it is.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from domain.accounting_exports import InvoiceRow, PaymentRow
from domain.actor import Actor
from domain.errors import FieldError, InvalidInput
from domain.invoices import InvoiceDraft, InvoicePatch
from domain.ports import InvoiceRepository
from services.external_ids import ExternalIdService
from services.invoices import ImportResult, InvoiceService


class PaymentResult(StrEnum):
    """What importing one payment did."""

    PAID = "paid"
    UNCHANGED = "unchanged"


class InvoiceImporter:
    """Record invoice rows and payment rows read from an export."""

    def __init__(self, invoices: InvoiceService, external_ids: ExternalIdService, stored: InvoiceRepository) -> None:
        self._invoices = invoices
        self._external_ids = external_ids
        self._stored = stored

    def invoice(self, actor: Actor, row: InvoiceRow) -> ImportResult:
        """Record one invoice row (``pydantic.ValidationError`` or ``UndersignError`` when it is bad)."""
        client_id = row.client_id or ""
        if row.client_ref is not None:
            client_id = self._external_ids.resolve(row.client_ref, pointer="/client")
        draft = InvoiceDraft.model_validate({**row.fields, "client_id": client_id})
        return self._invoices.import_row(actor, draft)

    def payment(self, actor: Actor, row: PaymentRow) -> PaymentResult:
        """Mark the numbered invoice paid on the row's day, unless it is already marked paid."""
        stored = self._stored.by_number(row.number)
        if stored is None:
            raise InvalidInput(
                f"No invoice numbered '{row.number}' is stored; import the invoice first.",
                errors=[FieldError("/number", "no such invoice")],
            )
        if stored.paid_on is not None:
            return PaymentResult.UNCHANGED
        self._invoices.change(actor, stored.id, InvoicePatch(paid_on=date.fromisoformat(row.paid_on)))
        return PaymentResult.PAID
