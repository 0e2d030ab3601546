"""Which day a dunning run may be for: today, a plan of a future day, or a backfill asked for by name.

A run issues real notices and mails them now. A run "for" a future day would send today letters
that claim a later date and count days that have not passed, so only a dry run (a plan) may look
ahead. A run for a past day catches up on steps that should have gone out then (the server was
down, the job did not run): that is a backfill, and it must be asked for explicitly, because it
sends now every notice that was due by that day. Backfilled notices are dated with the run day.
"""

from __future__ import annotations

from datetime import date

from domain.bounds import date_problem
from domain.errors import FieldError, InvalidInput

BACKFILL_YEARS = 1
"""How far back a backfill may reach: older steps are a matter for a person, not a batch."""


def check_run_day(day: date, today: date, *, dry_run: bool, backfill: bool) -> None:
    """Raise ``InvalidInput`` unless a run for ``day`` (seen on ``today``) is allowed with these flags."""
    problem = date_problem(day, today)
    if problem is not None:
        raise InvalidInput(f"The run date {day.isoformat()} is not usable.", errors=[FieldError("/date", problem)])
    if backfill and day >= today:
        raise InvalidInput(
            "A backfill is for a past date only; for today run without it.",
            errors=[FieldError("/backfill", "only with a date before today")],
        )
    if day > today and not dry_run:
        raise InvalidInput(
            f"{day.isoformat()} is in the future: a run would mail notices now that count days not yet passed. "
            "Only a dry run may plan a future day.",
            errors=[FieldError("/date", "in the future; allowed with a dry run only")],
        )
    if day < today and not dry_run and not backfill:
        raise InvalidInput(
            f"{day.isoformat()} is in the past: a run for it would mail now, dated {day.isoformat()}, every "
            "notice due by then that was not sent. Ask for that explicitly as a backfill, or do a dry run first.",
            errors=[FieldError("/date", "in the past; allowed as a backfill or a dry run")],
        )
    if backfill and (today - day).days > 366 * BACKFILL_YEARS:
        raise InvalidInput(
            f"A backfill reaches back at most {BACKFILL_YEARS} year; {day.isoformat()} is earlier.",
            errors=[FieldError("/date", f"at most {BACKFILL_YEARS} year before today for a backfill")],
        )
