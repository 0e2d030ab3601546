"""The task queue on PostgreSQL: procrastinate (``SKIP LOCKED`` claims, retries with back-off, periodic tasks).

``ProcrastinateTaskQueue`` defers a job through the psycopg connection of the caller's SQLAlchemy
session, inside its open transaction: the job row commits with the change that needs it, or
vanishes with its rollback. ``build_app`` registers our task handlers (by name, taking the job's
JSON arguments) and the periodic ones; ``run_worker`` runs a worker that also puts back the jobs of
workers that died mid-task (no heartbeat for ``stalled_after`` seconds), which then run again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import procrastinate
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from domain.ports import JsonValue

log = logging.getLogger("undersign.tasks")
TaskHandler = Callable[[dict[str, Any]], None]


def conninfo(database_url: str) -> str:
    """Return the libpq URL of a SQLAlchemy ``postgresql+psycopg://`` URL."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def build_app(
    database_url: str,
    handlers: Mapping[str, TaskHandler],
    *,
    periodic: Sequence[tuple[str, str]] = (),
    max_attempts: int = 8,
    retry_wait_seconds: int = 5,
) -> procrastinate.App:
    """Return a procrastinate app with one task per handler; ``periodic`` pairs a task name with a cron line."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url)))
    # Waits of retry_wait_seconds + 3^n: a TSA or store outage is retried for hours, not hammered.
    retry = procrastinate.RetryStrategy(max_attempts=max_attempts, wait=retry_wait_seconds, exponential_wait=3)
    for name, handler in handlers.items():
        app.task(name=name, retry=retry, pass_context=False)(_job_function(name, handler))
    for name, cron in periodic:
        app.periodic(cron=cron, periodic_id=name)(app.tasks[name])
    return app


def _job_function(name: str, handler: TaskHandler) -> Callable[..., None]:
    def run(**kwargs: Any) -> None:
        # Periodic jobs are given the time they were due; our handlers take only their own arguments.
        kwargs.pop("timestamp", None)
        handler(kwargs)

    run.__name__ = run.__qualname__ = name.replace("-", "_").replace(".", "_")
    return run


class ProcrastinateTaskQueue:
    """Defers procrastinate jobs on the caller's session, in its transaction."""

    def __init__(self, app: procrastinate.App, session: Session) -> None:
        self._app = app
        self._session = session

    def enqueue(self, task: str, args: Mapping[str, JsonValue]) -> None:
        """Defer ``task`` on the session's own connection: it commits or rolls back with the caller."""
        connection = self._session.connection().connection.driver_connection
        self._app.configure_task(task, connection=connection).defer(**dict(args))


async def _requeue_stalled(app: procrastinate.App, stalled_after: float) -> int:
    """Put the jobs of workers silent for ``stalled_after`` seconds back in the queue; return how many."""
    jobs = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after)
    count = 0
    for job in jobs:
        log.warning("task %s (job %s) was running on a worker that stopped; running it again", job.task_name, job.id)
        await app.job_manager.retry_job(job)
        count += 1
    return count


async def _requeue_loop(app: procrastinate.App, stalled_after: float) -> None:
    while True:
        await asyncio.sleep(max(1.0, stalled_after / 2))
        try:
            await _requeue_stalled(app, stalled_after)
        except Exception:  # a database blip must not stop the worker; the next round tries again
            log.exception("could not look for stalled tasks")


async def worker_coroutine(
    app: procrastinate.App,
    *,
    stalled_after: float,
    heartbeat: float,
    poll_seconds: float,
    wait: bool = True,
    install_signal_handlers: bool = True,
) -> None:
    """Open ``app`` and run a worker until a stop signal or cancellation (``wait=False``: until the queue is empty)."""
    async with app.open_async():
        await _requeue_stalled(app, stalled_after)
        requeue = asyncio.create_task(_requeue_loop(app, stalled_after))
        try:
            await app.run_worker_async(
                wait=wait,
                install_signal_handlers=install_signal_handlers,
                update_heartbeat_interval=heartbeat,
                stalled_worker_timeout=stalled_after,
                fetch_job_polling_interval=poll_seconds,
                listen_notify=wait,
                delete_jobs="successful",
            )
        finally:
            requeue.cancel()


def run_worker(
    app: procrastinate.App,
    *,
    stalled_after: float,
    heartbeat: float,
    poll_seconds: float,
    wait: bool = True,
    install_signal_handlers: bool = True,
) -> None:
    """Run a worker in a new event loop until SIGINT/SIGTERM (or, with ``wait=False``, until the queue is empty)."""
    asyncio.run(
        worker_coroutine(
            app,
            stalled_after=stalled_after,
            heartbeat=heartbeat,
            poll_seconds=poll_seconds,
            wait=wait,
            install_signal_handlers=install_signal_handlers,
        )
    )
