"""``undersign audit``: verify the chain against the signed checkpoints, or sign a checkpoint now."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from cli.context import DataDirOption, cli_actor, command_services, fail, load_settings
from domain.errors import UndersignError

app = typer.Typer(help="The tamper-evident audit chain.", no_args_is_help=True)


@app.command("verify")
def verify(
    as_json: bool = typer.Option(False, "--json", help="Print the full result as JSON"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Verify the whole chain against the checkpoints in the object store; exit 1 when it is broken."""
    try:
        with command_services(load_settings(data_dir)) as services:
            result = services.audit().verify()
    except UndersignError as exc:
        raise fail(exc) from exc
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2, sort_keys=True))
    else:
        typer.echo(("OK: " if result.ok else "BROKEN: ") + result.verdict.message)
        typer.echo(f"checkpoints verified from the object store: {result.checkpoints_verified}")
        for problem in result.problems:
            typer.echo(f"checkpoint problem at seq {problem.seq} ({problem.key}): {problem.reason}")
    if not result.ok:
        raise typer.Exit(1)


@app.command("checkpoint")
def checkpoint(data_dir: Path | None = DataDirOption) -> None:
    """Sign the chain head now and file it in the object store under Object Lock."""
    try:
        with command_services(load_settings(data_dir)) as services:
            stored = services.audit().checkpoint(cli_actor())
            if stored is None:  # only_if_changed is off here, so a checkpoint is always signed
                raise typer.Exit(1)
            typer.echo(f"Signed seq {stored.seq} ({stored.signed.statement.hash}) -> {stored.blob.key}")
    except UndersignError as exc:
        raise fail(exc) from exc
