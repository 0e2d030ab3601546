"""An invoice as the ladder sees it, and what its state means for the ladder on a given day.

State is evaluated *as of* a date, so replaying a past day gives the answer of that day:

| state | on ``as_of`` | ladder |
|---|---|---|
| paid | ``paid_on <= as_of``, or nothing outstanding | stopped for good |
| disputed | ``disputed_since <= as_of`` (cleared by setting it to ``None``) | held: no step at all |
| paused | ``as_of < paused_until`` | held; acts again on ``paused_until`` |
| promised | ``as_of <= promise_to_pay_on + promise_grace_days`` (calendar days) | held; acts the day after |
| open | none of the above | active |

A held ladder issues nothing; when the hold ends, the steps that fell due meanwhile are handled by
the catch-up rule (see ``planner``), exactly like days on which no run happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from domain.dunning.calendar import add_days


@dataclass(frozen=True)
class InvoiceState:
    """What has happened to an invoice besides dunning: payment, dispute, pause, promise to pay."""

    paid_on: date | None = None
    disputed_since: date | None = None
    paused_until: date | None = None
    promise_to_pay_on: date | None = None


@dataclass(frozen=True)
class Invoice:
    """One invoice: amounts in integer minor units of ``currency`` (ISO 4217)."""

    id: str
    client_id: str
    currency: str
    amount_minor: int
    issued_on: date
    due_on: date
    paid_minor: int = 0
    state: InvoiceState = field(default_factory=InvoiceState)

    @property
    def outstanding_minor(self) -> int:
        """What is still owed (never below zero)."""
        return max(self.amount_minor - self.paid_minor, 0)


class LadderStatus(StrEnum):
    """What the invoice's state does to the ladder on one day."""

    ACTIVE = "active"
    PAID = "paid"
    DISPUTED = "disputed"
    PAUSED = "paused"
    PROMISED = "promised"


@dataclass(frozen=True)
class Hold:
    """The ladder's status on a day and, for a hold that ends by itself, the first day it acts again."""

    status: LadderStatus
    resumes_on: date | None = None

    @property
    def blocks(self) -> bool:
        """Whether no step may be issued today."""
        return self.status is not LadderStatus.ACTIVE


def ladder_hold(invoice: Invoice, as_of: date, *, promise_grace_days: int) -> Hold:
    """Return what ``invoice``'s state means for the ladder on ``as_of``.

    Paid wins over everything; a dispute wins over a pause or promise because it has no end date.
    """
    state = invoice.state
    if (state.paid_on is not None and state.paid_on <= as_of) or invoice.outstanding_minor == 0:
        return Hold(LadderStatus.PAID)
    if state.disputed_since is not None and state.disputed_since <= as_of:
        return Hold(LadderStatus.DISPUTED)
    resumes: list[tuple[date, LadderStatus]] = []
    if state.paused_until is not None and as_of < state.paused_until:
        resumes.append((state.paused_until, LadderStatus.PAUSED))
    if state.promise_to_pay_on is not None:
        # The grace covers the payment's journey (bank transfer, cheque in the post).
        last_held = add_days(state.promise_to_pay_on, promise_grace_days)
        if as_of <= last_held:
            resumes.append((add_days(last_held, 1), LadderStatus.PROMISED))
    if resumes:
        resumes_on, status = max(resumes)
        return Hold(status, resumes_on)
    return Hold(LadderStatus.ACTIVE)
