"""What the dunning run stores per invoice and step, and the approval queue built from it.

One ``StepRecord`` per (invoice, step), written in the same transaction as the step's effect (the
notice filed and mailed, the client suspended) under a UNIQUE (invoice, step) constraint: that
is what makes a re-run, or two runs at once, issue nothing twice.

A step that needs a person's approval is stored as ``awaiting_approval`` and its invoice waits
(no later step is planned) until it is approved (the notice goes out on the approval day, which
becomes the step's date, so later steps keep their gaps after it) or rejected (recorded, never
sent; the ladder treats it as skipped and moves on to the next step on its date).

A phone step is a task for the billing team: stored as ``open`` until a person marks it done
(with an optional note on how the call went). The ladder does not wait for it: for planning an
open task counts as issued, so the next steps still come on their dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from domain.dunning.issued import Disposition, IssuedStep
from domain.dunning.policy import StepKind

REINSTATEMENT_STEP = "reinstatement"
"""The step key of the reinstatement notice (not a ladder step: it follows payment after suspension)."""


class StepStatus(StrEnum):
    """Where a stored step stands."""

    DONE = "done"
    SKIPPED = "skipped"
    AWAITING_APPROVAL = "awaiting_approval"
    REJECTED = "rejected"
    OPEN = "open"
    """A phone task waiting for a person to make the call (the ladder goes on as if it were issued)."""


@dataclass(frozen=True)
class StepRecord:
    """A handled step of one invoice: what, when, how, and what it produced."""

    id: str
    invoice_id: str
    client_id: str
    step_key: str
    kind: str
    handled_on: date
    status: StepStatus
    created_at: datetime
    template_id: str | None = None
    superseded_by: str | None = None
    document_id: str | None = None
    mail_message_id: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None

    def issued_step(self) -> IssuedStep | None:
        """Return the record the planner reads (``None`` for records outside the ladder)."""
        if self.step_key == REINSTATEMENT_STEP:
            return None
        skipped = self.status in (StepStatus.SKIPPED, StepStatus.REJECTED)
        return IssuedStep(
            step_key=self.step_key,
            on=self.handled_on,
            disposition=Disposition.SKIPPED_SUPERSEDED if skipped else Disposition.ISSUED,
        )

    @property
    def is_notice(self) -> bool:
        """Whether the step sends something to the client."""
        return self.kind != StepKind.PHONE_TASK.value
