"""Payment escalation (dunning): the ladder policy, its binding to a signed MSA, and the daily plan.

Pure logic: the caller loads the policy YAML, the MSA's variables and the step records, passes the
day in, and performs and records what ``plan`` returns.
"""

from domain.dunning.binding import (
    BoundLadder,
    Move,
    MoveRule,
    ScheduledStep,
    bind,
    contractual_due_on,
)
from domain.dunning.calendar import BusinessCalendar, DayCount
from domain.dunning.contract_terms import (
    ClauseCitation,
    ClauseRef,
    ContractTerms,
    LateFee,
    PaymentTerms,
    SuspensionNotice,
    terms_from_msa,
)
from domain.dunning.interest import InterestAccrual, accrue, simple_interest_minor
from domain.dunning.invoice_state import Hold, Invoice, InvoiceState, LadderStatus, ladder_hold
from domain.dunning.issued import Disposition, IssuedStep
from domain.dunning.overview import ClientOverview, CurrentStep, client_overview
from domain.dunning.planner import DueStep, NextStep, next_step, plan
from domain.dunning.policy import (
    Anchor,
    Channel,
    LadderPolicy,
    LadderStep,
    StepKind,
    apply_override,
    parse_policy,
)

__all__ = [
    "Anchor",
    "BoundLadder",
    "BusinessCalendar",
    "Channel",
    "ClauseCitation",
    "ClauseRef",
    "ClientOverview",
    "ContractTerms",
    "CurrentStep",
    "DayCount",
    "Disposition",
    "DueStep",
    "Hold",
    "InterestAccrual",
    "Invoice",
    "InvoiceState",
    "IssuedStep",
    "LadderPolicy",
    "LadderStatus",
    "LadderStep",
    "LateFee",
    "Move",
    "MoveRule",
    "NextStep",
    "PaymentTerms",
    "ScheduledStep",
    "StepKind",
    "SuspensionNotice",
    "accrue",
    "apply_override",
    "bind",
    "client_overview",
    "contractual_due_on",
    "ladder_hold",
    "next_step",
    "parse_policy",
    "plan",
    "simple_interest_minor",
    "terms_from_msa",
]
