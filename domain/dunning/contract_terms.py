"""The payment terms a client signed, read from the variables of its signed MSA.

The MSA templates use exactly these variable names (nested mappings)::

    payment_terms:     {net_days: 30}
    late_fee:          {enabled: true, annual_rate_percent: 12}
    suspension_notice: {days: 10, business_days: true}

Each group that is present must come with the clause that states it (number and title as printed
in the signed copy), because every notice that relies on a term cites that clause and the date the
MSA was signed. A group that is absent means the MSA says nothing about it: the policy's default
applies, and no interest is charged at all (late fees and interest only when agreed in writing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.dunning.calendar import BusinessCalendar, add_days
from domain.errors import FieldError, InvalidInput

_MAX_DAYS = 365


@dataclass(frozen=True)
class ClauseCitation:
    """A clause of the signed MSA, as a notice cites it: number, title and the date it was signed."""

    number: str
    title: str
    signed_on: date
    document: str = "Master Services Agreement"

    def __str__(self) -> str:
        """Return the citation as printed on a notice."""
        signed = self.signed_on.isoformat()
        return f"clause {self.number} ({self.title}) of the {self.document} signed on {signed}"


@dataclass(frozen=True)
class PaymentTerms:
    """Net days from the invoice date within which the client must pay."""

    net_days: int
    clause: ClauseCitation


@dataclass(frozen=True)
class LateFee:
    """Simple interest at a stated annual rate; ``enabled`` false means the MSA rules interest out."""

    enabled: bool
    annual_rate_percent: Decimal | None
    clause: ClauseCitation


@dataclass(frozen=True)
class SuspensionNotice:
    """The written notice the MSA requires before services may be suspended."""

    days: int
    business_days: bool
    clause: ClauseCitation

    def describe(self) -> str:
        """Return the period in words, e.g. ``10 business days``."""
        unit = "business day" if self.business_days else "day"
        return f"{self.days} {unit}{'' if self.days == 1 else 's'}"

    def earliest_suspension_on(self, notice_on: date, calendar: BusinessCalendar) -> date:
        """Return the first day services may be suspended after written notice given on ``notice_on``.

        The period is counted in clear days: neither the day the notice is given nor the day the
        suspension takes effect counts, so ``days`` whole days (business days when the MSA says so)
        lie between them. With business days, the suspension also waits for a business day. This is
        the reading least likely to breach the clause; a looser reading would suspend a day earlier.
        """
        if self.business_days:
            last = calendar.add_business_days(notice_on, self.days)
            return calendar.next_business_day(add_days(last, 1))
        return add_days(notice_on, self.days + 1)


@dataclass(frozen=True)
class ContractTerms:
    """The terms of a signed MSA that bind the dunning ladder; ``None`` fields are not agreed."""

    signed_on: date
    payment: PaymentTerms | None = None
    late_fee: LateFee | None = None
    suspension_notice: SuspensionNotice | None = None

    @property
    def interest_rate_percent(self) -> Decimal | None:
        """The agreed annual interest rate, or ``None`` when the MSA does not agree one."""
        if self.late_fee is None or not self.late_fee.enabled:
            return None
        return self.late_fee.annual_rate_percent


@dataclass(frozen=True)
class ClauseRef:
    """Number and title of a clause in the signed copy (the layout numbers clauses when it renders)."""

    number: str
    title: str


def terms_from_msa(
    variables: Mapping[str, Any],
    *,
    signed_on: date,
    clauses: Mapping[str, ClauseRef],
    document: str = "Master Services Agreement",
) -> ContractTerms:
    """Read the dunning terms out of a signed MSA's ``variables``.

    ``clauses`` maps each group name (``payment_terms``, ``late_fee``, ``suspension_notice``) to
    the clause of the signed copy that states it. Raises ``InvalidInput`` naming each bad field
    (``payment_terms.net_days``, ``clauses.late_fee`` ...).
    """
    errors: list[FieldError] = []

    def cite(group: str) -> ClauseCitation | None:
        ref = clauses.get(group)
        if ref is None:
            errors.append(FieldError(f"clauses.{group}", "the clause stating this term is needed to cite it"))
            return None
        return ClauseCitation(number=ref.number, title=ref.title, signed_on=signed_on, document=document)

    payment = late_fee = suspension = None
    raw_payment = _group(variables, "payment_terms", errors)
    if raw_payment is not None:
        net = _days(raw_payment.get("net_days"), "payment_terms.net_days", errors)
        clause = cite("payment_terms")
        if net is not None and clause is not None:
            payment = PaymentTerms(net_days=net, clause=clause)
    raw_fee = _group(variables, "late_fee", errors)
    if raw_fee is not None:
        enabled = raw_fee.get("enabled", False)
        if not isinstance(enabled, bool):
            errors.append(FieldError("late_fee.enabled", "must be true or false"))
        rate = _rate(raw_fee.get("annual_rate_percent"), enabled is True, errors)
        clause = cite("late_fee")
        if isinstance(enabled, bool) and clause is not None and not errors:
            late_fee = LateFee(enabled=enabled, annual_rate_percent=rate, clause=clause)
    raw_notice = _group(variables, "suspension_notice", errors)
    if raw_notice is not None:
        days = _days(raw_notice.get("days"), "suspension_notice.days", errors)
        business = raw_notice.get("business_days", False)
        if not isinstance(business, bool):
            errors.append(FieldError("suspension_notice.business_days", "must be true or false"))
        clause = cite("suspension_notice")
        if days is not None and isinstance(business, bool) and clause is not None:
            suspension = SuspensionNotice(days=days, business_days=business, clause=clause)
    if errors:
        raise InvalidInput("The signed MSA's payment terms cannot be read.", errors=errors)
    return ContractTerms(signed_on=signed_on, payment=payment, late_fee=late_fee, suspension_notice=suspension)


def _group(variables: Mapping[str, Any], name: str, errors: list[FieldError]) -> Mapping[str, Any] | None:
    raw = variables.get(name)
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        errors.append(FieldError(name, "must be a mapping"))
        return None
    return raw


def _days(raw: Any, pointer: str, errors: list[FieldError]) -> int | None:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= _MAX_DAYS:
        errors.append(FieldError(pointer, f"must be a whole number of days from 0 to {_MAX_DAYS}"))
        return None
    return raw


def _rate(raw: Any, required: bool, errors: list[FieldError]) -> Decimal | None:
    """Parse the annual rate; Canada (Interest Act s.4) needs it stated as a yearly rate to charge it."""
    if raw is None:
        if required:
            errors.append(FieldError("late_fee.annual_rate_percent", "an enabled late fee must state an annual rate"))
        return None
    try:
        rate = Decimal(str(raw)) if isinstance(raw, int | float | str | Decimal) and not isinstance(raw, bool) else None
    except InvalidOperation:
        rate = None
    if rate is None or not rate.is_finite() or not Decimal(0) <= rate <= Decimal(100):
        errors.append(FieldError("late_fee.annual_rate_percent", "must be a number of percent from 0 to 100"))
        return None
    return rate
