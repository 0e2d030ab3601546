"""What every CLI command shares: settings (honouring ``--data-dir``), the runtime, a unit of work, errors.

Heavy libraries (SQLAlchemy, WeasyPrint, pyHanko, boto3) are imported inside the functions that need
them, so ``undersign --help`` and ``--version`` answer at once.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from domain.actor import Actor, ActorKind
from domain.errors import UndersignError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from undersign.runtime import Runtime
    from undersign.service_factory import ServiceFactory
    from undersign.settings import Settings


def load_settings(data_dir: Path | None) -> Settings:
    """Read settings from the environment; ``--data-dir`` wins over ``UNDERSIGN_DATA_DIR``."""
    from pydantic import ValidationError

    from undersign.dev_store import use_running_dev_store
    from undersign.settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        typer.secho(f"Settings are invalid:\n{exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    return use_running_dev_store(settings)


@contextmanager
def command_runtime(settings: Settings) -> Iterator[Runtime]:
    """Build the runtime for one command (the same builder as the API's) and close it afterwards."""
    from undersign.runtime import build_runtime

    runtime = build_runtime(settings)
    try:
        yield runtime
    finally:
        runtime.close()


@contextmanager
def command_services(settings: Settings) -> Iterator[ServiceFactory]:
    """Open one unit of work for a command and yield its services; it commits when the command succeeds."""
    from storage.database import unit_of_work
    from undersign.service_factory import ServiceFactory

    with command_runtime(settings) as runtime, unit_of_work(runtime.sessions) as session:
        yield ServiceFactory(session, runtime)


@contextmanager
def database_session(settings: Settings) -> Iterator[Session]:
    """Open a unit of work on the configured database; it commits when the command succeeds."""
    with command_services(settings) as services:
        yield services.session


def debug_requested() -> bool:
    """Tell whether the command line asked for tracebacks (``undersign --debug ...``)."""
    return "--debug" in sys.argv[1:]


def fail(error: UndersignError) -> typer.Exit:
    """Print a domain error the way a person can act on it and return the exit to raise (``--debug``: re-raise)."""
    if debug_requested():
        raise error
    typer.secho(f"error: {error.detail}", fg=typer.colors.RED, err=True)
    for field in error.errors:
        typer.secho(f"  {field.pointer}: {field.reason}", fg=typer.colors.RED, err=True)
    return typer.Exit(1)


DataDirOption = typer.Option(None, "--data-dir", help="Data folder (default: UNDERSIGN_DATA_DIR or ./var)")


def cli_actor() -> Actor:
    """Return the identity the audit trail records for a command run from a shell."""
    return Actor(name=f"cli:{getpass.getuser()}", kind=ActorKind.SYSTEM)
