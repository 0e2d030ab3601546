"""``undersign keys``: create (the key is printed once, alone on the last line), list, revoke."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.context import DataDirOption, cli_actor, command_services, fail, load_settings
from domain.errors import UndersignError
from domain.roles import Role

app = typer.Typer(help="Manage API keys.", no_args_is_help=True)


@app.command("create")
def create(
    name: str = typer.Option(..., "--name", help="A unique name, e.g. alice or billing-bot"),
    role: Role = typer.Option(..., "--role", help="admin, sales, tech, billing or auditor"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Create an API key; it is shown once, alone on the last line of stdout."""
    settings = load_settings(data_dir)
    try:
        with command_services(settings) as services:
            _record, key = services.api_keys().create(name, role, by=cli_actor())
    except UndersignError as exc:
        raise fail(exc) from exc
    typer.echo(f"Created key '{name}' with role '{role}'. Store it now: it is not shown again.", err=True)
    typer.echo(key)


@app.command("list")
def list_keys(data_dir: Path | None = DataDirOption) -> None:
    """List keys (names, roles, dates; never the keys)."""
    settings = load_settings(data_dir)
    from rich.console import Console
    from rich.table import Table

    with command_services(settings) as services:
        records = services.api_keys().list()
    table = Table("name", "role", "created", "revoked")
    for record in records:
        table.add_row(
            record.name,
            record.role.value if record.role is not None else "its user's roles",
            record.created_at.isoformat(timespec="seconds"),
            record.revoked_at.isoformat(timespec="seconds") if record.revoked_at else "",
        )
    Console().print(table)


@app.command("revoke")
def revoke(name: str = typer.Argument(..., help="The key's name"), data_dir: Path | None = DataDirOption) -> None:
    """Revoke a key; requests with it get 401 from now on."""
    settings = load_settings(data_dir)
    try:
        with command_services(settings) as services:
            services.api_keys().revoke(name, by=cli_actor())
    except UndersignError as exc:
        raise fail(exc) from exc
    typer.echo(f"Revoked key '{name}'.")
