"""The ``undersign`` command: run the service (dev or production), migrate, manage keys."""

from __future__ import annotations

import threading
from pathlib import Path

import typer
import uvicorn
from pydantic import SecretStr

from adapters.seaweedfs import EmbeddedSeaweedFS
from api.app import create_app
from cli import audit, dunning, invoices, keys, templates, verify, webhooks
from cli.context import DataDirOption, cli_actor, database_session, key_service, load_settings
from cli.run_due import run_due
from domain.roles import Role
from storage import migrator
from undersign.runtime import build_engine, build_runtime
from undersign.settings import Mode, Settings
from undersign.structured_logging import configure_logging
from undersign.webhooks_runtime import run_worker

app = typer.Typer(help="undersign: MSP paperwork, assembled, e-signed, sealed and filed.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys.app, name="keys")
app.add_typer(invoices.app, name="invoices")
app.add_typer(dunning.app, name="dunning")
app.add_typer(audit.app, name="audit")
app.add_typer(webhooks.app, name="webhooks")
app.command("run-due")(run_due)
app.add_typer(templates.app, name="templates")
app.command("render")(templates.render)
app.command("verify")(verify.verify)


@db_app.command("upgrade")
def db_upgrade(data_dir: Path | None = DataDirOption) -> None:
    """Apply every pending migration."""
    settings = load_settings(data_dir)
    engine = build_engine(settings)
    try:
        migrator.upgrade(engine)
        typer.echo(f"Database at revision {migrator.current_revision(engine)}.")
    finally:
        engine.dispose()


def _first_admin_key(settings: Settings) -> str | None:
    """Create an admin key when the database has none yet; return it (or None)."""
    with database_session(settings) as session:
        service = key_service(session)
        if service.list():
            return None
        _record, key = service.create("admin", Role.ADMIN, by=cli_actor())
        return key


@app.command("dev")
def dev(
    host: str = typer.Option("127.0.0.1", "--host", help="Bind address"),
    port: int = typer.Option(8000, "--port", help="Bind port"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Run the API on embedded defaults: SQLite, an embedded SeaweedFS, dev keys and a mail outbox."""
    settings = load_settings(data_dir)
    configure_logging(settings.log_format, settings.log.level)
    if settings.mode is not Mode.DEVELOPMENT:
        typer.secho("`undersign dev` runs in development mode only; use `undersign serve`.", fg="red", err=True)
        raise typer.Exit(2)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    server = settings.server.model_copy(update={"host": host, "port": port, "public_url": f"http://{host}:{port}"})
    settings = settings.model_copy(update={"server": server})
    store_process = None
    if not settings.s3.endpoint_url:
        typer.echo("Starting the embedded SeaweedFS object store ...")
        store_process = EmbeddedSeaweedFS(settings.data_dir)
        store_process.start()
        s3 = settings.s3.model_copy(
            update={
                "endpoint_url": store_process.endpoint_url,
                "access_key": SecretStr(store_process.access_key),
                "secret_key": SecretStr(store_process.secret_key),
                "region": store_process.region,
            }
        )
        settings = settings.model_copy(update={"s3": s3})
    runtime = None
    try:
        runtime = build_runtime(settings)
        migrator.upgrade(runtime.engine)
        runtime.ensure_bucket()
        key = _first_admin_key(settings)
        typer.echo(f"undersign dev: API docs at http://{host}:{port}/docs  data in {settings.data_dir.resolve()}")
        if not settings.mail.smtp_host:
            typer.echo(f"Mail is written to {settings.outbox_dir.resolve()} as .eml files.")
        if key:
            typer.echo("First start: created the API key 'admin' (role admin). It is shown once:")
            typer.echo(key)
        # Webhooks are delivered by a thread of this process in development (`undersign webhooks worker` in production).
        stop_webhooks = threading.Event()
        threading.Thread(target=run_worker, args=(runtime, stop_webhooks), daemon=True).start()
        uvicorn.run(create_app(runtime), host=host, port=port, log_config=None, access_log=False)
        stop_webhooks.set()
    finally:
        if runtime is not None:
            close = getattr(runtime.renderer, "close", None)
            if close is not None:
                close()  # stop the render worker processes
            runtime.close()
        if store_process is not None:
            typer.echo("Stopping the embedded SeaweedFS ...")
            store_process.stop()


@app.command("serve")
def serve(data_dir: Path | None = DataDirOption) -> None:
    """Run the API for production with uvicorn workers (schema must be current: `undersign db upgrade`)."""
    settings = load_settings(data_dir)
    engine = build_engine(settings)
    try:
        if not migrator.is_current(engine):
            typer.secho("The database schema is not current: run `undersign db upgrade` first.", fg="red", err=True)
            raise typer.Exit(2)
    finally:
        engine.dispose()
    uvicorn.run(
        "api.asgi:app",
        host=settings.server.host,
        port=settings.server.port,
        workers=settings.server.workers,
        proxy_headers=False,  # client IPs are taken from trusted proxies only (settings.server.trusted_proxies)
        log_config=None,  # the workers log through structlog (api.asgi configures it)
        access_log=False,  # our access line (route template, request id, actor) replaces uvicorn's
    )


if __name__ == "__main__":
    app()
