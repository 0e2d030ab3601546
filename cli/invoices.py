"""``undersign invoices import FILE.csv``: record invoices from a CSV export, idempotently, with progress.

The CSV has a header row with the columns ``number, client_id, amount, currency, issued_on,
due_on`` (amount as a plain decimal such as ``1250.00``, dates as ``YYYY-MM-DD``). Each good row
is recorded; each bad row is reported with its line number and reason, and the others still go
in. The file must be UTF-8 (a byte-order mark is fine): a line with bytes that are not UTF-8 (a
Latin-1 or Windows-1252 export, say) is reported with the column of the first bad byte, and the
other lines still go in. A row whose invoice number is already stored with the same details changes nothing, so the
same file can be imported again safely; one that contradicts the stored invoice is reported.
Exit code 0 when every row is good, 1 when some were reported.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.context import DataDirOption, cli_actor, database_session, load_settings
from cli.csv_lines import decode_lines
from domain.actor import Actor
from domain.errors import UndersignError

if TYPE_CHECKING:
    from pydantic import ValidationError
    from rich.progress import Progress
    from sqlalchemy.orm import Session

app = typer.Typer(help="Invoices.", no_args_is_help=True)
COLUMNS = ("number", "client_id", "amount", "currency", "issued_on", "due_on")


def _reason(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "row"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def import_rows(
    session: Session, actor: Actor, path: Path, progress: Progress | None = None
) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """Import ``path`` in ``session``; return counts per result and the (line, reason) of each bad row."""
    from pydantic import ValidationError

    from adapters.clock import SystemClock
    from domain.invoices import InvoiceDraft
    from services.invoices import ImportResult, InvoiceService
    from storage.audit_trail import SqlAuditTrail
    from storage.client_repository import SqlClientRepository
    from storage.invoice_repository import SqlInvoiceRepository

    clock = SystemClock()
    service = InvoiceService(
        SqlInvoiceRepository(session), SqlClientRepository(session), clock, SqlAuditTrail(session, clock)
    )
    counts = {ImportResult.CREATED.value: 0, ImportResult.UNCHANGED.value: 0}
    bad: list[tuple[int, str]] = []
    lines = decode_lines(path.read_bytes())
    # A line that is not UTF-8 is reported and skipped; the other rows still go in.
    bad += lines.bad
    total = max(len(lines.good) - 1, 0)
    task = progress.add_task("Importing invoices", total=total) if progress else None
    reader = csv.DictReader(lines.iterate())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return counts, [(1, f"the header lacks the column(s): {', '.join(missing)}")]
    for row in reader:
        line = lines.current
        try:
            extra = [k for k in row if k not in COLUMNS]
            if extra or None in row.values():
                raise ValueError("the row has more fields than the header")
            draft = InvoiceDraft.model_validate({k: (row[k] or "").strip() for k in COLUMNS})
            with session.begin_nested():
                counts[service.import_row(actor, draft).value] += 1
        except ValidationError as exc:
            bad.append((line, _reason(exc)))
        except UndersignError as exc:
            reasons = "; ".join(f"{e.pointer.strip('/')}: {e.reason}" for e in exc.errors)
            bad.append((line, f"{exc.detail}{' (' + reasons + ')' if reasons else ''}"))
        except ValueError as exc:
            bad.append((line, str(exc)))
        if progress is not None and task is not None:
            progress.advance(task)
    return counts, sorted(bad)


@app.command("import")
def import_csv(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="CSV file with a header row"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Record the invoices of a CSV file; bad rows are reported by line and the good ones imported."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    settings = load_settings(data_dir)
    console = Console(stderr=True)
    with (
        Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
        ) as progress,
        database_session(settings) as session,
    ):
        counts, bad = import_rows(session, cli_actor(), file, progress)
    for line, reason in bad:
        typer.secho(f"line {line}: {reason}", fg=typer.colors.RED, err=True)
    typer.echo(f"imported {counts['created']}, unchanged {counts['unchanged']}, refused {len(bad)}")
    if bad:
        raise typer.Exit(1)
