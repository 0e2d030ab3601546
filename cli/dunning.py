"""``undersign dunning run [--date D] [--dry-run]``: the daily ladder run, for cron, with progress.

Safe to run again for the same day and on several hosts at once: each invoice is claimed with
SKIP LOCKED and every step is recorded once (see ``services.dunning``).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer

from cli.context import DataDirOption, cli_actor, command_runtime, load_settings

app = typer.Typer(help="The payment escalation ladder.", no_args_is_help=True)


@app.command("run")
def run(
    day: str | None = typer.Option(None, "--date", help="The run's day, YYYY-MM-DD (default: today)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show what would be issued; change nothing"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Issue every ladder step due on the day (notices filed and mailed, approvals queued)."""
    try:
        as_of = date.fromisoformat(day) if day else datetime.now().astimezone().date()
    except ValueError as exc:
        typer.secho(f"error: --date must be YYYY-MM-DD, not {day!r}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from undersign.jobs import dunning_counts, run_dunning_for

    console = Console(stderr=True)
    with (
        command_runtime(load_settings(data_dir)) as runtime,
        Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as progress,
    ):
        task = progress.add_task("Planning" if dry_run else "Issuing notices", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = run_dunning_for(runtime, cli_actor(), as_of, dry_run=dry_run, progress=advance)
    table = Table("invoice", "step", "kind", "disposition", "approval")
    for step in sorted(report.steps, key=lambda s: (s.invoice_number, s.step_key)):
        table.add_row(
            step.invoice_number, step.step_key, step.kind, step.disposition, "yes" if step.needs_approval else ""
        )
    Console().print(table)
    summary = ", ".join(f"{k}={v}" for k, v in dunning_counts(report).items())
    typer.echo(f"{'dry run' if dry_run else 'run'} {as_of.isoformat()}: {summary}")
    for item, detail in report.failed:
        typer.secho(f"failed {item}: {detail}", fg=typer.colors.RED, err=True)
    if report.failed:
        raise typer.Exit(1)
