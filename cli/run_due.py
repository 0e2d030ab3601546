"""``undersign run-due``: do the work that has fallen due (for cron; idempotent; safe on several hosts).

Each job claims its own work (row locks with SKIP LOCKED on PostgreSQL) and commits each item's
effect together with its "done" mark, so a crash repeats nothing and loses nothing, and two hosts
running at once never do the same item twice.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer

from cli.context import DataDirOption, load_settings
from cli.dunning import dunning_job
from cli.envelopes_due import envelope_due
from undersign.audit_runtime import checkpoint_due, reviews_due
from undersign.idempotency_runtime import purge_idempotency_keys
from undersign.runtime import Runtime, build_runtime
from undersign.webhooks_runtime import webhooks_due

# A job does one kind of due work and returns counts for the summary line (e.g. {"reminded": 2}).
DueJob = Callable[[Runtime], dict[str, int]]

# Each area adds its jobs here, in the order they should run.
JOBS: list[tuple[str, DueJob]] = [
    ("risk-reviews", reviews_due),
    ("envelopes", envelope_due),
    ("dunning", dunning_job),
    ("webhooks", webhooks_due),
    ("idempotency-keys", purge_idempotency_keys),
    # Last, so the signed head covers what the jobs above recorded.
    ("audit-checkpoint", checkpoint_due),
]


def run_jobs(runtime: Runtime) -> dict[str, dict[str, int]]:
    """Run every due job once and return what each did."""
    return {name: job(runtime) for name, job in JOBS}


def run_due(data_dir: Path | None = DataDirOption) -> None:
    """Send reminders, expire envelopes, retry sealing, checkpoint the audit chain, flag reviews."""
    settings = load_settings(data_dir)
    runtime = build_runtime(settings)
    try:
        for name, counts in run_jobs(runtime).items():
            summary = ", ".join(f"{key}={value}" for key, value in counts.items()) or "nothing due"
            typer.echo(f"{name}: {summary}")
    finally:
        close = getattr(runtime.renderer, "close", None)
        if close is not None:
            close()
        runtime.close()
