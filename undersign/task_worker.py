"""Workers that run the tasks: the embedded one (our ``queued_tasks`` table) and procrastinate's (PostgreSQL).

The embedded worker is a loop over ``SqlTaskStore``: claim the oldest due task under a lease, run it,
mark it done; a failure makes it due again after a doubling wait, and after ``max_attempts`` it is
kept as failed with its error. It also runs the ``run-due`` jobs every ``run_due_minutes``. The API of
the embedded default starts one in a thread (``make run`` needs nothing more); ``undersign worker``
runs the same loop in the foreground. On PostgreSQL ``undersign worker`` runs procrastinate instead.

``drain`` runs every due task now, in the caller's thread: what a test's runtime does after a
request enqueued work, in place of a worker.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import TYPE_CHECKING

from storage.task_table import SqlTaskStore
from undersign.runtime import Runtime

if TYPE_CHECKING:
    import procrastinate

log = logging.getLogger("undersign.tasks")
# A task holds its claim this long; a worker that dies mid-task loses it after this and the task runs again.
LEASE = timedelta(minutes=10)
FIRST_RUN_DUE = timedelta(seconds=30)


def uses_procrastinate(runtime: Runtime) -> bool:
    """Return whether this deployment's queue is procrastinate (PostgreSQL) rather than our own table."""
    return runtime.engine.dialect.name == "postgresql"


def procrastinate_app(runtime: Runtime, *, periodic: bool) -> procrastinate.App:
    """Return a procrastinate app running this runtime's tasks (with the periodic run-due jobs if asked)."""
    from adapters.procrastinate_queue import build_app
    from undersign.tasks import handlers, periodic_tasks

    tasks = runtime.settings.tasks
    return build_app(
        runtime.settings.database_url,
        handlers(runtime),
        periodic=periodic_tasks(tasks.run_due_minutes) if periodic else (),
        max_attempts=tasks.max_attempts,
        retry_wait_seconds=tasks.retry_wait_seconds,
    )


def run_one(runtime: Runtime, store: SqlTaskStore) -> bool:
    """Claim and run one due task of the embedded queue; return whether there was one."""
    from undersign.tasks import TASKS

    claimed = store.claim(runtime.clock.now(), LEASE)
    if claimed is None:
        return False
    task = TASKS.get(claimed.task)
    settings = runtime.settings.tasks
    try:
        if task is None:
            raise LookupError(f"no task named {claimed.task!r}")
        task(runtime, claimed.args)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        if claimed.attempts >= settings.max_attempts:
            log.error("task %s %s failed %d times, giving up: %s", claimed.task, claimed.id, claimed.attempts, error)
            store.fail(claimed.id, runtime.clock.now(), error)
        else:
            wait = settings.retry_wait_seconds * 2 ** (claimed.attempts - 1)
            log.warning(
                "task %s %s failed (try %d), again in %ds: %s", claimed.task, claimed.id, claimed.attempts, wait, error
            )
            store.retry(claimed.id, runtime.clock.now() + timedelta(seconds=wait), error)
        return True
    store.done(claimed.id, runtime.clock.now())
    return True


def drain(runtime: Runtime, *, limit: int = 1000) -> None:
    """Run every task that is due now, in this thread (tests; a worker does this continuously)."""
    if uses_procrastinate(runtime):
        from adapters.procrastinate_queue import run_worker

        tasks = runtime.settings.tasks
        run_worker(
            procrastinate_app(runtime, periodic=False),
            stalled_after=tasks.stalled_after_seconds,
            heartbeat=tasks.heartbeat_seconds,
            poll_seconds=tasks.poll_seconds,
            wait=False,
            install_signal_handlers=False,
        )
        return
    store = SqlTaskStore(runtime.sessions)
    for _ in range(limit):
        if not run_one(runtime, store):
            return


