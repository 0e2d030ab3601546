"""The ``undersign`` command: run the service (dev or production), migrate, manage keys.

Commands import what they need when they run, so ``--help`` and ``--version`` answer at once. An
error is one line a person can act on; ``--debug`` shows the whole traceback instead. The command
line never imports the API package: the servers load it by name (``api.asgi:app``) in uvicorn.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import typer

from cli import audit, dunning, invoices, keys, templates, users, verify, webhooks
from cli.context import DataDirOption, cli_actor, command_services, debug_requested, load_settings
from cli.run_due import run_due
from cli.worker import worker
from domain.errors import UndersignError

app = typer.Typer(
    help="undersign: MSP paperwork, assembled, e-signed, sealed and filed.",
    no_args_is_help=True,
    # Errors are printed by ``main`` as one line (or in full with --debug), not as a framed traceback.
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys.app, name="keys")
app.add_typer(users.app, name="users")
app.add_typer(invoices.app, name="invoices")
app.add_typer(dunning.app, name="dunning")
app.add_typer(audit.app, name="audit")
app.add_typer(webhooks.app, name="webhooks")
app.command("run-due")(run_due)
app.command("worker")(worker)
app.add_typer(templates.app, name="templates")
app.command("render")(templates.render)
app.command("verify")(verify.verify)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("undersign")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"undersign {_version()}")
        raise typer.Exit()


@app.callback()
def root(
    _version_flag: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit"
    ),
    _debug: bool = typer.Option(False, "--debug", help="Show the full traceback when a command fails"),
) -> None:
    """undersign: MSP paperwork, assembled, e-signed, sealed and filed."""


@db_app.command("upgrade")
def db_upgrade(data_dir: Path | None = DataDirOption) -> None:
    """Apply every pending migration."""
    from adapters.secret_box import SecretBox
    from adapters.signing_kit import load_sealing_key
    from storage import migrator
    from storage.database import make_engine

    settings = load_settings(data_dir)
    if settings.database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    # Authenticator secrets stored before 0017 are sealed with a key derived from the service key.
    box = SecretBox(lambda: load_sealing_key(settings, datetime.now(UTC)))
    try:
        migrator.upgrade(engine, secret_box=box)
        typer.echo(f"Database at revision {migrator.current_revision(engine)}.")
    finally:
        engine.dispose()


def _terminate_as_exit(signum: int, _frame: FrameType | None) -> None:
    """Turn SIGTERM into a normal exit, so that ``finally`` blocks stop the embedded store."""
    raise SystemExit(128 + signum)


@app.command("dev")
def dev(
    host: str | None = typer.Option(None, "--host", help="Bind address (default: UNDERSIGN_SERVER__HOST)"),
    port: int | None = typer.Option(None, "--port", help="Bind port (default: UNDERSIGN_SERVER__PORT, 8000)"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Run the API on embedded defaults: SQLite, an embedded SeaweedFS, dev keys and a mail outbox."""
    from adapters.seaweedfs import EmbeddedSeaweedFS
    from cli.dev_server import serve_app
    from domain.roles import Role
    from storage import migrator
    from undersign.dev_store import with_store_endpoint
    from undersign.runtime import build_runtime
    from undersign.settings import Mode
    from undersign.structured_logging import configure_logging

    settings = load_settings(data_dir)
    configure_logging(settings.log_format, settings.log.level)
    if settings.mode is not Mode.DEVELOPMENT:
        typer.secho("`undersign dev` runs in development mode only; use `undersign serve`.", fg="red", err=True)
        raise typer.Exit(2)
    host = host or settings.server.host
    port = port or settings.server.port
    public_url = settings.server.public_url
    if "public_url" not in settings.server.model_fields_set:
        public_url = f"http://{host}:{port}"  # links in mail must reach this server
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    data_folder = settings.data_dir.resolve()
    signal.signal(signal.SIGTERM, _terminate_as_exit)
    store = None
    try:
        if not settings.s3.endpoint_url:
            typer.echo("Starting the embedded SeaweedFS object store ...")
            store = EmbeddedSeaweedFS(data_folder).start()
            settings = with_store_endpoint(settings, store.endpoint())
        runtime = build_runtime(settings)
        try:
            migrator.upgrade(runtime.engine, secret_box=runtime.secret_box)
            runtime.ensure_bucket()
            with command_services(settings) as services:
                keys_service = services.api_keys()
                first_key = None if keys_service.list() else keys_service.create("admin", Role.ADMIN, by=cli_actor())[1]
                no_users = not services.users().everyone(by=cli_actor())
        finally:
            runtime.close()
        typer.echo(f"undersign dev: API docs at {public_url}/docs  data in {data_folder}")
        if not settings.mail.smtp_host:
            typer.echo(f"Mail is written to {settings.outbox_dir.resolve()} as .eml files.")
        typer.echo(f"Staff console at {public_url}/console")
        if no_users:
            typer.echo(
                "No console users yet: in another terminal run "
                "`undersign users create-admin --email you@example.com --name 'Your Name'` and open the link it prints."
            )
        if first_key:
            typer.echo("First start: created the API key 'admin' (role admin). It is shown once:")
            typer.echo(first_key)
        # The server's own runtime is built by the app's lifespan from the environment: the same
        # settings as here, with the embedded store's endpoint found through the data folder.
        os.environ["UNDERSIGN_DATA_DIR"] = str(data_folder)
        os.environ["UNDERSIGN_SERVER__PUBLIC_URL"] = public_url
        serve_app("api.asgi:app", host=host, port=port)
    finally:
        if store is not None:
            typer.echo("Stopping the embedded SeaweedFS ...")
            store.stop()


