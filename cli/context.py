"""What every CLI command shares: settings (honouring ``--data-dir``) and a unit of work."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from pydantic import SecretStr, ValidationError
from sqlalchemy.orm import Session

from adapters.clock import SystemClock
from adapters.seaweedfs_discovery import find_running_store
from domain.actor import Actor
from domain.errors import UndersignError
from services.api_keys import ApiKeyService
from storage.api_key_repository import SqlApiKeyRepository
from storage.audit_trail import SqlAuditTrail
from storage.database import make_session_factory, unit_of_work
from undersign.runtime import build_engine
from undersign.settings import Settings


def load_settings(data_dir: Path | None) -> Settings:
    """Read settings from the environment; ``--data-dir`` wins over ``UNDERSIGN_DATA_DIR``."""
    try:
        settings = Settings()
    except ValidationError as exc:
        typer.secho(f"Settings are invalid:\n{exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    return use_running_dev_store(settings)


def use_running_dev_store(settings: Settings) -> Settings:
    """Point the settings at the embedded SeaweedFS of a running ``undersign dev``, if there is one.

    The store is found from the live process, not from ``endpoint.json`` (stale after an outage).
    """
    if settings.s3.endpoint_url:
        return settings
    endpoint = find_running_store(settings.data_dir)
    if endpoint is None:
        return settings
    s3 = settings.s3.model_copy(
        update={
            "endpoint_url": endpoint.endpoint_url,
            "access_key": SecretStr(endpoint.access_key),
            "secret_key": SecretStr(endpoint.secret_key),
            "region": endpoint.region,
        }
    )
    return settings.model_copy(update={"s3": s3})


@contextmanager
def database_session(settings: Settings) -> Iterator[Session]:
    """Open a unit of work on the configured database; it commits when the command succeeds."""
    engine = build_engine(settings)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def fail(error: UndersignError) -> typer.Exit:
    """Print a domain error the way a person can act on it and return the exit to raise."""
    typer.secho(f"error: {error.detail}", fg=typer.colors.RED, err=True)
    for field in error.errors:
        typer.secho(f"  {field.pointer}: {field.reason}", fg=typer.colors.RED, err=True)
    return typer.Exit(1)


DataDirOption = typer.Option(None, "--data-dir", help="Data folder (default: UNDERSIGN_DATA_DIR or ./var)")


def cli_actor() -> Actor:
    """Return the identity the audit trail records for a command run from a shell."""
    return Actor(name=f"cli:{getpass.getuser()}", kind="system")


def key_service(session: Session) -> ApiKeyService:
    """Return the API key service bound to a CLI unit of work."""
    clock = SystemClock()
    return ApiKeyService(SqlApiKeyRepository(session), clock, SqlAuditTrail(session, clock))
