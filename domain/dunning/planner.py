"""The dunning run for one invoice and one day: which steps to issue, which to skip, and nothing twice.

``plan(invoice, policy, terms, issued_steps, as_of)`` is a pure function. It returns ``DueStep``s;
the caller performs each issued one (or queues it for approval when ``needs_approval``) and stores
every returned step as an ``IssuedStep`` in the same transaction. Rules, as the README states them:

- **Once per invoice and step.** A step with a record (issued or skipped) is never returned again,
  so a re-run for the same day returns nothing.
- **Holds.** Paid stops the ladder; disputed, paused and promise-to-pay hold it (``invoice_state``).
  A held day returns nothing; steps that fell due during a hold are caught up like missed days.
- **Catch-up.** Normally every step due today is issued (a reminder and its phone task together).
  When several steps fell due on days without a run (or during a hold), only the most severe due
  notice is issued today, with the phone tasks scheduled for that same day; every other due step
  is returned as ``skipped-superseded`` (a stale reminder next to a final notice only confuses).
- **Never suspend without notice.** A step beyond the final notice (suspension, collections
  referral, letter before action) is only issued once the final notice *has been issued* and the
  MSA's written notice period after it has elapsed. If such a step is due but the final notice is
  not out yet, the final notice is issued today instead, and the later steps are re-dated from
  today (the policy gaps and the MSA's notice period both count from the actual final notice).
- **Gaps after a late step.** Whenever a step goes out later than its offset, the following steps
  keep their policy gaps after it (see ``binding``), so the dates a notice states (pay by, suspension
  on) are always the dates the ladder will act on.
- **Policy changes.** A step the invoice has already passed (one added to the policy before a step
  that was handled) is recorded as ``skipped-superseded`` and never sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from domain.dunning.binding import BoundLadder, Move, MoveRule, ScheduledStep, bind
from domain.dunning.contract_terms import ClauseCitation, ContractTerms
from domain.dunning.interest import InterestAccrual, accrue
from domain.dunning.invoice_state import Invoice, LadderStatus, ladder_hold
from domain.dunning.issued import Disposition, IssuedStep
from domain.dunning.policy import Channel, LadderPolicy, StepKind


@dataclass(frozen=True)
class DueStep:
    """One step to issue (or to record as skipped) for one invoice on the run day ``on``.

    ``pay_by`` is the date of the next, more severe escalation (what an official notice states as
    "pay by"); for a final notice it is the last business day before the suspension, so "pay by"
    always comes before "suspended on". ``suspension_on`` is the day services will be (or are)
    suspended, stated by the final notice and the suspension notice, and by the official notice as
    the earliest day they may be. ``moves`` explains every date that differs from the policy
    (for a final notice it includes the suspension's moves, so it can say why that date);
    ``citations`` are the MSA clauses the notice relies on. ``interest`` is ``None`` unless the MSA
    agrees a rate.
    """

    invoice_id: str
    step_key: str
    kind: StepKind
    template: str | None
    channels: tuple[Channel, ...]
    needs_approval: bool
    disposition: Disposition
    on: date
    due_since: date
    due_on: date
    days_overdue: int
    currency: str
    outstanding_minor: int
    superseded_by: str | None = None
    pay_by: date | None = None
    suspension_on: date | None = None
    interest: InterestAccrual | None = None
    moves: tuple[Move, ...] = ()
    citations: tuple[ClauseCitation, ...] = ()

    @property
    def issued(self) -> bool:
        """Whether the step is to be performed (rather than only recorded as skipped)."""
        return self.disposition is Disposition.ISSUED

    def record(self) -> IssuedStep:
        """Return the record the caller stores so that the step is never returned again."""
        return IssuedStep(step_key=self.step_key, on=self.on, disposition=self.disposition)


@dataclass(frozen=True)
class NextStep:
    """The next step the ladder will issue for an invoice and the day it will."""

    invoice_id: str
    step_key: str
    kind: StepKind
    on: date
    needs_approval: bool


def plan(
    invoice: Invoice,
    policy: LadderPolicy,
    terms: ContractTerms | None,
    issued_steps: Iterable[IssuedStep],
    as_of: date,
) -> list[DueStep]:
    """Return the steps of ``invoice`` to handle on ``as_of``: issued ones first, then skipped ones."""
    records = list(issued_steps)
    if ladder_hold(invoice, as_of, promise_grace_days=policy.promise_grace_days).blocks:
        return []
    bound = bind(invoice, policy, terms, records)
    stale, furthest = _stale(bound)
    pending = [s for s in bound.steps if s.record is None and s.on <= as_of and s not in stale]
    to_issue, to_skip = _choose(pending, bound, policy, terms, as_of) if pending else ([], [])
    target = max(to_issue, key=lambda s: s.step.severity).step.key if to_issue else None
    skips = [(s, furthest) for s in stale] + [(s, target or furthest) for s in to_skip]
    if not to_issue and not skips:
        return []
    projected = bind(
        invoice,
        policy,
        terms,
        [
            *records,
            *(IssuedStep(s.step.key, as_of, Disposition.ISSUED) for s in to_issue),
            *(IssuedStep(s.step.key, as_of, Disposition.SKIPPED_SUPERSEDED) for s, _ in skips),
        ],
    )
    issued = [_due_step(invoice, policy, terms, s, projected, as_of) for s in to_issue]
    skipped = [_due_step(invoice, policy, terms, s, projected, as_of, superseded_by=by or "") for s, by in skips]
    return issued + skipped


def next_step(
    invoice: Invoice,
    policy: LadderPolicy,
    terms: ContractTerms | None,
    issued_steps: Iterable[IssuedStep],
    as_of: date,
) -> NextStep | None:
    """Return the next step the ladder will issue for ``invoice`` (today if one is due), or ``None``.

    ``None`` when the invoice is paid, disputed (held with no end date) or the ladder is complete.
    The day assumes runs happen every day from ``as_of`` on, and a pause or promise ends as set.
    """
    records = list(issued_steps)
    hold = ladder_hold(invoice, as_of, promise_grace_days=policy.promise_grace_days)
    if hold.status in (LadderStatus.PAID, LadderStatus.DISPUTED):
        return None
    bound = bind(invoice, policy, terms, records)
    upcoming = [s for s in bound.steps if s.record is None]
    if not upcoming:
        return None
    day = max(upcoming[0].on, as_of, hold.resumes_on or as_of)
    steps = [s for s in plan(invoice, policy, terms, records, day) if s.issued]
    if not steps:
        return None
    first = max(steps, key=lambda s: s.kind.severity)
    return NextStep(invoice.id, first.step_key, first.kind, day, first.needs_approval)


def _stale(bound: BoundLadder) -> tuple[list[ScheduledStep], str | None]:
    """Return the unrecorded steps that precede a handled one, and the furthest handled step's key.

    They exist only when a policy gains a step after the invoice passed it: a reminder must not go
    out after the official notice, so such a step is recorded as superseded instead.
    """
    handled = [i for i, s in enumerate(bound.steps) if s.record is not None]
    if not handled:
        return [], None
    last = handled[-1]
    stale = [s for s in bound.steps[:last] if s.record is None]
    # Named after the furthest handled notice: a phone task beside it supersedes nothing.
    notices = [i for i in handled if bound.steps[i].step.kind.is_notice] or handled
    return stale, bound.steps[notices[-1]].step.key


def _choose(
    pending: list[ScheduledStep],
    bound: BoundLadder,
    policy: LadderPolicy,
    terms: ContractTerms | None,
    as_of: date,
) -> tuple[list[ScheduledStep], list[ScheduledStep]]:
    """Split the pending steps into those to issue today and those superseded by them."""
    candidates = pending
    if not _beyond_final_allowed(bound, policy, terms, as_of):
        # Suspension, referral and court letters wait for an issued final notice and its notice period.
        candidates = [s for s in pending if s.step.severity <= StepKind.FINAL_NOTICE.severity]
    if not candidates:
        return [], []
    notices = [s for s in candidates if s.step.kind.is_notice]
    if notices:
        target = max(notices, key=lambda s: (s.step.severity, s.on))
        to_issue = [s for s in candidates if s is target or (not s.step.kind.is_notice and s.on == target.on)]
    else:
        latest = max(s.on for s in candidates)
        to_issue = [s for s in candidates if s.on == latest]
    to_skip = [s for s in candidates if s not in to_issue]
    return to_issue, to_skip


def _beyond_final_allowed(bound: BoundLadder, policy: LadderPolicy, terms: ContractTerms | None, as_of: date) -> bool:
    final = next((s for s in bound.steps if s.step.kind is StepKind.FINAL_NOTICE), None)
    if final is None:
        return True  # the parser refuses steps beyond a final notice when there is none
    record = final.record
    if record is None or record.disposition is not Disposition.ISSUED:
        return False
    if terms is not None and terms.suspension_notice is not None:
        return as_of >= terms.suspension_notice.earliest_suspension_on(record.on, policy.calendar)
    return True


def _due_step(
    invoice: Invoice,
    policy: LadderPolicy,
    terms: ContractTerms | None,
    scheduled: ScheduledStep,
    projected: BoundLadder,
    as_of: date,
    *,
    superseded_by: str | None = None,
) -> DueStep:
    """Describe ``scheduled`` as handled on ``as_of``; dates it states come from the ``projected`` ladder."""
    step = scheduled.step
    described = DueStep(
        invoice_id=invoice.id,
        step_key=step.key,
        kind=step.kind,
        template=step.template,
        channels=step.channels,
        needs_approval=step.needs_approval,
        disposition=Disposition.ISSUED if superseded_by is None else Disposition.SKIPPED_SUPERSEDED,
        on=as_of,
        due_since=scheduled.on,
        due_on=projected.due_on,
        days_overdue=max((as_of - projected.due_on).days, 0),
        currency=invoice.currency,
        outstanding_minor=invoice.outstanding_minor,
        superseded_by=superseded_by,
        moves=scheduled.moves,
    )
    if superseded_by is not None:
        return described
    pay_by = None
    if step.severity >= StepKind.OFFICIAL_NOTICE.severity:
        pay_by = next(
            (
                s.on
                for s in projected.steps
                if s.step.kind.is_notice and s.step.offset > step.offset and s.step.severity > step.severity
            ),
            None,
        )
    suspension = next((s for s in projected.steps if s.step.kind is StepKind.SUSPENSION), None)
    suspension_on = None
    moves = scheduled.moves
    if suspension is not None and step.kind is StepKind.OFFICIAL_NOTICE:
        # Said as "services may be suspended from": steps only ever move later, so never earlier.
        suspension_on = suspension.on
    elif suspension is not None and step.kind is StepKind.FINAL_NOTICE:
        suspension_on = suspension.on
        # "Pay by X or we suspend on Y" needs X before Y: the last business day before suspension.
        pay_by = policy.calendar.previous_business_day(suspension.on, not_before=as_of)
        # The final notice states the suspension date, so it also says why that date is later.
        moves = moves + tuple(m for m in suspension.moves if m.rule is not MoveRule.PAYMENT_TERMS)
    elif step.kind is StepKind.SUSPENSION:
        suspension_on = as_of
    interest = None
    if terms is not None:
        interest = accrue(
            invoice.outstanding_minor,
            terms.interest_rate_percent,
            from_date=projected.due_on,
            to_date=as_of,
            cap_percent=policy.interest_rate_cap_percent,
        )
    return replace(
        described,
        pay_by=pay_by,
        suspension_on=suspension_on,
        interest=interest,
        moves=moves,
        citations=_citations(step.kind, terms, moves, interest is not None),
    )


def _citations(
    kind: StepKind, terms: ContractTerms | None, moves: tuple[Move, ...], with_interest: bool
) -> tuple[ClauseCitation, ...]:
    """Return the clauses a notice relies on: payment terms always, late fee and suspension where used."""
    if terms is None or not kind.is_notice:
        return ()
    cited: list[ClauseCitation] = []
    if terms.payment is not None:
        cited.append(terms.payment.clause)
    if with_interest and terms.late_fee is not None:
        cited.append(terms.late_fee.clause)
    if kind in (StepKind.FINAL_NOTICE, StepKind.SUSPENSION) and terms.suspension_notice is not None:
        cited.append(terms.suspension_notice.clause)
    cited.extend(m.citation for m in moves if m.citation is not None)
    return tuple(dict.fromkeys(cited))
