"""Interest at the signed rate (simple, Actual/365, half up, capped) and reading the MSA's terms."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.dunning import ClauseRef, accrue, simple_interest_minor, terms_from_msa
from domain.errors import InvalidInput

SIGNED = date(2026, 1, 15)
CLAUSES = {
    "payment_terms": ClauseRef("7.2", "Payment Terms"),
    "late_fee": ClauseRef("7.4", "Late Payment Interest"),
    "suspension_notice": ClauseRef("9.1", "Suspension for Non-Payment"),
}


class TestSimpleInterest:
    @pytest.mark.parametrize(
        ("principal", "rate", "days", "expected"),
        [
            (250_000, Decimal(12), 30, 2466),  # 2465.753...
            (250_000, Decimal(12), 21, 1726),  # 1726.027...
            (36_500, Decimal(10), 1, 10),  # exactly 10
            (1_825, Decimal(10), 1, 1),  # exactly 0.5: half up, not to even
            (1_824, Decimal(10), 1, 0),  # 0.4997...
            (100_000, Decimal(10), 366, 10_027),  # leap year still divides by 365: 10027.397...
            (123_456_789, Decimal("7.25"), 45, 1_103_501),  # 1103500.75...
            (100_000, Decimal(12), 0, 0),
        ],
    )
    def test_exact_amounts(self, principal: int, rate: Decimal, days: int, expected: int) -> None:
        """Interest is principal x rate/100 x days/365, rounded once half up to whole minor units."""
        assert simple_interest_minor(principal, rate, days) == expected

    def test_negative_inputs_are_refused(self) -> None:
        """A negative principal or period is a bug upstream, not a refund."""
        with pytest.raises(ValueError, match="negative"):
            simple_interest_minor(-1, Decimal(5), 10)


class TestAccrue:
    def test_no_agreed_rate_means_no_interest(self) -> None:
        """Without a rate in the signed contract nothing is accrued, not even zero."""
        assert (
            accrue(100_000, None, from_date=date(2026, 3, 2), to_date=date(2026, 4, 1), cap_percent=Decimal(35)) is None
        )

    def test_rate_above_the_cap_is_lowered(self) -> None:
        """A 48 %/yr clause is charged at the 35 %/yr cap, and the accrual says it was capped."""
        accrual = accrue(
            100_000, Decimal(48), from_date=date(2026, 1, 1), to_date=date(2027, 1, 1), cap_percent=Decimal(35)
        )
        assert accrual is not None
        assert (accrual.days, accrual.interest_minor, accrual.capped) == (365, 35_000, True)
        assert accrual.applied_rate_percent == Decimal(35)

    def test_before_the_due_date_accrues_nothing(self) -> None:
        """An as-of date before the due date counts zero days."""
        accrual = accrue(
            100_000, Decimal(12), from_date=date(2026, 3, 2), to_date=date(2026, 3, 1), cap_percent=Decimal(35)
        )
        assert accrual is not None
        assert (accrual.days, accrual.interest_minor, accrual.capped) == (0, 0, False)


class TestTermsFromMsa:
    def test_reads_the_template_variables(self) -> None:
        """The MSA's variables become terms whose clauses carry the signing date."""
        terms = terms_from_msa(
            {
                "payment_terms": {"net_days": 15},
                "late_fee": {"enabled": True, "annual_rate_percent": 12.5},
                "suspension_notice": {"days": 10, "business_days": True},
                "governing_law": {"country": "CA", "region": "BC"},
            },
            signed_on=SIGNED,
            clauses=CLAUSES,
        )
        assert terms.payment is not None and terms.payment.net_days == 15
        assert terms.interest_rate_percent == Decimal("12.5")
        assert terms.suspension_notice is not None
        assert terms.suspension_notice.describe() == "10 business days"
        assert str(terms.suspension_notice.clause) == (
            "clause 9.1 (Suspension for Non-Payment) of the Master Services Agreement signed on 2026-01-15"
        )

    def test_disabled_late_fee_means_no_rate(self) -> None:
        """``late_fee.enabled: false`` leaves no rate to charge even when one is written."""
        terms = terms_from_msa(
            {"late_fee": {"enabled": False, "annual_rate_percent": 12}}, signed_on=SIGNED, clauses=CLAUSES
        )
        assert terms.interest_rate_percent is None

    def test_absent_groups_are_not_agreed(self) -> None:
        """An MSA without these variables agrees nothing: no terms, no clauses needed."""
        terms = terms_from_msa({}, signed_on=SIGNED, clauses={})
        assert (terms.payment, terms.late_fee, terms.suspension_notice) == (None, None, None)

    def test_bad_values_are_named(self) -> None:
        """Each bad variable or missing clause is reported with its dotted path."""
        with pytest.raises(InvalidInput) as excinfo:
            terms_from_msa(
                {
                    "payment_terms": {"net_days": "thirty"},
                    "late_fee": {"enabled": True},
                    "suspension_notice": {"days": 10, "business_days": "yes"},
                },
                signed_on=SIGNED,
                clauses={"payment_terms": CLAUSES["payment_terms"], "late_fee": CLAUSES["late_fee"]},
            )
        assert {e.pointer for e in excinfo.value.errors} == {
            "payment_terms.net_days",
            "late_fee.annual_rate_percent",
            "suspension_notice.business_days",
            "clauses.suspension_notice",
        }
