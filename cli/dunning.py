"""``undersign dunning run [--date D] [--dry-run] [--backfill]``: the daily ladder run, for cron, with progress.

A date in the future may only be planned (``--dry-run``); a past date issues now, dated that day,
every step due by then and not yet sent, so it must be asked for with ``--backfill`` (which shows
the plan before it sends anything). See ``domain.dunning.run_day``.

Safe to run again for the same day and on several hosts at once: each invoice is claimed with
SKIP LOCKED and every step is recorded once (see ``services.dunning``).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.deps_dunning import run_workers, unit_factory
from cli.context import DataDirOption, cli_actor, load_settings
from domain.dunning.run_day import check_run_day
from domain.errors import InvalidInput
from services.dunning_run import RunReport, run_dunning
from undersign.runtime import Runtime, build_runtime

app = typer.Typer(help="The payment escalation ladder.", no_args_is_help=True)


def dunning_job(runtime: Runtime) -> dict[str, int]:
    """Run the ladder for today (the ``run-due`` job) and return the counts of what it did."""
    report = run_dunning(unit_factory(runtime), cli_actor(), runtime.clock.now().date(), workers=run_workers(runtime))
    return _counts(report)


def _backfill_notice(plan: RunReport) -> str:
    """Say, before anything is sent, what a backfill will issue and how it is dated."""
    issued = [s for s in plan.steps if s.disposition == "issued"]
    lines = [
        f"Backfill for {plan.as_of.isoformat()}: {len(issued)} step(s) will be issued now, dated "
        f"{plan.as_of.isoformat()} (steps needing approval wait for a person):"
    ]
    lines += [f"  {s.invoice_number}: {s.step_key} ({s.kind})" for s in issued]
    return "\n".join(lines)


def _counts(report: RunReport) -> dict[str, int]:
    return {
        "invoices": report.invoices,
        "issued": report.issued,
        "awaiting_approval": report.awaiting_approval,
        "tasks": report.tasks,
        "skipped": report.skipped,
        "held": report.held,
        "suspended": report.suspended,
        "reinstated": report.reinstated,
        "failed": len(report.failed),
    }


@app.command("run")
def run(
    day: str | None = typer.Option(None, "--date", help="The run's day, YYYY-MM-DD (default: today)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show what would be issued; change nothing"),
    backfill: bool = typer.Option(
        False, "--backfill", help="For a past --date: issue now, dated that day, every step due by then and not sent"
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Issue every ladder step due on the day (notices filed and mailed, approvals queued)."""
    today = datetime.now().astimezone().date()
    try:
        as_of = date.fromisoformat(day) if day else today
    except ValueError as exc:
        typer.secho(f"error: --date must be YYYY-MM-DD, not {day!r}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    try:
        check_run_day(as_of, today, dry_run=dry_run, backfill=backfill)
    except InvalidInput as exc:
        hint = " Add --backfill to do that." if any(e.reason.startswith("in the past") for e in exc.errors) else ""
        typer.secho(f"error: {exc.detail}{hint}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    runtime = build_runtime(load_settings(data_dir))
    console = Console(stderr=True)
    try:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as progress:
            task = progress.add_task("Planning" if dry_run else "Issuing notices", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            if backfill:
                plan = run_dunning(unit_factory(runtime), cli_actor(), as_of, dry_run=True)
                console.print(_backfill_notice(plan))

            report = run_dunning(
                unit_factory(runtime),
                cli_actor(),
                as_of,
                dry_run=dry_run,
                workers=run_workers(runtime),
                progress=advance,
            )
    finally:
        close = getattr(runtime.renderer, "close", None)
        if close is not None:
            close()
        runtime.close()
    table = Table("invoice", "step", "kind", "disposition", "approval")
    for step in sorted(report.steps, key=lambda s: (s.invoice_number, s.step_key)):
        table.add_row(
            step.invoice_number, step.step_key, step.kind, step.disposition, "yes" if step.needs_approval else ""
        )
    Console().print(table)
    summary = ", ".join(f"{k}={v}" for k, v in _counts(report).items())
    typer.echo(f"{'dry run' if dry_run else 'run'} {as_of.isoformat()}: {summary}")
    for item, detail in report.failed:
        typer.secho(f"failed {item}: {detail}", fg=typer.colors.RED, err=True)
    if report.failed:
        raise typer.Exit(1)
