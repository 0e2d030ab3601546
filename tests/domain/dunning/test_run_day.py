"""Which days a dunning run may be for, and day arithmetic that cannot run off the calendar."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from domain.dunning import Invoice, LadderPolicy, client_overview, plan
from domain.dunning.calendar import BusinessCalendar, DayCount, add_days
from domain.dunning.run_day import check_run_day
from domain.errors import InvalidInput

TODAY = date(2026, 11, 25)


class TestCheckRunDay:
    @pytest.mark.parametrize(
        ("day", "dry_run", "backfill"),
        [(TODAY, False, False), (date(2026, 12, 25), True, False), (date(2026, 11, 1), False, True)],
    )
    def test_allowed(self, day: date, dry_run: bool, backfill: bool) -> None:
        """Today; a future day planned only; a past day asked for as a backfill."""
        check_run_day(day, TODAY, dry_run=dry_run, backfill=backfill)

    @pytest.mark.parametrize(
        ("day", "dry_run", "backfill", "pointer", "words"),
        [
            (date(2026, 11, 26), False, False, "/date", "future"),
            (date(2026, 11, 24), False, False, "/date", "past"),
            (TODAY, False, True, "/backfill", "past date"),
            (date(2025, 6, 1), False, True, "/date", "1 year"),
            (date(9999, 12, 31), True, False, "/date", "between"),
        ],
    )
    def test_refused(self, day: date, dry_run: bool, backfill: bool, pointer: str, words: str) -> None:
        """Each refusal names the field and says, in words, what the run would have done."""
        with pytest.raises(InvalidInput) as caught:
            check_run_day(day, TODAY, dry_run=dry_run, backfill=backfill)
        errors = {e.pointer: e.reason for e in caught.value.errors}
        assert pointer in errors and words in (errors[pointer] + caught.value.detail)


class TestSaturatingDays:
    def test_add_days_holds_at_the_ends_of_the_calendar(self) -> None:
        """Adding past 9999-12-31 or before year 1 stays on the calendar instead of raising."""
        assert add_days(date(9999, 12, 25), 30) == date.max
        assert add_days(date(1, 1, 5), -30) == date.min
        assert add_days(date(2026, 1, 30), 2) == date(2026, 2, 1)

    def test_business_days_stop_at_the_last_day(self) -> None:
        """Counting business days from late 9999 ends on the last day rather than overflowing."""
        calendar = BusinessCalendar()
        assert calendar.add(date(9999, 12, 28), 10, DayCount.BUSINESS) == date.max
        assert calendar.next_business_day(date(9999, 12, 31)) == date.max

    def test_plan_and_overview_of_a_far_future_invoice(
        self, default_policy: LadderPolicy, make_invoice: Callable[..., Invoice]
    ) -> None:
        """An invoice due 9999-12-31 plans nothing and gives an overview, without an error."""
        invoice = make_invoice(issued_on=date(2026, 10, 1), due_on=date(9999, 12, 31))
        assert plan(invoice, default_policy, None, [], TODAY) == []
        view = client_overview("client-1", [(invoice, [])], default_policy, None, TODAY)
        assert view.overdue_invoices == 0
