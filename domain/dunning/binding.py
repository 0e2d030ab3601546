"""Binding the ladder to one invoice and its client's signed terms: the date of every step.

``bind`` turns policy offsets into dates and then applies, in this order, the rules that may only
ever move a step *later* (each move is kept as a ``Move`` with its reason and, when a clause is the
reason, its citation):

1. **Payment terms.** With anchor ``due_date``, offsets count from the contractual due date: the
   later of the invoice's due date and invoice date + the MSA's ``payment_terms.net_days`` (the
   contract wins over a shorter date printed on the invoice; a longer one the client was given is
   kept). With anchor ``invoice_date``, no step may fall on or before that due date: it moves to
   the day after (a business day when the policy counts business days).
2. **Ladder gaps.** When the step before (the nearest earlier step that was not skipped) was issued
   or is scheduled later than its own offset, this step keeps its policy gap after it. A late
   official notice therefore still gives the client the full time until the final notice, and a
   moved suspension takes the collections referral and the letter before action with it.
3. **Suspension notice.** Suspension may not take effect until the MSA's written notice period
   (``suspension_notice.days``, business days when ``business_days``) has elapsed after the final
   notice, counted in clear days (see ``SuspensionNotice.earliest_suspension_on``). The final
   notice's actual date is used once it has been issued.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.dunning.calendar import BusinessCalendar, DayCount, add_days
from domain.dunning.contract_terms import ClauseCitation, ContractTerms
from domain.dunning.invoice_state import Invoice
from domain.dunning.issued import Disposition, IssuedStep
from domain.dunning.policy import Anchor, LadderPolicy, LadderStep, StepKind


class MoveRule(StrEnum):
    """Which rule moved a step (the numbered rules of this module)."""

    PAYMENT_TERMS = "payment_terms"
    NOT_YET_OVERDUE = "not_yet_overdue"
    LADDER_GAP = "ladder_gap"
    SUSPENSION_NOTICE = "suspension_notice"


@dataclass(frozen=True)
class Move:
    """A step moved later than the policy puts it: by which rule, and why in words a notice can print."""

    step_key: str
    from_date: date
    to_date: date
    rule: MoveRule
    reason: str
    citation: ClauseCitation | None = None


@dataclass(frozen=True)
class ScheduledStep:
    """One step of one invoice: the date the policy gives it, the date it is due, its record if any."""

    step: LadderStep
    base_on: date
    on: date
    moves: tuple[Move, ...]
    record: IssuedStep | None

    @property
    def effective_on(self) -> date:
        """The day the step happened (its record) or is due to happen."""
        return self.record.on if self.record is not None else self.on


@dataclass(frozen=True)
class BoundLadder:
    """Every step of the ladder dated for one invoice, in ladder order."""

    due_on: date
    steps: tuple[ScheduledStep, ...]

    @property
    def moves(self) -> tuple[Move, ...]:
        """Every move, in ladder order."""
        return tuple(move for scheduled in self.steps for move in scheduled.moves)

    def get(self, key: str) -> ScheduledStep:
        """Return the scheduled step called ``key`` (``KeyError`` if there is none)."""
        for scheduled in self.steps:
            if scheduled.step.key == key:
                return scheduled
        raise KeyError(key)


def contractual_due_on(invoice: Invoice, terms: ContractTerms | None) -> date:
    """Return the day payment is due: the invoice's due date, never earlier than the MSA allows."""
    if terms is not None and terms.payment is not None:
        return max(invoice.due_on, add_days(invoice.issued_on, terms.payment.net_days))
    return invoice.due_on


