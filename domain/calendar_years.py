"""Adding whole calendar years to a date, the way retention periods and review dates count them."""

from __future__ import annotations

import calendar
from datetime import date
from typing import TypeVar

Day = TypeVar("Day", bound=date)  # a date or a datetime; the result has the same type


def add_years(moment: Day, years: int) -> Day:
    """Return ``moment`` plus whole calendar years; 29 February becomes 28 February in a common year."""
    year = moment.year + years
    day = min(moment.day, calendar.monthrange(year, moment.month)[1])
    return moment.replace(year=year, day=day)
