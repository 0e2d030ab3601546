"""The daily plan: the default ladder day by day, holds, re-runs and catch-up after missed days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from domain.dunning import (
    ContractTerms,
    Disposition,
    Invoice,
    InvoiceState,
    IssuedStep,
    LadderPolicy,
    apply_override,
    next_step,
    plan,
)

Runner = Callable[..., Any]  # the ``walk`` fixture


def ladder(policy: LadderPolicy) -> list[tuple[int, str]]:
    """Return the policy's steps as (day, key), in ladder order: what a daily walk issues when nothing holds it."""
    return [(step.offset, step.key) for step in policy.steps]


def until(policy: LadderPolicy, day: int) -> list[tuple[int, str]]:
    """Return the ladder's steps due on or before ``day``."""
    return [(offset, key) for offset, key in ladder(policy) if offset <= day]


def from_step(policy: LadderPolicy, key: str, shift: int) -> list[tuple[int, str]]:
    """Return the steps from ``key`` on, each ``shift`` days later (the ladder keeps its gaps after a late step)."""
    steps = ladder(policy)
    first = next(i for i, (_, k) in enumerate(steps) if k == key)
    return [(offset + shift, k) for offset, k in steps[first:]]


def between(policy: LadderPolicy, after: int, before: int) -> list[str]:
    """Return the keys of the steps due after day ``after`` and before day ``before``."""
    return [key for offset, key in ladder(policy) if after < offset < before]


class TestDefaultWalk:
    def test_day_zero_to_seventy_issues_exactly_the_ladder(
        self, walk: Runner, default_policy: LadderPolicy, make_invoice: Callable[..., Invoice]
    ) -> None:
        """Run daily from day 0 to 70, the default ladder issues each step once, on its day, skipping none."""
        result = walk(make_invoice(), default_policy)
        assert result.issued() == ladder(default_policy)
        assert result.skipped() == []

    def test_notices_state_the_dates_of_the_next_escalation(
        self,
        walk: Runner,
        default_policy: LadderPolicy,
        make_invoice: Callable[..., Invoice],
        on: Callable[[int], date],
    ) -> None:
        """The official notice says pay by day 30 and suspension from day 35; the final one, pay before day 35."""
        result = walk(make_invoice(), default_policy)
        official = result.step("official-notice")
        final = result.step("final-notice")
        assert official.pay_by == on(30) and official.suspension_on == on(35)
        assert final.suspension_on == on(35)
        # Day 35 is a Monday in this walk: "pay by" is the Friday before it.
        assert on(35).weekday() == 0 and final.pay_by == on(32)
        assert result.step("reminder-1").pay_by is None
        assert result.step("suspension").suspension_on == on(35)

    def test_later_steps_need_approval_and_carry_their_template(
        self, walk: Runner, default_policy: LadderPolicy, make_invoice: Callable[..., Invoice]
    ) -> None:
        """Suspension, collections and the letter before action wait for a person; earlier steps do not."""
        result = walk(make_invoice(), default_policy)
        approvals = {s.step_key: s.needs_approval for _, s in result.steps}
        assert [k for k, needed in approvals.items() if needed] == [
            "suspension",
            "collections-referral",
            "letter-before-action",
        ]
        assert result.step("final-notice").template == "notices/final-notice"
        assert result.step("call-1").template is None

    def test_no_terms_means_no_interest_and_no_citation(
        self, walk: Runner, default_policy: LadderPolicy, make_invoice: Callable[..., Invoice]
    ) -> None:
        """Without a signed MSA a notice shows no interest and cites no clause."""
        final = walk(make_invoice(), default_policy).step("final-notice")
        assert final.interest is None
        assert final.citations == ()
        assert final.days_overdue == 30


class TestReRun:
    def test_same_day_twice_issues_nothing_the_second_time(
        self, default_policy: LadderPolicy, make_invoice: Callable[..., Invoice], on: Callable[[int], date]
    ) -> None:
        """The records of a run make a second run on the same day return nothing."""
        invoice = make_invoice()
        first = plan(invoice, default_policy, None, [], on(7))
        assert [s.step_key for s in first] == ["reminder-1", "call-1"]
        again = plan(invoice, default_policy, None, [s.record() for s in first], on(7))
        assert again == []

    def test_rerun_after_a_full_walk_issues_nothing(
        self, walk: Runner, default_policy: LadderPolicy, make_invoice: Callable[..., Invoice]
    ) -> None:
        """Replaying every day with the stored records issues nothing at all."""
        first = walk(make_invoice(), default_policy)
        replay = walk(make_invoice(), default_policy, records=first.records)
        assert replay.steps == []


