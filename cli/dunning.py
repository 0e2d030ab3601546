"""``undersign dunning run [--date D] [--dry-run] [--backfill]``: the daily ladder run, for cron, with progress.

``undersign dunning tasks`` lists the phone calls the ladder has left open for the billing team.

Safe to run again for the same day and on several hosts at once: each invoice is claimed with
SKIP LOCKED and every step is recorded once (see ``services.dunning``). A future day is refused
unless it is a dry run; a past day is a backfill that must be asked for and says what it will send.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.context import DataDirOption, cli_actor, command_runtime, command_services, load_settings
from domain.errors import InvalidInput

if TYPE_CHECKING:
    from services.dunning_run import RunReport

app = typer.Typer(help="The payment escalation ladder.", no_args_is_help=True)


def _backfill_notice(plan: RunReport) -> str:
    """Say, before anything is sent, what a backfill will issue and how it is dated."""
    issued = [s for s in plan.steps if s.disposition == "issued"]
    lines = [
        f"Backfill for {plan.as_of.isoformat()}: {len(issued)} step(s) will be issued now, dated "
        f"{plan.as_of.isoformat()} (steps needing approval wait for a person):"
    ]
    lines += [f"  {s.invoice_number}: {s.step_key} ({s.kind})" for s in issued]
    return "\n".join(lines)


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
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from domain.dunning.run_day import check_run_day
    from undersign.jobs import dunning_counts, run_dunning_for

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

        if backfill:
            console.print(_backfill_notice(run_dunning_for(runtime, cli_actor(), as_of, dry_run=True)))
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


@app.command("tasks")
def tasks(data_dir: Path | None = DataDirOption) -> None:
    """List the open phone tasks: whom to call, about which invoice and amount, and how to reach them."""
    from rich.console import Console
    from rich.table import Table

    from domain.dunning.records import StepStatus
    from domain.money import format_amount

    with command_services(load_settings(data_dir)) as factory:
        found = factory.dunning().tasks(StepStatus.OPEN, limit=500)
    table = Table("id", "date", "step", "client", "invoice", "amount due", "reach")
    for task in found:
        contact = task.client.primary_contact
        reach = f"{contact.name} <{contact.email}>" if contact else str(task.client.billing_email or "")
        table.add_row(
            task.record.id,
            task.record.handled_on.isoformat(),
            task.record.step_key,
            task.client.legal_name,
            task.invoice.number,
            format_amount(task.invoice.amount_minor, task.invoice.currency) + f" {task.invoice.currency}",
            reach,
        )
    Console(width=200).print(table)
    typer.echo(f"{len(found)} open phone task(s); mark one done with POST /v1/dunning/tasks/{{id}}/done.")