@app.command("serve")
def serve(
    host: str | None = typer.Option(None, "--host", help="Bind address (default: UNDERSIGN_SERVER__HOST)"),
    port: int | None = typer.Option(None, "--port", help="Bind port (default: UNDERSIGN_SERVER__PORT)"),
    workers: int | None = typer.Option(
        None, "--workers", min=1, max=64, help="uvicorn worker processes (default: UNDERSIGN_SERVER__WORKERS)"
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Run the API for production with uvicorn workers (schema must be current: `undersign db upgrade`)."""
    import uvicorn

    from storage import migrator
    from storage.database import make_engine
    from undersign.structured_logging import configure_logging

    settings = load_settings(data_dir)
    # The supervisor's own lines (a worker started, died or was replaced) are logged like the workers'.
    configure_logging(settings.log_format, settings.log.level)
    engine = make_engine(settings.database_url)
    try:
        if not migrator.is_current(engine):
            typer.secho("The database schema is not current: run `undersign db upgrade` first.", fg="red", err=True)
            raise typer.Exit(2)
    finally:
        engine.dispose()
    # The workers load the app from api.asgi, which builds nothing at import; each builds its runtime
    # and warms its render pool in the app's lifespan, before it reports started (and /readyz answers).
    uvicorn.run(
        "api.asgi:app",
        host=host or settings.server.host,
        port=port or settings.server.port,
        workers=workers or settings.server.workers,
        proxy_headers=False,  # client IPs are taken from trusted proxies only (settings.server.trusted_proxies)
        log_config=None,  # the workers log through structlog (the app's lifespan configures it)
        access_log=False,  # our access line (route template, request id, actor) replaces uvicorn's
    )


def main() -> None:
    """Run the command line; a failure is one line on stderr (``--debug`` for the traceback)."""
    debug = debug_requested()
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("Stopped.", err=True)
        sys.exit(130)
    except UndersignError as exc:
        if debug:
            raise
        typer.secho(f"error: {exc.detail}", fg=typer.colors.RED, err=True)
        for field in exc.errors:
            typer.secho(f"  {field.pointer}: {field.reason}", fg=typer.colors.RED, err=True)
        sys.exit(1)
    except Exception as exc:
        if debug:
            raise
        typer.secho(
            f"error: {exc.__class__.__name__}: {exc} (run again with --debug for the traceback)",
            fg=typer.colors.RED,
            err=True,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