class TestHolds:
    def test_paid_on_day_25_stops_the_ladder(
        self,
        walk: Runner,
        default_policy: LadderPolicy,
        make_invoice: Callable[..., Invoice],
        on: Callable[[int], date],
    ) -> None:
        """An invoice paid on day 25 gets the steps up to day 21 and nothing afterwards."""
        invoice = make_invoice(state=InvoiceState(paid_on=on(25)))
        assert walk(invoice, default_policy).issued() == until(default_policy, 21)

    def test_fully_paid_amount_stops_the_ladder(
        self, walk: Runner, default_policy: LadderPolicy, make_invoice: Callable[..., Invoice]
    ) -> None:
        """An invoice with nothing outstanding gets no step even without a paid date."""
        assert walk(make_invoice(paid_minor=250_000), default_policy).steps == []

    def test_dispute_holds_then_the_ladder_resumes(
        self,
        walk: Runner,
        default_policy: LadderPolicy,
        make_invoice: Callable[..., Invoice],
        on: Callable[[int], date],
    ) -> None:
        """Disputed on days 18-26: nothing then; day 27 the official notice; later steps keep their gaps."""

        def invoice(day: int) -> Invoice:
            disputed = on(18) if 18 <= day <= 26 else None
            return make_invoice(state=InvoiceState(disputed_since=disputed))

        result = walk(invoice, default_policy)
        assert result.issued() == [*until(default_policy, 14), *from_step(default_policy, "official-notice", 6)]
        assert result.step("official-notice").pay_by == on(36)
        assert result.skipped() == []

    def test_open_dispute_holds_everything(
        self,
        walk: Runner,
        default_policy: LadderPolicy,
        make_invoice: Callable[..., Invoice],
        on: Callable[[int], date],
    ) -> None:
        """A dispute raised on day 10 and never cleared leaves only the day-7 steps issued."""
        invoice = make_invoice(state=InvoiceState(disputed_since=on(10)))
        assert walk(invoice, default_policy).issued() == until(default_policy, 7)

    def test_pause_holds_until_its_date_then_catches_up(
        self,
        walk: Runner,
        default_policy: LadderPolicy,
        make_invoice: Callable[..., Invoice],
        on: Callable[[int], date],
    ) -> None:
        """Paused on day 10 until day 24: day 24 issues the official notice and skips the day-14 steps."""

        def invoice(day: int) -> Invoice:
            return make_invoice(state=InvoiceState(paused_until=on(24) if day >= 10 else None))

        result = walk(invoice, default_policy)
        assert result.issued() == [*until(default_policy, 7), *from_step(default_policy, "official-notice", 3)]
        assert result.skipped() == [(24, key, "official-notice") for key in between(default_policy, 7, 21)]
        assert between(default_policy, 7, 21) == ["reminder-2", "call-2"]

    def test_promise_to_pay_holds_through_grace(
        self,
        walk: Runner,
        default_policy: LadderPolicy,
        make_invoice: Callable[..., Invoice],
        on: Callable[[int], date],
    ) -> None:
        """A promise made on day 12 to pay on day 15 holds through day 18 (3 days' grace); day 19 resumes."""

        def invoice(day: int) -> Invoice:
            return make_invoice(state=InvoiceState(promise_to_pay_on=on(15) if day >= 12 else None))

        result = walk(invoice, default_policy)
        assert result.issued() == [*until(default_policy, 7), *from_step(default_policy, "reminder-2", 5)]

    def test_kept_promise_stops_the_ladder(
        self,
        walk: Runner,
        default_policy: LadderPolicy,
        make_invoice: Callable[..., Invoice],
        on: Callable[[int], date],
    ) -> None:
        """A promise to pay on day 15 that is kept (paid day 16) leaves only the day-7 steps issued."""

        def invoice(day: int) -> Invoice:
            promise = on(15) if day >= 12 else None
            return make_invoice(state=InvoiceState(promise_to_pay_on=promise, paid_on=on(16)))

        assert walk(invoice, default_policy).issued() == until(default_policy, 7)


