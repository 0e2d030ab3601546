"""What the ladder has already done for an invoice: one record per invoice and step, never two.

The caller stores a record for every ``DueStep`` the planner returns (issued or skipped), in the
same transaction as the step's effect, with a unique key on (invoice, step). The planner treats a
step that has a record as done, which is what makes a re-run for the same day issue nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Disposition(StrEnum):
    """What happened to a step: issued, or skipped because a more severe step superseded it."""

    ISSUED = "issued"
    SKIPPED_SUPERSEDED = "skipped-superseded"


@dataclass(frozen=True)
class IssuedStep:
    """The record of one step of one invoice: its key, the day it was handled, and how."""

    step_key: str
    on: date
    disposition: Disposition = Disposition.ISSUED
