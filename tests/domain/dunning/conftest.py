"""Fixtures for the dunning tests: the shipped default ladder, an MSA's terms, and a day-by-day runner."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from domain.dunning import (
    ClauseRef,
    ContractTerms,
    DueStep,
    Invoice,
    IssuedStep,
    LadderPolicy,
    parse_policy,
    plan,
    terms_from_msa,
)

DEFAULT_LADDER = Path(__file__).resolve().parents[3] / "policies" / "default-ladder.yaml"
DUE = date(2026, 3, 2)  # a Monday; day 30 is Wednesday 1 April 2026, Good Friday is 3 April
CLAUSES = {
    "payment_terms": ClauseRef("7.2", "Payment Terms"),
    "late_fee": ClauseRef("7.4", "Late Payment Interest"),
    "suspension_notice": ClauseRef("9.1", "Suspension for Non-Payment"),
}
SIGNED_ON = date(2026, 1, 15)


@dataclass
class Walk:
    """What a run of ``plan`` over a range of days produced."""

    steps: list[tuple[int, DueStep]] = field(default_factory=list)
    records: list[IssuedStep] = field(default_factory=list)

    def issued(self) -> list[tuple[int, str]]:
        """Return (day, step key) of every issued step, in order."""
        return [(day, s.step_key) for day, s in self.steps if s.issued]

    def skipped(self) -> list[tuple[int, str, str | None]]:
        """Return (day, step key, superseded by) of every skipped step, in order."""
        return [(day, s.step_key, s.superseded_by) for day, s in self.steps if not s.issued]

    def step(self, key: str) -> DueStep:
        """Return the due step called ``key``."""
        return next(s for _, s in self.steps if s.step_key == key)


Runner = Callable[..., Walk]


@pytest.fixture
def default_data() -> dict[str, Any]:
    """Return the shipped default ladder as the caller loads it."""
    with DEFAULT_LADDER.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


@pytest.fixture
def default_policy(default_data: dict[str, Any]) -> LadderPolicy:
    """Return the shipped default ladder, parsed."""
    return parse_policy(default_data)


def _make_invoice(**changes: Any) -> Invoice:
    """Return a CA$2,500.00 invoice issued 30 days before ``DUE`` and due on it."""
    values: dict[str, Any] = {
        "id": "INV-2026-0001",
        "client_id": "client-1",
        "currency": "CAD",
        "amount_minor": 250_000,
        "issued_on": DUE - timedelta(days=30),
        "due_on": DUE,
    }
    values.update(changes)
    return Invoice(**values)


def _make_terms(
    *,
    net_days: int = 30,
    rate: Any = 12,
    notice_days: int | None = 10,
    business_days: bool = True,
) -> ContractTerms:
    """Return the terms of an MSA signed on ``SIGNED_ON`` with the given payment terms."""
    variables: dict[str, Any] = {
        "payment_terms": {"net_days": net_days},
        "late_fee": {"enabled": rate is not None, "annual_rate_percent": rate},
    }
    if notice_days is not None:
        variables["suspension_notice"] = {"days": notice_days, "business_days": business_days}
    return terms_from_msa(variables, signed_on=SIGNED_ON, clauses=CLAUSES)


@pytest.fixture
def walk() -> Runner:
    """Return a runner that calls ``plan`` once per day and records what it returns, like the CLI."""

    def run(
        invoice: Invoice | Callable[[int], Invoice],
        policy: LadderPolicy,
        terms: ContractTerms | None = None,
        days: Iterable[int] = range(71),
        records: Iterable[IssuedStep] = (),
    ) -> Walk:
        result = Walk(records=list(records))
        for day in days:
            current = invoice(day) if callable(invoice) else invoice
            for due in plan(current, policy, terms, result.records, DUE + timedelta(days=day)):
                result.steps.append((day, due))
                result.records.append(due.record())
        return result

    return run


@pytest.fixture
def make_invoice() -> Callable[..., Invoice]:
    """Return the invoice factory (a CA$2,500.00 invoice due on day 0, issued 30 days before)."""
    return _make_invoice


@pytest.fixture
def make_terms() -> Callable[..., ContractTerms]:
    """Return the factory of signed-MSA terms (net 30, 12 %/yr, 10 business days' suspension notice)."""
    return _make_terms


@pytest.fixture
def on() -> Callable[[int], date]:
    """Return the function from a ladder day (days after the due date) to its date."""
    return lambda day: DUE + timedelta(days=day)
