"""``undersign invoices import|payments FILE.csv``: invoices and payments from exports, idempotently.

``import`` reads undersign's own columns (``number, client_id, amount, currency, issued_on,
due_on``; a row may name its client by ``client_system`` and ``client_external_id`` instead), a
QuickBooks Online A/R report (``--format quickbooks``) or a Xero sales invoice export
(``--format xero``); see ``domain.accounting_exports`` for the columns. Each good row is recorded;
each bad row is reported with its line number and reason, and the others still go in. A row whose
invoice number is already stored with the same details changes nothing, so the same file can be
imported again safely; one that contradicts the stored invoice is reported. ``payments`` marks
invoices paid the same way. The file must be UTF-8 (a byte-order mark is fine): a line with bytes that
are not UTF-8 (a Latin-1 or Windows-1252 export, say) is reported with the column of the first bad byte,
and the other lines still go in. Exit code 0 when every row is good, 1 when some were reported.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.context import DataDirOption, cli_actor, command_services, load_settings
from domain.accounting_exports import DateOrder, ExportFormat
from domain.actor import Actor
from domain.csv_lines import decode_lines
from domain.errors import UndersignError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from services.invoice_imports import InvoiceImporter
    from undersign.service_factory import ServiceFactory

app = typer.Typer(help="Invoices.", no_args_is_help=True)


def importer(services: ServiceFactory) -> InvoiceImporter:
    """Return the importer over a CLI unit of work, with the invoice and external-id services of the factory."""
    return services.invoice_importer()


def import_rows(
    services: ServiceFactory,
    actor: Actor,
    path: Path,
    progress: Progress | None = None,
    *,
    fmt: ExportFormat = ExportFormat.UNDERSIGN,
    currency: str | None = None,
    date_order: DateOrder | None = None,
) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """Import ``path`` in the unit of work of ``services``; return counts per result and each bad row."""
    from domain.accounting_exports import parse_invoices

    # A line that is not UTF-8 is reported and left out; the other rows still go in.
    lines = decode_lines(path.read_bytes())
    parsed = parse_invoices(lines.text(), fmt, currency=currency, date_order=date_order)
    task = progress.add_task("Importing invoices", total=len(parsed.rows)) if progress else None

    def advance() -> None:
        if progress is not None and task is not None:
            progress.advance(task)

    report = importer(services).invoices(
        actor, parsed.rows, services.session.begin_nested, [*lines.bad, *parsed.errors], advance
    )
    return {"created": report.created, "unchanged": report.unchanged}, report.refused


def _progress(console: Console) -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    )


FormatOption = typer.Option(ExportFormat.UNDERSIGN, "--format", help="undersign, quickbooks or xero")
CurrencyOption = typer.Option(None, "--currency", help="Currency of an export that names none (QuickBooks)")
DateOrderOption = typer.Option(None, "--date-order", help="mdy or dmy for slashed dates (default by format)")


@app.command("import")
def import_csv(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="CSV file with a header row"),
    fmt: ExportFormat = FormatOption,
    currency: str | None = CurrencyOption,
    date_order: DateOrder | None = DateOrderOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Record the invoices of a CSV file; bad rows are reported by line and the good ones imported."""
    from rich.console import Console

    settings = load_settings(data_dir)
    with _progress(Console(stderr=True)) as progress, command_services(settings) as services:
        counts, bad = import_rows(
            services, cli_actor(), file, progress, fmt=fmt, currency=currency, date_order=date_order
        )
    for line, reason in bad:
        typer.secho(f"line {line}: {reason}", fg=typer.colors.RED, err=True)
    typer.echo(f"imported {counts['created']}, unchanged {counts['unchanged']}, refused {len(bad)}")
    if bad:
        raise typer.Exit(1)


@app.command("payments")
def import_payments(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="CSV file with a header row"),
    fmt: ExportFormat = FormatOption,
    as_of: str = typer.Option(
        None, "--as-of", help="Day a QuickBooks/Xero export was taken (YYYY-MM-DD; default today): its paid date"
    ),
    date_order: DateOrder | None = DateOrderOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Mark invoices paid from a payments CSV (number, paid_on) or a QuickBooks/Xero export."""
    from adapters.clock import SystemClock
    from domain.accounting_exports import parse_payments
    from services.invoice_imports import error_reason

    settings = load_settings(data_dir)
    try:
        export_day = date.fromisoformat(as_of) if as_of else SystemClock().now().date()
    except ValueError as exc:
        typer.secho(f"--as-of '{as_of}' is not a date (YYYY-MM-DD)", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    lines = decode_lines(file.read_bytes())
    parsed = parse_payments(lines.text(), fmt, as_of=export_day, date_order=date_order)
    counts = {"paid": 0, "unchanged": 0}
    bad = list(lines.bad) + list(parsed.errors)
    with command_services(settings) as services:
        service = importer(services)
        session = services.session
        for row in parsed.rows:
            try:
                with session.begin_nested():
                    counts[service.payment(cli_actor(), row).value] += 1
            except UndersignError as exc:
                bad.append((row.line, error_reason(exc)))
    for line, reason in sorted(bad):
        typer.secho(f"line {line}: {reason}", fg=typer.colors.RED, err=True)
    typer.echo(f"paid {counts['paid']}, unchanged {counts['unchanged']}, refused {len(bad)}")
    if bad:
        raise typer.Exit(1)