def start_task_worker(runtime: Runtime) -> None:
    """Start the in-process task worker of a server process, where one belongs.

    The embedded default (SQLite) always runs its tasks in the API process, so ``make run`` needs
    nothing more; so does a development server on PostgreSQL. In production on PostgreSQL the API only
    enqueues, and ``undersign worker`` processes (their own service) run the tasks. ``tasks.in_api``
    overrides the choice (false: a development server beside workers of its own, as the load benchmark runs).
    """
    from undersign.settings import Mode

    in_api = runtime.settings.tasks.in_api
    if in_api is None:
        in_api = not uses_procrastinate(runtime) or runtime.settings.mode is Mode.DEVELOPMENT
    if not in_api:
        return
    if not uses_procrastinate(runtime):
        runtime.worker = EmbeddedWorker(runtime).start()
    else:
        runtime.worker = ProcrastinateThread(runtime).start()


class EmbeddedWorker:
    """The embedded queue's worker loop, in a thread of the API (or in the foreground for ``undersign worker``)."""

    def __init__(self, runtime: Runtime, *, run_due: bool = True) -> None:
        self._runtime = runtime
        self._store = SqlTaskStore(runtime.sessions)
        self._run_due = run_due
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the worker's thread is still alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> EmbeddedWorker:
        """Start the loop in a daemon thread."""
        self._thread = threading.Thread(target=self.run, name="undersign-tasks", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """Look for tasks now (a request has just committed one)."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the task in hand (if any) and wait for the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """Run tasks until stopped; run the due jobs every ``run_due_minutes``."""
        from undersign.jobs import run_jobs

        settings = self._runtime.settings.tasks
        # Not at once: a server that restarts often should answer first; the due jobs follow shortly.
        next_due = self._runtime.clock.now() + FIRST_RUN_DUE
        while not self._stop.is_set():
            try:
                if self._run_due and self._runtime.clock.now() >= next_due:
                    next_due = self._runtime.clock.now() + timedelta(minutes=settings.run_due_minutes)
                    run_jobs(self._runtime)
                if run_one(self._runtime, self._store):
                    continue
            except Exception:  # a database blip must not end the worker; the next round tries again
                log.exception("the task worker hit an error; going on")
            self._wake.wait(settings.poll_seconds)
            self._wake.clear()


class ProcrastinateThread:
    """A procrastinate worker in a thread of the development server (PostgreSQL without `undersign worker`)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._thread: threading.Thread | None = None
        self._loop: object = None
        self._stop = threading.Event()
        # Orders stop() against the thread's start: a stop that comes before the loop exists must still stop it.
        self._guard = threading.Lock()

    @property
    def running(self) -> bool:
        """Whether the worker's thread is still alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> ProcrastinateThread:
        """Start the worker loop in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="undersign-procrastinate", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """Nothing to do: procrastinate hears of new jobs through LISTEN/NOTIFY."""

    def _run(self) -> None:
        import asyncio

        from adapters.procrastinate_queue import worker_coroutine

        tasks = self._runtime.settings.tasks
        coroutine = worker_coroutine(
            procrastinate_app(self._runtime, periodic=True),
            stalled_after=tasks.stalled_after_seconds,
            heartbeat=tasks.heartbeat_seconds,
            poll_seconds=tasks.poll_seconds,
            wait=True,
            install_signal_handlers=False,
        )
        loop = asyncio.new_event_loop()
        main = loop.create_task(coroutine)
        with self._guard:
            self._loop, self._main = loop, main
            if self._stop.is_set():
                main.cancel()  # stopped while the worker was still being built
        try:
            loop.run_until_complete(main)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("the in-process procrastinate worker stopped")
        finally:
            with self._guard:
                loop.close()

    def stop(self, timeout: float = 30.0) -> None:
        """Cancel the worker (a running task is retried by the next worker) and wait for the thread."""
        import asyncio

        with self._guard:
            self._stop.set()
            loop = self._loop
            if isinstance(loop, asyncio.AbstractEventLoop) and not loop.is_closed():
                loop.call_soon_threadsafe(self._main.cancel)
        if self._thread is not None:
            self._thread.join(timeout)
