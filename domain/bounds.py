"""Bounds on numbers and dates that callers send, so that a value is refused before it can overflow.

Versions are stored in 32-bit signed columns (``Integer``) and sequence numbers in 64-bit ones: a
number beyond its column (2^31 for a version, 2^63 for a sequence) must be a 422 at the edge, not
an overflow inside the database driver (a 500 on PostgreSQL and on SQLite alike). Dates that drive notices (invoice
issue and due dates) must lie within a window around today: the ladder counts forward from them,
and a due date of 9999-12-31 has no day 7 after it.
"""

from __future__ import annotations

from datetime import date

MAX_INT32 = 2**31 - 1
MAX_INT64 = 2**63 - 1
MAX_VERSION = MAX_INT32
INVOICE_DATE_YEARS = 10
"""How far before or after today an invoice's issue and due dates may lie."""


def _shift_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def date_window(today: date, years: int = INVOICE_DATE_YEARS) -> tuple[date, date]:
    """Return the first and last day accepted for a date ``years`` either side of ``today``."""
    return _shift_years(today, -years), _shift_years(today, years)


def date_problem(day: date, today: date, years: int = INVOICE_DATE_YEARS) -> str | None:
    """Return why ``day`` is outside the window around ``today``, or ``None`` when it is inside."""
    first, last = date_window(today, years)
    if not first <= day <= last:
        return f"must be between {first.isoformat()} and {last.isoformat()} (within {years} years of today)"
    return None
