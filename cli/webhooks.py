"""``undersign webhooks worker|deliver``: send due webhooks from the database outbox.

``worker`` runs until stopped (Ctrl-C or SIGTERM), looking for due deliveries every
``UNDERSIGN_WEBHOOKS__POLL_SECONDS``; several workers on several hosts can run at once (deliveries
are claimed with SKIP LOCKED on PostgreSQL). ``deliver`` sends what is due once and exits (cron;
``undersign run-due`` does the same among its other jobs).
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import typer

from cli.context import DataDirOption, load_settings
from undersign.runtime import Runtime, build_runtime
from undersign.webhooks_runtime import run_worker, webhooks_due

app = typer.Typer(help="Webhooks.", no_args_is_help=True)


@app.command("worker")
def worker(data_dir: Path | None = DataDirOption) -> None:
    """Deliver due webhooks until stopped."""
    settings = load_settings(data_dir)
    runtime = build_runtime(settings)
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    typer.echo(f"Delivering webhooks every {settings.webhooks.poll_seconds} s; Ctrl-C stops.")
    try:
        run_worker(runtime, stop)
    finally:
        _close(runtime)


@app.command("deliver")
def deliver(data_dir: Path | None = DataDirOption) -> None:
    """Deliver the webhooks due now, once."""
    runtime = build_runtime(load_settings(data_dir))
    try:
        counts = webhooks_due(runtime)
    finally:
        _close(runtime)
    typer.echo(", ".join(f"{key}={value}" for key, value in counts.items()))


def _close(runtime: Runtime) -> None:
    close = getattr(runtime.renderer, "close", None)
    if close is not None:
        close()  # stop any render worker processes
    runtime.close()