class TestCatchUp:
    def test_missed_days_issue_only_the_most_severe_due_step(
        self, walk: Runner, default_policy: LadderPolicy, make_invoice: Callable[..., Invoice]
    ) -> None:
        """No run from day 8 to 32: day 33 issues the final notice and skips the three steps it supersedes."""
        days = [*range(8), *range(33, 71)]
        result = walk(make_invoice(), default_policy, days=days)
        assert result.issued() == [*until(default_policy, 7), *from_step(default_policy, "final-notice", 3)]
        assert result.skipped() == [(33, key, "final-notice") for key in between(default_policy, 7, 30)]
        assert "official-notice" in between(default_policy, 7, 30)

    def test_never_jumps_to_suspension_without_a_final_notice(
        self,
        walk: Runner,
        default_policy: LadderPolicy,
        make_invoice: Callable[..., Invoice],
        on: Callable[[int], date],
    ) -> None:
        """No run from day 23 to 44: day 45 issues the final notice, and suspension moves to day 50."""
        days = [*range(23), *range(45, 81)]
        result = walk(make_invoice(), default_policy, days=days)
        assert result.issued() == [*until(default_policy, 21), *from_step(default_policy, "final-notice", 15)]
        assert result.skipped() == []
        assert result.step("final-notice").suspension_on == on(50)

    def test_catch_up_respects_the_contract_notice_period(
        self,
        walk: Runner,
        default_policy: LadderPolicy,
        make_invoice: Callable[..., Invoice],
        make_terms: Callable[..., ContractTerms],
        on: Callable[[int], date],
    ) -> None:
        """Final notice caught up on day 45 (16 Apr): 10 clear business days put suspension on 1 May."""
        days = [*range(23), *range(45, 91)]
        result = walk(make_invoice(), default_policy, make_terms(), days=days)
        assert on(45) == date(2026, 4, 16)
        assert result.issued()[len(until(default_policy, 21)) :] == [
            (45, "final-notice"),
            (60, "suspension"),
            (65, "collections-referral"),
            (85, "letter-before-action"),
        ]
        assert result.step("final-notice").suspension_on == date(2026, 5, 1)

    def test_after_the_final_notice_catch_up_goes_to_the_latest_step(
        self, walk: Runner, default_policy: LadderPolicy, make_invoice: Callable[..., Invoice]
    ) -> None:
        """Final notice on time, no run on days 31-60: day 61 issues the letter before action."""
        days = [*range(31), 61]
        result = walk(make_invoice(), default_policy, days=days)
        assert result.issued()[-1] == (61, "letter-before-action")
        assert result.skipped() == [
            (61, "suspension", "letter-before-action"),
            (61, "collections-referral", "letter-before-action"),
        ]

    def test_skipped_steps_are_recorded_so_they_never_return(
        self, default_policy: LadderPolicy, make_invoice: Callable[..., Invoice], on: Callable[[int], date]
    ) -> None:
        """The records of a catch-up run include the skipped steps, and a re-run returns nothing.

        On day 22 the official notice and the phone task due with it are issued; every earlier step is skipped.
        """
        invoice = make_invoice()
        first = plan(invoice, default_policy, None, [], on(22))
        records = [s.record() for s in first]
        assert {r.step_key: r.disposition for r in records} == {
            key: Disposition.ISSUED if offset == 21 else Disposition.SKIPPED_SUPERSEDED
            for offset, key in until(default_policy, 22)
        }
        assert {r.step_key for r in records if r.disposition is Disposition.ISSUED} >= {"official-notice"}
        assert plan(invoice, default_policy, None, records, on(22)) == []


