"""Binding the ladder to a signed MSA: moved steps, the reasons recorded, and the clauses cited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain.dunning import (
    ClauseCitation,
    ContractTerms,
    Invoice,
    LadderPolicy,
    MoveRule,
    apply_override,
    bind,
    contractual_due_on,
)

Runner = Callable[..., Any]  # the ``walk`` fixture
EASTER_2026 = ["2026-04-03", "2026-04-06"]  # Good Friday and Easter Monday


class TestSuspensionNotice:
    def test_ten_business_days_move_the_suspension_and_record_why(
        self,
        walk: Runner,
        default_data: dict[str, Any],
        make_invoice: Callable[..., Invoice],
        make_terms: Callable[..., ContractTerms],
        on: Callable[[int], date],
    ) -> None:
        """Final notice on Wed 1 Apr; 10 clear business days (Easter off) move suspension from 6 to 20 Apr."""
        policy = apply_override(default_data, {"holidays": EASTER_2026})
        result = walk(make_invoice(), policy, make_terms(), days=range(71))
        assert result.issued() == [
            (7, "reminder-1"),
            (7, "call-1"),
            (14, "reminder-2"),
            (14, "call-2"),
            (21, "official-notice"),
            (21, "call-3"),
            (30, "final-notice"),
            (49, "suspension"),
            (54, "collections-referral"),
        ]
        assert on(49) == date(2026, 4, 20)
        suspension = result.step("suspension")
        [move] = suspension.moves
        assert move.rule is MoveRule.SUSPENSION_NOTICE
        assert (move.from_date, move.to_date) == (date(2026, 4, 6), date(2026, 4, 20))
        clause = ClauseCitation("9.1", "Suspension for Non-Payment", date(2026, 1, 15))
        assert move.citation == clause
        assert "clause 9.1 (Suspension for Non-Payment)" in move.reason
        assert "signed on 2026-01-15" in move.reason
        assert "10 business days' written notice" in move.reason
        assert clause in suspension.citations

    def test_final_notice_states_the_contractual_suspension_date_and_why(
        self,
        walk: Runner,
        default_data: dict[str, Any],
        make_invoice: Callable[..., Invoice],
        make_terms: Callable[..., ContractTerms],
    ) -> None:
        """The final notice names 20 April as the suspension date, asks for payment by Friday 17 April, and says why."""
        policy = apply_override(default_data, {"holidays": EASTER_2026})
        final = walk(make_invoice(), policy, make_terms(), days=range(31)).step("final-notice")
        assert final.suspension_on == date(2026, 4, 20)
        assert final.pay_by == date(2026, 4, 17)
        assert [m.rule for m in final.moves] == [MoveRule.SUSPENSION_NOTICE]
        assert [c.number for c in final.citations] == ["7.2", "7.4", "9.1"]

    def test_without_holidays_the_tenth_business_day_is_the_fifteenth(
        self,
        default_policy: LadderPolicy,
        make_invoice: Callable[..., Invoice],
        make_terms: Callable[..., ContractTerms],
    ) -> None:
        """With no holidays the 10th business day after 1 April is 15 April, so suspension is on the 16th."""
        bound = bind(make_invoice(), default_policy, make_terms())
        assert bound.get("suspension").on == date(2026, 4, 16)
        assert bound.get("collections-referral").on == date(2026, 4, 21)
        assert bound.get("letter-before-action").on == date(2026, 5, 11)
        assert [m.rule for m in bound.get("letter-before-action").moves] == [MoveRule.LADDER_GAP]

    def test_calendar_notice_counts_clear_days(
        self,
        default_policy: LadderPolicy,
        make_invoice: Callable[..., Invoice],
        make_terms: Callable[..., ContractTerms],
    ) -> None:
        """Five calendar days' notice after a final notice on 1 April puts suspension on 7 April, not 6."""
        bound = bind(make_invoice(), default_policy, make_terms(notice_days=5, business_days=False))
        assert bound.get("suspension").on == date(2026, 4, 7)

    def test_short_contract_notice_moves_nothing(
        self,
        default_policy: LadderPolicy,
        make_invoice: Callable[..., Invoice],
        make_terms: Callable[..., ContractTerms],
    ) -> None:
        """A 2-day notice period fits inside the ladder's 5 days, so no step moves."""
        bound = bind(make_invoice(), default_policy, make_terms(notice_days=2, business_days=False))
        assert bound.moves == ()
        assert bound.get("suspension").on == date(2026, 4, 6)


