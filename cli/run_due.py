"""``undersign run-due``: do the work that has fallen due (for cron; idempotent; safe on several hosts).

Each job claims its own work (row locks with SKIP LOCKED on PostgreSQL) and commits each item's
effect together with its "done" mark, so a crash repeats nothing and loses nothing, and two hosts
running at once never do the same item twice. A job that fails is reported and the others still run;
the command then exits 1.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cli.context import DataDirOption, command_runtime, load_settings


def run_due(data_dir: Path | None = DataDirOption) -> None:
    """Send reminders, expire envelopes, retry sealing, checkpoint the audit chain, flag reviews."""
    from undersign.jobs import run_jobs

    with command_runtime(load_settings(data_dir)) as runtime:
        results = run_jobs(runtime)
    for name, counts in results.items():
        summary = ", ".join(f"{key}={value}" for key, value in counts.items()) or "nothing due"
        typer.echo(f"{name}: {summary}")
    if any("job_failed" in counts for counts in results.values()):
        raise typer.Exit(1)
