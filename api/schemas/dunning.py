"""Request and response bodies of the invoice and dunning routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from domain.dunning import ClientOverview, LadderPolicy
from domain.dunning.records import StepRecord
from domain.invoices import InvoiceRecord
from domain.money import format_amount
from domain.text import LongText
from services.dunning import TASK_NOTE_MAX, PhoneTask, PlannedStep
from services.dunning_run import RunReport

Day = date  # the run bodies have a field named ``date``, which would shadow the type


class InvoiceOut(BaseModel):
    """An invoice and the state it is in today."""

    id: str
    number: str
    client_id: str
    amount: str
    amount_minor: int
    currency: str
    issued_on: date
    due_on: date
    state: str
    paid_on: date | None
    disputed_since: date | None
    dispute_reason: str | None
    paused_until: date | None
    promise_to_pay_on: date | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, invoice: InvoiceRecord, today: date) -> InvoiceOut:
        """Describe ``invoice`` as of ``today``."""
        return cls(
            id=invoice.id,
            number=invoice.number,
            client_id=invoice.client_id,
            amount=format_amount(invoice.amount_minor, invoice.currency),
            amount_minor=invoice.amount_minor,
            currency=invoice.currency,
            issued_on=invoice.issued_on,
            due_on=invoice.due_on,
            state=invoice.status(today).value,
            paid_on=invoice.paid_on,
            disputed_since=invoice.disputed_since,
            dispute_reason=invoice.dispute_reason,
            paused_until=invoice.paused_until,
            promise_to_pay_on=invoice.promise_to_pay_on,
            created_at=invoice.created_at,
            updated_at=invoice.updated_at,
        )


class InvoicePageOut(BaseModel):
    """One page of invoices and the cursor (an invoice number) of the next."""

    items: list[InvoiceOut]
    next_cursor: str | None


class RunRequest(BaseModel):
    """Run the ladder for a day (default today), or only plan it."""

    model_config = ConfigDict(extra="forbid")

    date: Day | None = None
    dry_run: bool = False
    backfill: bool = Field(
        default=False,
        description="Required for a past date: issue now, dated that day, every step due by then and not sent",
    )


class PlannedStepOut(BaseModel):
    """One step a run handled or would handle."""

    invoice_id: str
    invoice_number: str
    client_id: str
    step: str
    kind: str
    on: date
    disposition: str
    needs_approval: bool
    template: str | None
    superseded_by: str | None

    @classmethod
    def of(cls, step: PlannedStep) -> PlannedStepOut:
        """Describe ``step``."""
        return cls(
            invoice_id=step.invoice_id,
            invoice_number=step.invoice_number,
            client_id=step.client_id,
            step=step.step_key,
            kind=step.kind,
            on=step.on,
            disposition=step.disposition,
            needs_approval=step.needs_approval,
            template=step.template,
            superseded_by=step.superseded_by,
        )


class RunOut(BaseModel):
    """What a run did (or would do)."""

    date: Day
    dry_run: bool
    invoices: int
    issued: int
    awaiting_approval: int
    tasks: int
    skipped: int
    held: int
    locked: int
    suspended: int
    reinstated: int
    failed: list[dict[str, str]]
    steps: list[PlannedStepOut]

    @classmethod
    def of(cls, report: RunReport) -> RunOut:
        """Describe ``report``."""
        return cls(
            date=report.as_of,
            dry_run=report.dry_run,
            invoices=report.invoices,
            issued=report.issued,
            awaiting_approval=report.awaiting_approval,
            tasks=report.tasks,
            skipped=report.skipped,
            held=report.held,
            locked=report.locked,
            suspended=report.suspended,
            reinstated=report.reinstated,
            failed=[{"id": i, "detail": d} for i, d in report.failed],
            steps=[PlannedStepOut.of(s) for s in sorted(report.steps, key=lambda s: (s.invoice_number, s.step_key))],
        )


class ApprovalOut(BaseModel):
    """A step waiting for (or after) a person's decision."""

    id: str
    invoice_id: str
    invoice_number: str
    client_id: str
    step: str
    kind: str
    planned_on: date
    status: str
    facts: dict[str, Any]
    document_id: str | None
    decided_by: str | None
    decided_at: datetime | None
    note: str | None

    @classmethod
    def of(cls, record: StepRecord, number: str) -> ApprovalOut:
        """Describe ``record`` of the invoice numbered ``number``."""
        return cls(
            id=record.id,
            invoice_id=record.invoice_id,
            invoice_number=number,
            client_id=record.client_id,
            step=record.step_key,
            kind=record.kind,
            planned_on=record.handled_on,
            status=record.status.value,
            facts=record.facts,
            document_id=record.document_id,
            decided_by=record.decided_by,
            decided_at=record.decided_at,
            note=record.decision_note,
        )


