"""Business-day counting: weekends, holidays, other weekend rules."""

from __future__ import annotations

from datetime import date

import pytest

from domain.dunning import BusinessCalendar, DayCount


class TestBusinessCalendar:
    def test_friday_plus_one_business_day_is_monday(self) -> None:
        """The weekend is not counted, and the start day never is."""
        assert BusinessCalendar().add_business_days(date(2026, 3, 6), 1) == date(2026, 3, 9)

    def test_holidays_are_skipped(self) -> None:
        """From Wed 1 Apr 2026, ten business days skipping Good Friday and Easter Monday end on Fri 17 Apr."""
        calendar = BusinessCalendar(holidays=frozenset({date(2026, 4, 3), date(2026, 4, 6)}))
        assert calendar.add_business_days(date(2026, 4, 1), 10) == date(2026, 4, 17)
        assert BusinessCalendar().add_business_days(date(2026, 4, 1), 10) == date(2026, 4, 15)

    def test_other_weekend_rule(self) -> None:
        """With a Friday-Saturday weekend, Thursday plus one business day is Sunday."""
        calendar = BusinessCalendar(weekend=frozenset({4, 5}))
        assert calendar.add_business_days(date(2026, 3, 5), 1) == date(2026, 3, 8)
        assert calendar.is_business_day(date(2026, 3, 8))
        assert not calendar.is_business_day(date(2026, 3, 6))

    def test_zero_days_is_the_start_date(self) -> None:
        """Adding zero business days to a Saturday returns that Saturday (an offset of 0 means the anchor)."""
        assert BusinessCalendar().add_business_days(date(2026, 3, 7), 0) == date(2026, 3, 7)

    def test_next_business_day_rolls_over_weekend_and_holiday(self) -> None:
        """Good Friday rolls over the weekend and Easter Monday to Tuesday 7 April."""
        calendar = BusinessCalendar(holidays=frozenset({date(2026, 4, 3), date(2026, 4, 6)}))
        assert calendar.next_business_day(date(2026, 4, 3)) == date(2026, 4, 7)
        assert calendar.next_business_day(date(2026, 4, 7)) == date(2026, 4, 7)

    def test_business_days_between_counts_the_end_not_the_start(self) -> None:
        """From Friday to the next Friday there are five business days."""
        assert BusinessCalendar().business_days_between(date(2026, 3, 6), date(2026, 3, 13)) == 5

    def test_calendar_count_ignores_weekends(self) -> None:
        """Counted in calendar days, Friday plus 3 is Monday whatever the weekend."""
        assert BusinessCalendar().add(date(2026, 3, 6), 3, DayCount.CALENDAR) == date(2026, 3, 9)
        assert BusinessCalendar().add(date(2026, 3, 6), 3, DayCount.BUSINESS) == date(2026, 3, 11)

    def test_negative_count_is_refused(self) -> None:
        """Counting backwards is not something the ladder does."""
        with pytest.raises(ValueError, match="negative"):
            BusinessCalendar().add_business_days(date(2026, 3, 6), -1)

    def test_previous_business_day_skips_back_over_easter_but_not_before_the_floor(self) -> None:
        """Before Easter Tuesday is Thursday 2 April; with the floor on Saturday 4 April, the floor itself."""
        calendar = BusinessCalendar(holidays=frozenset({date(2026, 4, 3), date(2026, 4, 6)}))
        assert calendar.previous_business_day(date(2026, 4, 7), not_before=date(2026, 3, 1)) == date(2026, 4, 2)
        assert calendar.previous_business_day(date(2026, 4, 7), not_before=date(2026, 4, 4)) == date(2026, 4, 4)
        assert calendar.previous_business_day(date(2026, 3, 11), not_before=date(2026, 3, 1)) == date(2026, 3, 10)
