"""Invoice use cases: record an invoice, change its state (paid, disputed, paused, promised), list them.

Importing is idempotent by invoice number: a row that matches the stored invoice changes nothing,
a row that contradicts it is refused (``Conflict``) instead of silently overwriting the record a
notice may already have cited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

from domain.actor import Actor
from domain.bounds import date_problem
from domain.errors import Conflict, FieldError, InvalidInput, NotFound
from domain.invoices import InvoiceDraft, InvoicePatch, InvoiceRecord, InvoiceStatus
from domain.money import format_amount, parse_amount
from domain.ports import AuditTrail, ClientRepository, Clock, InvoiceRepository
from domain.roles import Permission

MAX_PAGE = 500


class ImportResult(StrEnum):
    """What importing one row did."""

    CREATED = "created"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class InvoicePage:
    """One page of invoices and the number after which the next page starts."""

    items: list[InvoiceRecord]
    next_after: str | None


class InvoiceService:
    """Record and change invoices; every write checks the role and is audited."""

    def __init__(self, invoices: InvoiceRepository, clients: ClientRepository, clock: Clock, audit: AuditTrail) -> None:
        self._invoices = invoices
        self._clients = clients
        self._clock = clock
        self._audit = audit

    def create(self, actor: Actor, draft: InvoiceDraft) -> InvoiceRecord:
        """Record a new invoice; a number already stored is a ``Conflict``."""
        _require_write(actor)
        amount_minor = self._amount(draft)
        self._check_dates([("/issued_on", draft.issued_on), ("/due_on", draft.due_on)])
        if self._clients.get(draft.client_id) is None:
            raise InvalidInput(
                f"No client with id '{draft.client_id}'.", errors=[FieldError("/client_id", "no such client")]
            )
        if self._invoices.by_number(draft.number) is not None:
            raise Conflict(f"An invoice numbered '{draft.number}' already exists.")
        now = self._clock.now()
        invoice = InvoiceRecord(
            id=str(uuid.uuid4()),
            number=draft.number,
            client_id=draft.client_id,
            currency=draft.currency,
            amount_minor=amount_minor,
            issued_on=draft.issued_on,
            due_on=draft.due_on,
            created_at=now,
            updated_at=now,
        )
        self._invoices.add(invoice)
        self._audit.record(
            actor,
            "invoice.created",
            {"invoice": invoice.id, "client": invoice.client_id},
            payload={
                "number": invoice.number,
                "amount": format_amount(amount_minor, invoice.currency),
                "currency": invoice.currency,
                "issued_on": invoice.issued_on.isoformat(),
                "due_on": invoice.due_on.isoformat(),
            },
        )
        return invoice

    def import_row(self, actor: Actor, draft: InvoiceDraft) -> ImportResult:
        """Record ``draft`` unless the same invoice is stored already; a different one is a ``Conflict``."""
        _require_write(actor)
        stored = self._invoices.by_number(draft.number)
        if stored is None:
            self.create(actor, draft)
            return ImportResult.CREATED
        if stored.same_terms(draft, self._amount(draft)):
            return ImportResult.UNCHANGED
        raise Conflict(
            f"Invoice '{draft.number}' is already stored with other details (client, amount, currency or dates)."
        )

    def change(self, actor: Actor, invoice_id: str, patch: InvoicePatch) -> InvoiceRecord:
        """Apply the fields set in ``patch``; ``null`` clears a dispute, pause, promise or payment."""
        _require_write(actor)
        current = self.get(invoice_id)
        fields = patch.model_fields_set
        changes: dict[str, Any] = {}
        if "paid_on" in fields:
            if patch.paid_on is not None and patch.paid_on < current.issued_on:
                raise InvalidInput(
                    "An invoice cannot be paid before it was issued.",
                    errors=[FieldError("/paid_on", "before issued_on")],
                )
            changes["paid_on"] = patch.paid_on
        if "dispute" in fields:
            if patch.dispute is None:
                changes.update(disputed_since=None, dispute_reason=None)
            else:
                since = patch.dispute.since or self._clock.now().date()
                changes.update(disputed_since=since, dispute_reason=patch.dispute.reason)
        if "paused_until" in fields:
            changes["paused_until"] = patch.paused_until
        if "promise_to_pay_on" in fields:
            changes["promise_to_pay_on"] = patch.promise_to_pay_on
        if not changes:
            return current
        self._check_dates(
            [(f"/{name}", value) for name, value in changes.items() if isinstance(value, date)],
            pointers={"/disputed_since": "/dispute/since"},
        )
        updated = replace(current, updated_at=self._clock.now(), **changes)
        self._invoices.update(updated)
        self._audit.record(
            actor,
            "invoice.changed",
            {"invoice": updated.id, "client": updated.client_id},
            payload={
                name: (value.isoformat() if isinstance(value, date) else value) for name, value in changes.items()
            },
        )
        return updated

    def get(self, invoice_id: str) -> InvoiceRecord:
        """Return the invoice or raise ``NotFound``."""
        invoice = self._invoices.get(invoice_id)
        if invoice is None:
            raise NotFound(f"No invoice with id '{invoice_id}'.")
        return invoice

    def search(
        self, *, client_id: str | None, status: InvoiceStatus | None, limit: int, after: str | None
    ) -> InvoicePage:
        """Return invoices ordered by number; ``status`` filters on the state they are in today."""
        limit = max(1, min(limit, MAX_PAGE))
        today = self._clock.now().date()
        unpaid_on = today if status is not None and status is not InvoiceStatus.PAID else None
        items: list[InvoiceRecord] = []
        cursor = after
        while len(items) <= limit:
            rows = self._invoices.search(client_id=client_id, unpaid_on=unpaid_on, limit=limit + 1, after=cursor)
            items.extend(r for r in rows if status is None or r.status(today) is status)
            if len(rows) <= limit:
                break
            cursor = rows[-1].number
        page = items[:limit]
        return InvoicePage(items=page, next_after=page[-1].number if len(items) > limit else None)

    def _check_dates(self, dates: list[tuple[str, date]], pointers: dict[str, str] | None = None) -> None:
        """Refuse dates far from today: the ladder counts days from them and must not run off the calendar."""
        today = self._clock.now().date()
        errors = [
            FieldError((pointers or {}).get(pointer, pointer), problem)
            for pointer, day in dates
            if (problem := date_problem(day, today)) is not None
        ]
        if errors:
            raise InvalidInput("Some dates are too far from today. Nothing was stored.", errors=errors)

    @staticmethod
    def _amount(draft: InvoiceDraft) -> int:
        try:
            return parse_amount(draft.amount, draft.currency)
        except ValueError as exc:
            raise InvalidInput(
                f"The amount '{draft.amount}' is not valid.", errors=[FieldError("/amount", str(exc))]
            ) from exc


def _require_write(actor: Actor) -> None:
    actor.require(Permission.INVOICES_WRITE)
