"""Invoices as undersign stores them, and what it takes to create or change one.

The ledger stays in the MSP's accounting system; undersign keeps the facts the escalation ladder
needs: number, client, amount (integer minor units), currency, dates, and whether the invoice is
paid, disputed, paused or under a promise to pay. ``InvoiceRecord.ladder_invoice`` is the view the
dunning planner reads. Paid means paid in full on ``paid_on``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from domain.dunning import Invoice, InvoiceState, LadderStatus, ladder_hold
from domain.money import is_currency
from domain.text import LongText

INVOICE_NUMBER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}")


def _number(value: str) -> str:
    # fullmatch, not match with "$": "$" also matches before a final newline, and a number ending in
    # one was stored and then broke every mail header and file name it went into.
    if not INVOICE_NUMBER_RE.fullmatch(value):
        raise ValueError("must be 1-40 letters, digits, '.', '_', '/' or '-', starting with a letter or digit")
    return value


def _currency(value: str) -> str:
    if not is_currency(value):
        raise ValueError("must be an ISO 4217 currency code such as CAD or USD")
    return value


InvoiceNumber = Annotated[str, AfterValidator(_number)]
CurrencyCode = Annotated[str, Field(min_length=3, max_length=3), AfterValidator(_currency)]


class InvoiceStatus(StrEnum):
    """What an invoice is on a given day, for listings and filters."""

    OPEN = "open"
    PAID = "paid"
    DISPUTED = "disputed"
    PAUSED = "paused"
    PROMISED = "promised"


class InvoiceDraft(BaseModel):
    """What it takes to record an invoice (from the API or a CSV row)."""

    model_config = ConfigDict(extra="forbid")

    number: InvoiceNumber
    client_id: str = Field(min_length=1, max_length=36)
    amount: str = Field(min_length=1, max_length=20, description="Decimal string in major units, e.g. 1250.00")
    currency: CurrencyCode
    issued_on: date
    due_on: date

    @model_validator(mode="after")
    def _due_after_issue(self) -> InvoiceDraft:
        if self.due_on < self.issued_on:
            raise ValueError("due_on must not be before issued_on")
        return self


class DisputeIn(BaseModel):
    """A dispute raised by the client: why, and since when (default: today)."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[LongText, Field(min_length=1, max_length=1000)]
    since: date | None = None


class InvoicePatch(BaseModel):
    """A change to an invoice's state; fields left out are kept, ``null`` clears a field."""

    model_config = ConfigDict(extra="forbid")

    paid_on: date | None = None
    dispute: DisputeIn | None = None
    paused_until: date | None = None
    promise_to_pay_on: date | None = None


@dataclass(frozen=True)
class InvoiceRecord:
    """A stored invoice."""

    id: str
    number: str
    client_id: str
    currency: str
    amount_minor: int
    issued_on: date
    due_on: date
    created_at: datetime
    updated_at: datetime
    paid_on: date | None = None
    disputed_since: date | None = None
    dispute_reason: str | None = None
    paused_until: date | None = None
    promise_to_pay_on: date | None = None

    def ladder_invoice(self) -> Invoice:
        """Return the invoice as the dunning planner sees it (state is judged per day by the planner)."""
        return Invoice(
            id=self.id,
            client_id=self.client_id,
            currency=self.currency,
            amount_minor=self.amount_minor,
            issued_on=self.issued_on,
            due_on=self.due_on,
            state=InvoiceState(
                paid_on=self.paid_on,
                disputed_since=self.disputed_since,
                paused_until=self.paused_until,
                promise_to_pay_on=self.promise_to_pay_on,
            ),
        )

    def status(self, as_of: date, *, promise_grace_days: int = 3) -> InvoiceStatus:
        """Return what the invoice is on ``as_of``."""
        hold = ladder_hold(self.ladder_invoice(), as_of, promise_grace_days=promise_grace_days)
        return {
            LadderStatus.ACTIVE: InvoiceStatus.OPEN,
            LadderStatus.PAID: InvoiceStatus.PAID,
            LadderStatus.DISPUTED: InvoiceStatus.DISPUTED,
            LadderStatus.PAUSED: InvoiceStatus.PAUSED,
            LadderStatus.PROMISED: InvoiceStatus.PROMISED,
        }[hold.status]

    def same_terms(self, draft: InvoiceDraft, amount_minor: int) -> bool:
        """Return whether ``draft`` describes exactly this invoice (an idempotent re-import)."""
        return (
            self.client_id == draft.client_id
            and self.currency == draft.currency
            and self.amount_minor == amount_minor
            and self.issued_on == draft.issued_on
            and self.due_on == draft.due_on
        )
