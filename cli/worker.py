"""``undersign worker``: run background tasks (sealing, page images, the due jobs) until stopped.

On PostgreSQL this is a procrastinate worker (any number of them, on any hosts: jobs are claimed with
``SKIP LOCKED``); the run-due jobs are its periodic tasks. On the embedded SQLite default it runs the
same task functions over the ``queued_tasks`` table (the development server runs one in-process).
SIGINT/SIGTERM stop it after the task in hand; a worker killed outright has its task run again.
"""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

import typer

from cli.context import DataDirOption, command_runtime, load_settings


def worker(data_dir: Path | None = DataDirOption) -> None:
    """Run background tasks (sealing, page images, reminders and the other due jobs) until stopped."""
    from undersign.structured_logging import configure_logging
    from undersign.task_worker import EmbeddedWorker, procrastinate_app, uses_procrastinate

    settings = load_settings(data_dir)
    configure_logging(settings.log_format, settings.log.level)
    with command_runtime(settings) as runtime:
        if uses_procrastinate(runtime):
            from adapters.procrastinate_queue import run_worker

            tasks = settings.tasks
            typer.echo("undersign worker: procrastinate on PostgreSQL; Ctrl+C or SIGTERM stops it.")
            run_worker(
                procrastinate_app(runtime, periodic=True),
                stalled_after=tasks.stalled_after_seconds,
                heartbeat=tasks.heartbeat_seconds,
                poll_seconds=tasks.poll_seconds,
            )
            return
        loop = EmbeddedWorker(runtime)

        def stop(_signum: int, _frame: FrameType | None) -> None:
            loop.stop(timeout=0)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        typer.echo("undersign worker: embedded queue; Ctrl+C or SIGTERM stops it.")
        loop.run()
