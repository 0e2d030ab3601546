"""Where a client stands in the ladder: what is overdue, for how long, and what happens next.

Per client, on ``as_of``:

- ``overdue_minor``: per currency, the outstanding amount of every unpaid invoice past its
  contractual due date (disputed ones included: a dispute holds the ladder, not the debt);
  ``disputed_minor`` shows the disputed part separately;
- ``interest_minor``: per currency, the interest agreed in the MSA accrued to ``as_of`` (empty
  when no rate is agreed);
- ``oldest_days_overdue``: calendar days since the oldest contractual due date among them;
- ``current_step``: the most severe step already issued on any of them (the latest on a tie);
- ``next_step``: the soonest step the ladder will issue on any of them (the most severe on a tie).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from domain.dunning.binding import contractual_due_on
from domain.dunning.contract_terms import ContractTerms
from domain.dunning.interest import accrue
from domain.dunning.invoice_state import Invoice, LadderStatus, ladder_hold
from domain.dunning.issued import Disposition, IssuedStep
from domain.dunning.planner import NextStep, next_step
from domain.dunning.policy import LadderPolicy, StepKind


@dataclass(frozen=True)
class CurrentStep:
    """The furthest step issued for a client: on which invoice and when."""

    invoice_id: str
    step_key: str
    kind: StepKind
    on: date


@dataclass(frozen=True)
class ClientOverview:
    """One client's position in the ladder on ``as_of``."""

    client_id: str
    as_of: date
    overdue_minor: Mapping[str, int]
    disputed_minor: Mapping[str, int]
    interest_minor: Mapping[str, int]
    overdue_invoices: int
    oldest_days_overdue: int | None
    current_step: CurrentStep | None
    next_step: NextStep | None


def client_overview(
    client_id: str,
    invoices: Iterable[tuple[Invoice, Iterable[IssuedStep]]],
    policy: LadderPolicy,
    terms: ContractTerms | None,
    as_of: date,
) -> ClientOverview:
    """Aggregate the client's ``invoices`` (each with its step records) under its policy and terms."""
    overdue: dict[str, int] = {}
    disputed: dict[str, int] = {}
    interest: dict[str, int] = {}
    count = 0
    oldest: int | None = None
    current: CurrentStep | None = None
    upcoming: NextStep | None = None
    for invoice, records in invoices:
        if invoice.client_id != client_id:
            raise ValueError(f"invoice {invoice.id} belongs to another client")
        records = list(records)
        status = ladder_hold(invoice, as_of, promise_grace_days=policy.promise_grace_days).status
        if status is LadderStatus.PAID:
            continue
        due_on = contractual_due_on(invoice, terms)
        if due_on < as_of:
            count += 1
            _add(overdue, invoice.currency, invoice.outstanding_minor)
            if status is LadderStatus.DISPUTED:
                _add(disputed, invoice.currency, invoice.outstanding_minor)
            days = (as_of - due_on).days
            oldest = days if oldest is None else max(oldest, days)
            accrual = accrue(
                invoice.outstanding_minor,
                terms.interest_rate_percent if terms is not None else None,
                from_date=due_on,
                to_date=as_of,
                cap_percent=policy.interest_rate_cap_percent,
            )
            if accrual is not None:
                _add(interest, invoice.currency, accrual.interest_minor)
        current = _further(current, invoice, records, policy)
        candidate = next_step(invoice, policy, terms, records, as_of)
        if candidate is not None and (
            upcoming is None or (candidate.on, -candidate.kind.severity) < (upcoming.on, -upcoming.kind.severity)
        ):
            upcoming = candidate
    return ClientOverview(
        client_id=client_id,
        as_of=as_of,
        overdue_minor=dict(sorted(overdue.items())),
        disputed_minor=dict(sorted(disputed.items())),
        interest_minor=dict(sorted(interest.items())),
        overdue_invoices=count,
        oldest_days_overdue=oldest,
        current_step=current,
        next_step=upcoming,
    )


def _add(totals: dict[str, int], currency: str, amount: int) -> None:
    totals[currency] = totals.get(currency, 0) + amount


def _further(
    current: CurrentStep | None, invoice: Invoice, records: list[IssuedStep], policy: LadderPolicy
) -> CurrentStep | None:
    """Return the more advanced of ``current`` and the furthest issued step of ``invoice``."""
    kinds = {step.key: step.kind for step in policy.steps}
    for record in records:
        kind = kinds.get(record.step_key)
        if kind is None or record.disposition is not Disposition.ISSUED:
            continue
        if current is None or (kind.severity, record.on) > (current.kind.severity, current.on):
            current = CurrentStep(invoice.id, record.step_key, kind, record.on)
    return current