class TestPaymentTerms:
    def test_contract_net_days_push_the_due_date_and_the_ladder(
        self,
        default_policy: LadderPolicy,
        make_invoice: Callable[..., Invoice],
        make_terms: Callable[..., ContractTerms],
    ) -> None:
        """An invoice printed net 15 under an MSA saying net 30 is due 15 days later, and every step moves."""
        issued = date(2026, 1, 31)
        invoice = make_invoice(issued_on=issued, due_on=issued + timedelta(days=15))
        terms = make_terms(notice_days=None)
        assert contractual_due_on(invoice, terms) == date(2026, 3, 2)
        bound = bind(invoice, default_policy, terms)
        first = bound.get("reminder-1")
        assert (first.base_on, first.on) == (date(2026, 3, 9), date(2026, 3, 9))
        [move] = first.moves
        assert move.rule is MoveRule.PAYMENT_TERMS
        assert move.from_date == date(2026, 2, 22)
        assert "clause 7.2 (Payment Terms)" in move.reason

    def test_a_longer_due_date_on_the_invoice_is_kept(
        self,
        default_policy: LadderPolicy,
        make_invoice: Callable[..., Invoice],
        make_terms: Callable[..., ContractTerms],
    ) -> None:
        """An invoice that gave the client 45 days keeps its own, later due date."""
        issued = date(2026, 1, 31)
        invoice = make_invoice(issued_on=issued, due_on=issued + timedelta(days=45))
        assert contractual_due_on(invoice, make_terms()) == issued + timedelta(days=45)
        assert bind(invoice, default_policy, make_terms(notice_days=None)).moves == ()

    def test_invoice_date_anchor_never_chases_before_the_due_date(
        self,
        default_data: dict[str, Any],
        make_invoice: Callable[..., Invoice],
        make_terms: Callable[..., ContractTerms],
    ) -> None:
        """From a 31 Jan invoice date, day 7 moves after the 2 Mar due date; the rest keep their gaps."""
        policy = apply_override(default_data, {"anchor": "invoice_date"})
        bound = bind(make_invoice(), policy, make_terms(notice_days=None))
        first = bound.get("reminder-1")
        assert (first.base_on, first.on) == (date(2026, 2, 7), date(2026, 3, 3))
        assert first.moves[0].rule is MoveRule.NOT_YET_OVERDUE
        assert "clause 7.2 (Payment Terms)" in first.moves[0].reason
        dates = {s.step.key: s.on for s in bound.steps}
        assert dates == {
            "reminder-1": date(2026, 3, 3),
            "call-1": date(2026, 3, 3),
            "reminder-2": date(2026, 3, 10),
            "call-2": date(2026, 3, 10),
            "official-notice": date(2026, 3, 17),
            "call-3": date(2026, 3, 17),
            "final-notice": date(2026, 3, 26),
            "suspension": date(2026, 3, 31),
            "collections-referral": date(2026, 4, 5),
            "letter-before-action": date(2026, 4, 25),
        }


def test_interest_on_notices_follows_the_signed_rate(
    walk: Runner,
    default_policy: LadderPolicy,
    make_invoice: Callable[..., Invoice],
    make_terms: Callable[..., ContractTerms],
) -> None:
    """At 12 %/yr on CA$2,500.00 the official notice (21 days) shows 17.26 and the final (30 days) 24.66."""
    result = walk(make_invoice(), default_policy, make_terms(), days=range(31))
    official = result.step("official-notice").interest
    final = result.step("final-notice").interest
    assert official is not None and final is not None
    # 250000 x 0.12 x 21 / 365 = 1726.03 -> 1726 ; 250000 x 0.12 x 30 / 365 = 2465.75 -> 2466
    assert (official.days, official.interest_minor) == (21, 1726)
    assert (final.days, final.interest_minor, final.total_minor) == (30, 2466, 252_466)
    assert final.applied_rate_percent == Decimal(12)