class DecisionIn(BaseModel):
    """An approver's optional note."""

    model_config = ConfigDict(extra="forbid")

    note: Annotated[LongText, Field(max_length=1000)] | None = None


class TaskOut(BaseModel):
    """A phone task for the billing team: whom to call about which invoice, and whether it is done."""

    id: str
    status: str
    step: str
    on: date
    client_id: str
    client_name: str
    invoice_id: str
    invoice_number: str
    amount_due: str
    contact_name: str | None
    contact_email: str | None
    billing_email: str | None
    done_by: str | None
    done_at: datetime | None
    note: str | None

    @classmethod
    def of(cls, task: PhoneTask) -> TaskOut:
        """Describe ``task``."""
        record, invoice, client = task.record, task.invoice, task.client
        contact = client.primary_contact
        return cls(
            id=record.id,
            status=record.status.value,
            step=record.step_key,
            on=record.handled_on,
            client_id=client.id,
            client_name=client.legal_name,
            invoice_id=invoice.id,
            invoice_number=invoice.number,
            amount_due=format_amount(invoice.amount_minor, invoice.currency),
            contact_name=contact.name if contact else None,
            contact_email=str(contact.email) if contact else None,
            billing_email=str(client.billing_email) if client.billing_email else None,
            done_by=record.decided_by,
            done_at=record.decided_at,
            note=record.decision_note,
        )


class TaskDoneIn(BaseModel):
    """The optional note on how the call went."""

    model_config = ConfigDict(extra="forbid")

    note: Annotated[LongText, Field(max_length=TASK_NOTE_MAX)] | None = None


class PolicyOut(BaseModel):
    """A client's ladder: its stored override and the ladder in force."""

    client_id: str
    override: dict[str, Any] | None
    effective: dict[str, Any]


def policy_as_data(policy: LadderPolicy) -> dict[str, Any]:
    """Return ``policy`` in the YAML format it is written in."""
    weekdays = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    return {
        "anchor": policy.anchor.value,
        "day_count": policy.day_count.value,
        "weekend": [weekdays[d] for d in sorted(policy.weekend)],
        "holidays": [d.isoformat() for d in sorted(policy.holidays)],
        "promise_grace_days": policy.promise_grace_days,
        "interest_rate_cap_percent": str(policy.interest_rate_cap_percent),
        "steps": [
            {
                "key": s.key,
                "offset": s.offset,
                "kind": s.kind.value,
                "template": s.template,
                "channels": [c.value for c in s.channels],
                "needs_approval": s.needs_approval,
            }
            for s in policy.steps
        ],
    }


class StepRefOut(BaseModel):
    """A step of the ladder for one invoice and its day."""

    invoice_id: str
    step: str
    kind: str
    on: date
    needs_approval: bool | None = None


class OverviewOut(BaseModel):
    """One client's position in the ladder."""

    client_id: str
    legal_name: str
    overdue: dict[str, str]
    disputed: dict[str, str]
    interest: dict[str, str]
    overdue_invoices: int
    oldest_days_overdue: int | None
    current_step: StepRefOut | None
    next_step: StepRefOut | None
    open_tasks: int = 0

    @classmethod
    def of(cls, view: ClientOverview, legal_name: str, open_tasks: int = 0) -> OverviewOut:
        """Describe ``view``."""
        current = view.current_step
        upcoming = view.next_step
        return cls(
            client_id=view.client_id,
            legal_name=legal_name,
            overdue={c: format_amount(v, c) for c, v in view.overdue_minor.items()},
            disputed={c: format_amount(v, c) for c, v in view.disputed_minor.items()},
            interest={c: format_amount(v, c) for c, v in view.interest_minor.items()},
            overdue_invoices=view.overdue_invoices,
            oldest_days_overdue=view.oldest_days_overdue,
            open_tasks=open_tasks,
            current_step=StepRefOut(
                invoice_id=current.invoice_id, step=current.step_key, kind=current.kind.value, on=current.on
            )
            if current
            else None,
            next_step=StepRefOut(
                invoice_id=upcoming.invoice_id,
                step=upcoming.step_key,
                kind=upcoming.kind.value,
                on=upcoming.on,
                needs_approval=upcoming.needs_approval,
            )
            if upcoming
            else None,
        )