class TestPolicyChange:
    def test_step_added_behind_the_invoice_is_skipped_not_sent(
        self,
        walk: Runner,
        default_data: dict[str, Any],
        default_policy: LadderPolicy,
        make_invoice: Callable[..., Invoice],
        on: Callable[[int], date],
    ) -> None:
        """A reminder added at day 18 after the official notice went out is recorded as superseded, never sent."""
        done = walk(make_invoice(), default_policy, days=range(23))
        changed = apply_override(
            default_data,
            {
                "steps": [
                    {
                        "key": "reminder-3",
                        "offset": 18,
                        "kind": "email_reminder",
                        "template": "notices/reminder",
                        "channels": ["email"],
                    }
                ]
            },
        )
        steps = plan(make_invoice(), changed, None, done.records, on(23))
        assert [(s.step_key, s.disposition, s.superseded_by) for s in steps] == [
            ("reminder-3", Disposition.SKIPPED_SUPERSEDED, "official-notice")
        ]
        later = walk(make_invoice(), changed, days=range(23, 31), records=[*done.records, steps[0].record()])
        assert later.issued() == [(30, "final-notice")]


class TestBusinessDays:
    def test_business_day_ladder_skips_weekends_and_holidays(
        self,
        walk: Runner,
        default_data: dict[str, Any],
        make_invoice: Callable[..., Invoice],
    ) -> None:
        """Counted in business days with three holidays, each step lands on the hand-counted date."""
        policy = apply_override(
            default_data,
            {"day_count": "business", "holidays": ["2026-03-10", "2026-04-03", "2026-04-06"]},
        )
        result = walk(make_invoice(), policy, days=range(95))
        due = make_invoice().due_on
        issued = [(due + timedelta(days=day), key) for day, key in result.issued()]
        assert issued == [
            (date(2026, 3, 12), "reminder-1"),
            (date(2026, 3, 12), "call-1"),
            (date(2026, 3, 23), "reminder-2"),
            (date(2026, 3, 23), "call-2"),
            (date(2026, 4, 1), "official-notice"),
            (date(2026, 4, 1), "call-3"),
            (date(2026, 4, 16), "final-notice"),
            (date(2026, 4, 23), "suspension"),
            (date(2026, 4, 30), "collections-referral"),
            (date(2026, 5, 28), "letter-before-action"),
        ]


class TestNextStep:
    def test_next_step_is_the_next_rung_and_its_date(
        self,
        walk: Runner,
        default_policy: LadderPolicy,
        make_invoice: Callable[..., Invoice],
        on: Callable[[int], date],
    ) -> None:
        """After the day-21 run the next step is the final notice on day 30."""
        result = walk(make_invoice(), default_policy, days=range(22))
        upcoming = next_step(make_invoice(), default_policy, None, result.records, on(22))
        assert upcoming is not None
        assert (upcoming.step_key, upcoming.on) == ("final-notice", on(30))

    def test_next_step_is_today_when_a_step_is_due(
        self, default_policy: LadderPolicy, make_invoice: Callable[..., Invoice], on: Callable[[int], date]
    ) -> None:
        """Before the day-7 run, the next step is the reminder, today."""
        upcoming = next_step(make_invoice(), default_policy, None, [], on(7))
        assert upcoming is not None
        assert (upcoming.step_key, upcoming.on) == ("reminder-1", on(7))

    def test_next_step_waits_for_a_pause_to_end(
        self, default_policy: LadderPolicy, make_invoice: Callable[..., Invoice], on: Callable[[int], date]
    ) -> None:
        """Paused until day 24 with the day-7 steps done, the next step is the official notice on day 24."""
        invoice = make_invoice(state=InvoiceState(paused_until=on(24)))
        records = [IssuedStep("reminder-1", on(7)), IssuedStep("call-1", on(7))]
        upcoming = next_step(invoice, default_policy, None, records, on(12))
        assert upcoming is not None
        assert (upcoming.step_key, upcoming.on) == ("official-notice", on(24))

    def test_no_next_step_while_disputed_or_paid(
        self, default_policy: LadderPolicy, make_invoice: Callable[..., Invoice], on: Callable[[int], date]
    ) -> None:
        """A disputed or paid invoice has no next step."""
        disputed = make_invoice(state=InvoiceState(disputed_since=on(3)))
        paid = make_invoice(state=InvoiceState(paid_on=on(3)))
        assert next_step(disputed, default_policy, None, [], on(5)) is None
        assert next_step(paid, default_policy, None, [], on(5)) is None
