"""``undersign run-due``: do the work that has fallen due (for cron; idempotent; safe on several hosts).

Each job claims its own work (row locks with SKIP LOCKED on PostgreSQL) and commits each item's
effect together with its "done" mark, so a crash repeats nothing and loses nothing, and two hosts
running at once never do the same item twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import typer

from cli.context import DataDirOption, load_settings
from cli.dunning import dunning_job
from cli.envelopes_due import envelope_due
from undersign.audit_runtime import checkpoint_due, reviews_due
from undersign.runtime import Runtime, build_runtime

_log = logging.getLogger(__name__)

# A job does one kind of due work and returns counts for the summary line (e.g. {"reminded": 2}).
DueJob = Callable[[Runtime], dict[str, int]]

# Each area adds its jobs here, in the order they should run.
JOBS: list[tuple[str, DueJob]] = [
    ("risk-reviews", reviews_due),
    ("envelopes", envelope_due),
    ("dunning", dunning_job),
    # Last, so the signed head covers what the jobs above recorded.
    ("audit-checkpoint", checkpoint_due),
]


def run_jobs(runtime: Runtime) -> dict[str, dict[str, int]]:
    """Run every due job once and return what each did; a job that fails is logged and the next one runs.

    One job's failure (a record no check foresaw) must not stop the others: above all, the audit
    checkpoint at the end must still be signed.
    """
    done: dict[str, dict[str, int]] = {}
    for name, job in JOBS:
        try:
            done[name] = job(runtime)
        except Exception:
            _log.exception("run-due: job %s failed", name)
            done[name] = {"job_failed": 1}
    return done


def run_due(data_dir: Path | None = DataDirOption) -> None:
    """Send reminders, expire envelopes, retry sealing, checkpoint the audit chain, flag reviews."""
    settings = load_settings(data_dir)
    runtime = build_runtime(settings)
    try:
        results = run_jobs(runtime)
        for name, counts in results.items():
            summary = ", ".join(f"{key}={value}" for key, value in counts.items()) or "nothing due"
            typer.echo(f"{name}: {summary}")
    finally:
        close = getattr(runtime.renderer, "close", None)
        if close is not None:
            close()
        runtime.close()
    if any("job_failed" in counts for counts in results.values()):
        raise typer.Exit(1)
