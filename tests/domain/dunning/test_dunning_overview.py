"""The per-client overview: overdue totals per currency, oldest days overdue, current and next step."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from domain.dunning import (
    ContractTerms,
    Invoice,
    InvoiceState,
    IssuedStep,
    LadderPolicy,
    StepKind,
    client_overview,
)

Runner = Callable[..., Any]  # the ``walk`` fixture


@pytest.fixture
def book(
    walk: Runner, default_policy: LadderPolicy, make_invoice: Callable[..., Invoice], on: Callable[[int], date]
) -> list[tuple[Invoice, list[IssuedStep]]]:
    """Four invoices of one client, each run daily up to day 31 of the oldest (2 April 2026)."""
    a = make_invoice(id="A")
    b_due = on(18)
    b = make_invoice(id="B", amount_minor=50_000, issued_on=b_due - timedelta(days=30), due_on=b_due)
    c = make_invoice(id="C", currency="USD", amount_minor=30_000, state=InvoiceState(disputed_since=on(10)))
    d = make_invoice(id="D", state=InvoiceState(paid_on=on(20)))
    return [(invoice, walk(invoice, default_policy, days=range(32)).records) for invoice in (a, b, c, d)]


class TestClientOverview:
    def test_totals_oldest_current_and_next(
        self,
        book: list[tuple[Invoice, list[IssuedStep]]],
        default_policy: LadderPolicy,
        on: Callable[[int], date],
    ) -> None:
        """Overdue per currency, the 31-day-old invoice, its final notice now, B's second reminder next."""
        overview = client_overview("client-1", book, default_policy, None, on(31))
        assert overview.overdue_minor == {"CAD": 300_000, "USD": 30_000}
        assert overview.disputed_minor == {"USD": 30_000}
        assert overview.interest_minor == {}
        assert overview.overdue_invoices == 3
        assert overview.oldest_days_overdue == 31
        assert overview.current_step is not None
        assert (overview.current_step.invoice_id, overview.current_step.step_key) == ("A", "final-notice")
        assert overview.current_step.on == on(30)
        assert overview.next_step is not None
        assert (overview.next_step.invoice_id, overview.next_step.step_key) == ("B", "reminder-2")
        assert overview.next_step.on == on(32)
        assert overview.next_step.kind is StepKind.EMAIL_REMINDER

    def test_interest_per_currency_under_signed_terms(
        self,
        book: list[tuple[Invoice, list[IssuedStep]]],
        default_policy: LadderPolicy,
        make_terms: Callable[..., ContractTerms],
        on: Callable[[int], date],
    ) -> None:
        """At 12 %/yr: A 2,500.00 x 31 days = 25.48, B 500.00 x 13 days = 2.14, C 300.00 x 31 days = 3.06."""
        overview = client_overview("client-1", book, default_policy, make_terms(), on(31))
        # 250000 x 0.12 x 31 / 365 = 2547.95 -> 2548; 50000 x 0.12 x 13 / 365 = 213.70 -> 214;
        # 30000 x 0.12 x 31 / 365 = 305.75 -> 306
        assert overview.interest_minor == {"CAD": 2548 + 214, "USD": 306}

    def test_nothing_overdue(
        self, default_policy: LadderPolicy, make_invoice: Callable[..., Invoice], on: Callable[[int], date]
    ) -> None:
        """A client whose only invoice is not yet due has no overdue total and a first reminder ahead."""
        overview = client_overview("client-1", [(make_invoice(), [])], default_policy, None, on(-3))
        assert overview.overdue_minor == {}
        assert overview.oldest_days_overdue is None
        assert overview.current_step is None
        assert overview.next_step is not None
        assert (overview.next_step.step_key, overview.next_step.on) == ("reminder-1", on(7))

    def test_invoice_of_another_client_is_refused(
        self, default_policy: LadderPolicy, make_invoice: Callable[..., Invoice], on: Callable[[int], date]
    ) -> None:
        """Mixing clients in one overview is a caller bug and fails loudly."""
        with pytest.raises(ValueError, match="another client"):
            client_overview("client-2", [(make_invoice(), [])], default_policy, None, on(1))
