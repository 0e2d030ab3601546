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

from cli.context import DataDirOption, command_runtime, load_settings

app = typer.Typer(help="Webhooks.", no_args_is_help=True)


@app.command("worker")
def worker(data_dir: Path | None = DataDirOption) -> None:
    """Deliver due webhooks until stopped."""
    from undersign.webhooks_runtime import run_worker

    settings = load_settings(data_dir)
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    typer.echo(f"Delivering webhooks every {settings.webhooks.poll_seconds} s; Ctrl-C stops.")
    with command_runtime(settings) as runtime:
        run_worker(runtime, stop)


@app.command("deliver")
def deliver(data_dir: Path | None = DataDirOption) -> None:
    """Deliver the webhooks due now, once."""
    from undersign.webhooks_runtime import webhooks_due

    with command_runtime(load_settings(data_dir)) as runtime:
        counts = webhooks_due(runtime)
    typer.echo(", ".join(f"{key}={value}" for key, value in counts.items()))
