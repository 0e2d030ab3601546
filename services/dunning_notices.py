"""What a dunning notice says: the facts fixed when the step was planned, and the template variables.

One variable set is built per notice and each template receives only the keys its schema lists
(the notice schemas refuse unknown keys). Amounts go in as numbers in major units, derived from
integer minor units; interest is computed on the day the notice goes out (simple, Actual/365, at
the rate the signed MSA states, capped by the policy), never when no rate was agreed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from domain.dunning import ClauseCitation, ContractTerms, DueStep, InterestAccrual, StepKind, accrue
from domain.dunning.calendar import add_days
from domain.invoices import InvoiceRecord
from domain.money import to_decimal

_MAX_REASON = 500
# The notice that cites the suspension clause; the others cite the payment terms.
_SUSPENSION_KINDS = frozenset({StepKind.FINAL_NOTICE, StepKind.SUSPENSION})


@dataclass(frozen=True)
class NoticeSettings:
    """Who the notices name as billing contact, how to pay, and whether counsel approved the texts."""

    contact_name: str = "Accounts Receivable"
    contact_title: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    portal_url: str | None = None
    bank_details: str | None = None
    counsel_reviewed: bool = False
    answer_days: int = 14


@dataclass(frozen=True)
class MsaFacts:
    """What the client's signed MSA says that a notice repeats, and the clauses it cites."""

    signed_on: date
    variables: dict[str, Any]
    payment_clause: ClauseCitation | None
    suspension_clause: ClauseCitation | None

    @property
    def suspension_notice(self) -> dict[str, Any] | None:
        """The agreed notice period before suspension (``days``, ``business_days``), if any."""
        value = self.variables.get("suspension_notice")
        return dict(value) if isinstance(value, dict) else None

    @property
    def reinstatement_fee(self) -> float | None:
        """The agreed reinstatement fee, if any."""
        fee = self.variables.get("reinstatement_fee")
        return float(fee) if isinstance(fee, int | float) and not isinstance(fee, bool) and fee > 0 else None

    @property
    def governing_country(self) -> str | None:
        """The country of the MSA's governing law (``CA``, ``GB``, ``US`` ...), if stated."""
        law = self.variables.get("governing_law")
        country = law.get("country") if isinstance(law, dict) else None
        return country if isinstance(country, str) else None


