"""``SqlInvoiceRepository``: invoices in the database, claimed with SKIP LOCKED by dunning runs."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Row, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.errors import Conflict
from domain.invoices import InvoiceRecord
from storage.tables_dunning import invoices

_STATE_FIELDS = ("paid_on", "disputed_since", "dispute_reason", "paused_until", "promise_to_pay_on", "updated_at")


def _from_row(row: Row[Any]) -> InvoiceRecord:
    m = row._mapping
    return InvoiceRecord(
        id=m["id"],
        number=m["number"],
        client_id=m["client_id"],
        currency=m["currency"],
        amount_minor=m["amount_minor"],
        issued_on=m["issued_on"],
        due_on=m["due_on"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        paid_on=m["paid_on"],
        disputed_since=m["disputed_since"],
        dispute_reason=m["dispute_reason"],
        paused_until=m["paused_until"],
        promise_to_pay_on=m["promise_to_pay_on"],
    )


class SqlInvoiceRepository:
    """Invoices stored with SQLAlchemy; it never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, invoice: InvoiceRecord) -> None:
        """Insert ``invoice``; a number already stored raises ``Conflict``."""
        try:
            with self._session.begin_nested():
                self._session.execute(
                    insert(invoices).values(
                        id=invoice.id,
                        number=invoice.number,
                        client_id=invoice.client_id,
                        currency=invoice.currency,
                        amount_minor=invoice.amount_minor,
                        issued_on=invoice.issued_on,
                        due_on=invoice.due_on,
                        created_at=invoice.created_at,
                        updated_at=invoice.updated_at,
                        **{name: getattr(invoice, name) for name in _STATE_FIELDS if name != "updated_at"},
                    )
                )
        except IntegrityError as exc:
            raise Conflict(f"An invoice numbered '{invoice.number}' already exists.") from exc

    def get(self, invoice_id: str) -> InvoiceRecord | None:
        """Return the invoice with this id, or ``None``."""
        row = self._session.execute(select(invoices).where(invoices.c.id == invoice_id)).first()
        return _from_row(row) if row else None

    def by_number(self, number: str) -> InvoiceRecord | None:
        """Return the invoice with this number, or ``None``."""
        row = self._session.execute(select(invoices).where(invoices.c.number == number)).first()
        return _from_row(row) if row else None

    def update(self, invoice: InvoiceRecord) -> None:
        """Store the state fields of ``invoice``."""
        self._session.execute(
            update(invoices)
            .where(invoices.c.id == invoice.id)
            .values(**{name: getattr(invoice, name) for name in _STATE_FIELDS})
        )

    def claim(self, invoice_id: str) -> InvoiceRecord | None:
        """Lock the invoice row (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite serialises writers already)."""
        row = self._session.execute(
            select(invoices).where(invoices.c.id == invoice_id).with_for_update(skip_locked=True)
        ).first()
        return _from_row(row) if row else None

    def search(
        self, *, client_id: str | None, unpaid_on: date | None, limit: int, after: str | None
    ) -> list[InvoiceRecord]:
        """Return invoices ordered by number, after the number ``after``."""
        stmt = select(invoices)
        if client_id:
            stmt = stmt.where(invoices.c.client_id == client_id)
        if unpaid_on is not None:
            stmt = stmt.where(or_(invoices.c.paid_on.is_(None), invoices.c.paid_on > unpaid_on))
        if after:
            stmt = stmt.where(invoices.c.number > after)
        stmt = stmt.order_by(invoices.c.number).limit(limit)
        return [_from_row(row) for row in self._session.execute(stmt)]

    def due_for_run(self, as_of: date) -> list[str]:
        """Return the ids of invoices issued by ``as_of`` and unpaid then, oldest due date first."""
        stmt = (
            select(invoices.c.id)
            .where(invoices.c.issued_on <= as_of, or_(invoices.c.paid_on.is_(None), invoices.c.paid_on > as_of))
            .order_by(invoices.c.due_on, invoices.c.id)
        )
        return [row[0] for row in self._session.execute(stmt)]
