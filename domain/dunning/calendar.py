"""Counting days for the dunning ladder: calendar days, or business days with a weekend and holidays.

A business day is a day that is neither a weekend day (Saturday and Sunday unless the policy says
otherwise, e.g. Friday and Saturday) nor on the policy's holiday list. Counting ``n`` business days
from a date never counts the start date itself: from Friday, one business day later is Monday.

Day arithmetic saturates at the ends of the calendar (``add_days``): a date stored long ago with a
due date of 9999-12-31 must make its own steps "never", not stop the run for every other invoice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

WEEKDAY_NAMES: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
"""Weekday names in ``date.weekday()`` order, as written in a policy's ``weekend`` list."""


def add_days(day: date, days: int) -> date:
    """Return ``day`` plus ``days`` calendar days, held at ``date.min`` / ``date.max`` instead of overflowing."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


class DayCount(StrEnum):
    """How a ladder offset or a notice period is counted."""

    CALENDAR = "calendar"
    BUSINESS = "business"


@dataclass(frozen=True)
class BusinessCalendar:
    """Which days are business days: everything except the weekend days and the holidays."""

    holidays: frozenset[date] = frozenset()
    weekend: frozenset[int] = field(default_factory=lambda: frozenset({5, 6}))

    def is_business_day(self, day: date) -> bool:
        """Return whether ``day`` is neither a weekend day nor a holiday."""
        return day.weekday() not in self.weekend and day not in self.holidays

    def add_business_days(self, start: date, count: int) -> date:
        """Return the ``count``-th business day after ``start`` (``start`` itself is never counted).

        ``count`` 0 returns ``start`` unchanged, so that an offset of 0 means "on the anchor date".
        """
        if count < 0:
            raise ValueError("count must not be negative")
        if len(self.weekend) >= 7:
            raise ValueError("a calendar whose every weekday is weekend has no business days")
        day = start
        left = count
        while left > 0 and day < date.max:
            day += timedelta(days=1)
            if self.is_business_day(day):
                left -= 1
        return day

    def next_business_day(self, day: date) -> date:
        """Return ``day`` when it is a business day, else the first business day after it."""
        while not self.is_business_day(day) and day < date.max:
            day += timedelta(days=1)
        return day

    def previous_business_day(self, day: date, *, not_before: date) -> date:
        """Return the last business day before ``day``, but never earlier than ``not_before``.

        When no business day lies between them, ``not_before`` itself is returned (if that is before
        ``day``) so that a date stated as "pay by" still comes before ``day``.
        """
        candidate = day - timedelta(days=1) if day > date.min else day
        while candidate > not_before and not self.is_business_day(candidate):
            candidate -= timedelta(days=1)
        return max(candidate, not_before)

    def add(self, start: date, count: int, day_count: DayCount) -> date:
        """Return ``start`` plus ``count`` days counted the way ``day_count`` says."""
        if day_count is DayCount.BUSINESS:
            return self.add_business_days(start, count)
        return add_days(start, count)

    def business_days_between(self, start: date, end: date) -> int:
        """Return how many business days lie after ``start`` up to and including ``end`` (0 if none)."""
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_business_day(day):
                count += 1
        return count