def bind(
    invoice: Invoice,
    policy: LadderPolicy,
    terms: ContractTerms | None,
    records: Iterable[IssuedStep] = (),
) -> BoundLadder:
    """Date every step of ``policy`` for ``invoice`` under ``terms``, given the steps already handled."""
    calendar = policy.calendar
    by_key: dict[str, IssuedStep] = {}
    for record in records:
        by_key.setdefault(record.step_key, record)
    due_on = contractual_due_on(invoice, terms)
    payment_clause = terms.payment.clause if terms is not None and terms.payment is not None else None
    done: list[ScheduledStep] = []
    for step in policy.steps:
        moves: list[Move] = []
        if policy.anchor is Anchor.DUE_DATE:
            base_on = calendar.add(due_on, step.offset, policy.day_count)
            printed_on = calendar.add(invoice.due_on, step.offset, policy.day_count)
            if base_on != printed_on:
                moves.append(_payment_move(step, printed_on, base_on, due_on, terms))
        else:
            base_on = calendar.add(invoice.issued_on, step.offset, policy.day_count)
        on = base_on
        if policy.anchor is Anchor.INVOICE_DATE and on <= due_on:
            first_overdue = add_days(due_on, 1)
            if policy.day_count is DayCount.BUSINESS:
                first_overdue = calendar.next_business_day(first_overdue)
            reason = f"the invoice is not overdue until after its due date {due_on.isoformat()}"
            if payment_clause is not None:
                reason += f" under {payment_clause}"
            moves.append(Move(step.key, on, first_overdue, MoveRule.NOT_YET_OVERDUE, reason, payment_clause))
            on = first_overdue
        on = _keep_gap(step, on, done, calendar, policy.day_count, moves)
        if step.kind is StepKind.SUSPENSION:
            on = _respect_notice(step, on, done, terms, calendar, moves)
        done.append(ScheduledStep(step, base_on, on, tuple(moves), by_key.get(step.key)))
    return BoundLadder(due_on=due_on, steps=tuple(done))


def _payment_move(step: LadderStep, printed: date, moved: date, due_on: date, terms: ContractTerms | None) -> Move:
    assert terms is not None and terms.payment is not None
    clause = terms.payment.clause
    reason = (
        f"{clause} allows {terms.payment.net_days} days from the invoice date, so payment is due on "
        f"{due_on.isoformat()}; the ladder counts from that date"
    )
    return Move(step.key, printed, moved, MoveRule.PAYMENT_TERMS, reason, clause)


def _long(day: date) -> str:
    """Return a date as the notices print it: ``14 March 2026``."""
    return f"{day.day} {day.strftime('%B %Y')}"


def _keep_gap(
    step: LadderStep,
    on: date,
    done: list[ScheduledStep],
    calendar: BusinessCalendar,
    day_count: DayCount,
    moves: list[Move],
) -> date:
    """Keep the policy gap after the nearest earlier step that was not skipped, if that one ran late."""
    before = next(
        (s for s in reversed(done) if s.record is None or s.record.disposition is not Disposition.SKIPPED_SUPERSEDED),
        None,
    )
    if before is None or before.effective_on <= before.base_on:
        return on
    gap = step.offset - before.step.offset
    earliest = calendar.add(before.effective_on, gap, day_count)
    if earliest <= on:
        return on
    # Said to the client: no step keys or ladder words, dates as the notice prints them.
    state = "was sent" if before.record is not None else "is due"
    unit = "business day" if day_count is DayCount.BUSINESS else "day"
    plural = "" if gap == 1 else "s"
    reason = (
        f"our previous notice {state} later than planned, on {_long(before.effective_on)}, and we always "
        f"allow {gap} {unit}{plural} between notices"
    )
    # The latest reason the step before moved is the reason this one moves too.
    citation = next((m.citation for m in reversed(before.moves) if m.citation is not None), None)
    moves.append(Move(step.key, on, earliest, MoveRule.LADDER_GAP, reason, citation))
    return earliest


def _respect_notice(
    step: LadderStep,
    on: date,
    done: list[ScheduledStep],
    terms: ContractTerms | None,
    calendar: BusinessCalendar,
    moves: list[Move],
) -> date:
    """Move the suspension until the MSA's written notice period after the final notice has elapsed."""
    if terms is None or terms.suspension_notice is None:
        return on
    final = next((s for s in done if s.step.kind is StepKind.FINAL_NOTICE), None)
    if final is None:  # the policy parser refuses a suspension without a final notice before it
        return on
    notice = terms.suspension_notice
    earliest = notice.earliest_suspension_on(final.effective_on, calendar)
    if earliest <= on:
        return on
    reason = (
        f"{notice.clause} of your agreement requires {notice.describe()}' written notice before suspension; "
        f"our final notice is dated {_long(final.effective_on)}, so services may be suspended on "
        f"{_long(earliest)} at the earliest"
    )
    moves.append(Move(step.key, on, earliest, MoveRule.SUSPENSION_NOTICE, reason, notice.clause))
    return earliest
