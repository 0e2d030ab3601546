"""``undersign users``: the first administrator of the staff console, and a new link for a locked-out one.

``create-admin`` prints the one-time link to set a password (valid for ``UNDERSIGN_CONSOLE__INVITE_HOURS``)
instead of mailing it, so a fresh ``make run`` gets its first admin without a mail relay.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cli.context import DataDirOption, cli_actor, command_services, fail, load_settings
from domain.errors import UndersignError
from domain.roles import Role

app = typer.Typer(help="Manage the staff console's users.", no_args_is_help=True)


@app.command("create-admin")
def create_admin(
    email: str = typer.Option(..., "--email", help="The administrator's e-mail address"),
    name: str = typer.Option(..., "--name", help="Their name as documents and the audit trail show it"),
    title: str = typer.Option("", "--title", help="Their job title (printed on certificates they send)"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Create an administrator and print a one-time link to set their password (shown once)."""
    settings = load_settings(data_dir)
    try:
        with command_services(settings) as services:
            issued = services.users().invite(email, name, title, [Role.ADMIN.value], by=cli_actor(), send=False)
    except UndersignError as exc:
        raise fail(exc) from exc
    hours = settings.console.invite_hours
    typer.echo(
        f"Created administrator {issued.user.email}. Open this link within {hours} hours to set the password "
        "(it works once):",
        err=True,
    )
    typer.echo(issued.url)


@app.command("reset-link")
def reset_link(
    email: str = typer.Option(..., "--email", help="The user's e-mail address"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Print a new one-time link to set the password of an existing user (also mailed to them)."""
    from domain.users import normalise_email

    settings = load_settings(data_dir)
    try:
        with command_services(settings) as services:
            user = services.users().by_email(normalise_email(email))
            issued = services.users().reissue_link(user.id, by=cli_actor())
    except UndersignError as exc:
        raise fail(exc) from exc
    typer.echo(f"New link for {issued.user.email} (it works once):", err=True)
    typer.echo(issued.url)