@dataclass(frozen=True)
class NoticeFacts:
    """The dates and reasons a notice states, fixed when its step was planned (stored with the step)."""

    step_key: str
    kind: StepKind
    template_id: str | None
    due_on: date
    planned_on: date
    pay_by: date | None = None
    suspension_on: date | None = None
    moved_reason: str | None = None

    @classmethod
    def of(cls, due: DueStep) -> NoticeFacts:
        """Return the facts of a planned step."""
        reasons = [m.reason for m in due.moves]
        reason = "; ".join(dict.fromkeys(reasons)) or None
        if reason is not None and len(reason) > _MAX_REASON:
            reason = reason[: _MAX_REASON - 1] + "…"
        return cls(
            step_key=due.step_key,
            kind=due.kind,
            template_id=due.template,
            due_on=due.due_on,
            planned_on=due.on,
            pay_by=due.pay_by,
            suspension_on=due.suspension_on,
            moved_reason=reason,
        )

    def as_json(self) -> dict[str, Any]:
        """Return the facts as JSON-able data (dates as ISO strings)."""
        return {
            "step_key": self.step_key,
            "kind": self.kind.value,
            "template_id": self.template_id,
            "due_on": self.due_on.isoformat(),
            "planned_on": self.planned_on.isoformat(),
            "pay_by": self.pay_by.isoformat() if self.pay_by else None,
            "suspension_on": self.suspension_on.isoformat() if self.suspension_on else None,
            "moved_reason": self.moved_reason,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NoticeFacts:
        """Rebuild facts stored with ``as_json``."""

        def day(name: str) -> date | None:
            value = data.get(name)
            return date.fromisoformat(value) if value else None

        due_on, planned_on = day("due_on"), day("planned_on")
        assert due_on is not None and planned_on is not None
        return cls(
            step_key=data["step_key"],
            kind=StepKind(data["kind"]),
            template_id=data.get("template_id"),
            due_on=due_on,
            planned_on=planned_on,
            pay_by=day("pay_by"),
            suspension_on=day("suspension_on"),
            moved_reason=data.get("moved_reason"),
        )

    def issued_on(self, day: date) -> NoticeFacts:
        """Return the facts for a notice that goes out on ``day`` (an approval given later).

        Later dates keep their distance from the notice (the ladder keeps its gaps after a late
        step), and a suspension takes effect on the day it is approved, never before.
        """
        shift = max((day - self.planned_on).days, 0)
        return replace(
            self,
            planned_on=day,
            pay_by=add_days(self.pay_by, shift) if self.pay_by else None,
            suspension_on=day
            if self.kind is StepKind.SUSPENSION
            else (add_days(self.suspension_on, shift) if self.suspension_on else None),
        )


def interest_on(
    invoice: InvoiceRecord, terms: ContractTerms | None, due_on: date, day: date, cap_percent: Decimal
) -> InterestAccrual | None:
    """Return the interest owed on ``day`` under the signed terms (``None`` when no rate is agreed)."""
    if terms is None:
        return None
    return accrue(
        invoice.amount_minor, terms.interest_rate_percent, from_date=due_on, to_date=day, cap_percent=cap_percent
    )


def _major(minor: int, currency: str) -> float:
    # Templates take numbers; the exact value comes from integer minor units.
    return float(to_decimal(minor, currency))


def _forum(msa: MsaFacts | None, jurisdiction: str) -> str:
    country = (msa.governing_country if msa else None) or jurisdiction.split("-")[0]
    return {"CA": "ca-bc", "GB": "gb-ewc"}.get(country.upper(), "us")


def notice_variables(
    facts: NoticeFacts,
    invoice: InvoiceRecord,
    *,
    day: date,
    interest: InterestAccrual | None,
    msa: MsaFacts | None,
    settings: NoticeSettings,
    jurisdiction: str,
    final_notice_on: date | None,
    allowed: set[str],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the variables of the notice for ``facts`` issued on ``day``, limited to ``allowed`` keys."""
    currency = invoice.currency
    interest_minor = interest.interest_minor if interest is not None else 0
    values: dict[str, Any] = {
        "counsel_reviewed": settings.counsel_reviewed,
        "invoices": [
            {
                "number": invoice.number,
                "issued_on": invoice.issued_on.isoformat(),
                "due_on": facts.due_on.isoformat(),
                "amount": _major(invoice.amount_minor, currency),
                "currency": currency,
                "days_overdue": min(max((day - facts.due_on).days, 0), 3650),
            }
        ],
        "total_due": _major(invoice.amount_minor + interest_minor, currency),
        "currency": currency,
        "contact": {"name": settings.contact_name},
        "payment": {"reference": invoice.number},
        "referral_date": day.isoformat(),
        "reinstated_on": day.isoformat(),
        "forum": _forum(msa, jurisdiction),
    }
    if settings.contact_title:
        values["contact"]["title"] = settings.contact_title
    if settings.contact_email:
        values["contact"]["email"] = settings.contact_email
    if settings.contact_phone:
        values["contact"]["phone"] = settings.contact_phone
    if settings.portal_url:
        values["payment"]["portal_url"] = settings.portal_url
    if settings.bank_details:
        values["payment"]["bank_details"] = settings.bank_details
    pay_by = facts.pay_by or add_days(day, settings.answer_days)
    values["pay_by"] = pay_by.isoformat()
    if facts.suspension_on is not None:
        values["suspension_date"] = facts.suspension_on.isoformat()
    if final_notice_on is not None:
        values["final_notice_date"] = final_notice_on.isoformat()
    if interest is not None and interest.applied_rate_percent > 0 and interest_minor > 0:
        rate = interest.applied_rate_percent
        values["interest"] = {
            "annual_rate_percent": int(rate) if rate == rate.to_integral_value() else float(rate),
            "amount": _major(interest_minor, currency),
        }
    if facts.moved_reason:
        values["moved_reason"] = facts.moved_reason
    if msa is not None:
        clause = msa.suspension_clause if facts.kind in _SUSPENSION_KINDS else msa.payment_clause
        clause = clause or msa.suspension_clause or msa.payment_clause
        if clause is not None:
            values["msa_clause"] = {
                "number": clause.number,
                "title": clause.title,
                "signed_on": clause.signed_on.isoformat(),
            }
        if msa.suspension_notice is not None:
            values["suspension_notice"] = msa.suspension_notice
        if msa.reinstatement_fee is not None:
            values["reinstatement_fee"] = msa.reinstatement_fee
    values.update(extra or {})
    return {key: value for key, value in values.items() if key in allowed}
