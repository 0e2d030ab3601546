"""Interest on an overdue invoice: simple interest at the rate the client signed, never more.

The rule, as the README states it:

- Interest is charged only when the signed MSA agrees a late fee with a stated annual rate
  (``late_fee.enabled`` and ``late_fee.annual_rate_percent``). No agreed rate, no interest: the
  service never invents one (Canada's Interest Act caps an unstated rate at 5 %/yr; we charge 0).
- Simple interest, never compounded: ``principal x rate/100 x days / 365``.
- Day count Actual/365 (fixed): ``days`` is the number of calendar days from the due date to the
  as-of date (the due date itself accrues nothing; paying on the due date costs nothing), and the
  year always has 365 days, leap years included.
- The principal is the amount outstanding on the as-of date, in integer minor units (cents). Earlier
  partial payments are not re-dated, which can only understate the interest, never overstate it.
- The applied rate is the lower of the agreed rate and the policy's cap (default 35 %/yr, Canada's
  criminal rate), so a notice can never demand more than the cap allows.
- The result is rounded once, half up, to whole minor units.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class InterestAccrual:
    """Interest owed on ``principal_minor`` from ``from_date`` to ``to_date``, as shown on a notice."""

    principal_minor: int
    agreed_rate_percent: Decimal
    applied_rate_percent: Decimal
    from_date: date
    to_date: date
    days: int
    interest_minor: int

    @property
    def capped(self) -> bool:
        """Whether the cap lowered the agreed rate."""
        return self.applied_rate_percent < self.agreed_rate_percent

    @property
    def total_minor(self) -> int:
        """Principal plus interest."""
        return self.principal_minor + self.interest_minor


def simple_interest_minor(principal_minor: int, annual_rate_percent: Decimal, days: int) -> int:
    """Return simple interest in minor units, Actual/365, rounded half up."""
    if principal_minor < 0 or days < 0 or annual_rate_percent < 0:
        raise ValueError("principal, rate and days must not be negative")
    exact = Decimal(principal_minor) * annual_rate_percent * days / (Decimal(100) * DAYS_PER_YEAR)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def accrue(
    principal_minor: int,
    agreed_rate_percent: Decimal | None,
    *,
    from_date: date,
    to_date: date,
    cap_percent: Decimal,
) -> InterestAccrual | None:
    """Return the interest owed from ``from_date`` (the due date) to ``to_date``, or ``None``.

    ``None`` means no rate was agreed, so nothing may be charged or shown.
    """
    if agreed_rate_percent is None:
        return None
    applied = min(agreed_rate_percent, cap_percent)
    days = max((to_date - from_date).days, 0)
    return InterestAccrual(
        principal_minor=principal_minor,
        agreed_rate_percent=agreed_rate_percent,
        applied_rate_percent=applied,
        from_date=from_date,
        to_date=to_date,
        days=days,
        interest_minor=simple_interest_minor(principal_minor, applied, days),
    )
