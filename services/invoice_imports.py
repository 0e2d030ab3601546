"""Importing invoices and payments from CSV rows, with clients named by their id in another system.

A row names its client either by undersign's id or by an external id (QuickBooks customer, Xero
contact, PSA company); the latter is resolved first, then the row goes through the same
``InvoiceService`` as an API call, so an import is checked, audited and idempotent exactly like
one. Payments mark the numbered invoice paid; an invoice already marked paid is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from pydantic import ValidationError

from domain.accounting_exports import InvoiceRow, PaymentRow
from domain.actor import Actor
from domain.errors import FieldError, InvalidInput, UndersignError
from domain.invoices import InvoiceDraft, InvoicePatch
from domain.ports import InvoiceRepository
from services.external_ids import ExternalIdService
from services.invoices import ImportResult, InvoiceService


class PaymentResult(StrEnum):
    """What importing one payment did."""

    PAID = "paid"
    UNCHANGED = "unchanged"


@dataclass
class ImportReport:
    """What importing a file did: how many rows were created or unchanged, and each refused line's reason."""

    created: int = 0
    unchanged: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)


def validation_reason(exc: ValidationError) -> str:
    """Return a row's validation problems as one line (``amount: ...; due_on: ...``)."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "row"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def error_reason(exc: UndersignError) -> str:
    """Return a refused row's reason with its fields (``No client ... (client: no such client)``)."""
    reasons = "; ".join(f"{e.pointer.strip('/')}: {e.reason}" for e in exc.errors)
    return f"{exc.detail}{' (' + reasons + ')' if reasons else ''}"


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

    def invoices(
        self,
        actor: Actor,
        rows: Iterable[InvoiceRow],
        savepoint: Callable[[], AbstractContextManager[object]],
        refused: Iterable[tuple[int, str]] = (),
        advance: Callable[[], None] | None = None,
    ) -> ImportReport:
        """Record each row in its own ``savepoint``: a bad row is reported by line and the others go in.

        ``refused`` are lines already found bad while reading the file (not UTF-8, unparsable); they
        are reported with the rest, in line order. ``advance`` is called after each row (a progress bar).
        """
        report = ImportReport(refused=list(refused))
        for row in rows:
            try:
                with savepoint():
                    result = self.invoice(actor, row)
            except ValidationError as exc:
                report.refused.append((row.line, validation_reason(exc)))
            except UndersignError as exc:
                report.refused.append((row.line, error_reason(exc)))
            else:
                if result is ImportResult.CREATED:
                    report.created += 1
                else:
                    report.unchanged += 1
            if advance is not None:
                advance()
        report.refused.sort()
        return report

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
