"""The task queue on both databases: a task commits with its change or not at all, and a worker runs it once.

SQLite uses our ``queued_tasks`` table; PostgreSQL uses procrastinate's ``procrastinate_jobs``, deferred
on the session's own connection. The same ``ServiceFactory.tasks()`` port is used on both.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text

from storage.database import unit_of_work
from storage.task_table import SqlTaskStore
from undersign.runtime import Runtime, build_runtime
from undersign.service_factory import ServiceFactory
from undersign.task_worker import (
    EmbeddedWorker,
    ProcrastinateThread,
    drain,
    run_one,
    start_task_worker,
    uses_procrastinate,
)


def waiting(runtime: Runtime) -> list[tuple[str, dict[str, object]]]:
    """Return the (task, args) of every task not yet done, on whichever queue the database has."""
    if uses_procrastinate(runtime):
        query = "SELECT task_name, args FROM procrastinate_jobs WHERE status IN ('todo', 'doing') ORDER BY id"
    else:
        query = "SELECT task, args FROM queued_tasks WHERE status = 'todo' ORDER BY id"
    with runtime.engine.connect() as conn:
        rows = conn.execute(text(query)).all()
    return [(row[0], row[1] if isinstance(row[1], dict) else json.loads(row[1])) for row in rows]


class TestEnqueueInTheChangesTransaction:
    def test_a_rolled_back_change_leaves_no_task_and_a_committed_one_leaves_exactly_one(self, runtime: Runtime) -> None:
        """Enqueue then fail: no task (no phantom); enqueue then commit: the task is there, with its arguments."""
        with pytest.raises(RuntimeError), unit_of_work(runtime.sessions) as session:
            ServiceFactory(session, runtime).tasks().enqueue("run-due.idempotency-keys", {"why": "rolled back"})
            raise RuntimeError("the change failed after enqueueing")
        assert waiting(runtime) == []
        with unit_of_work(runtime.sessions) as session:
            ServiceFactory(session, runtime).tasks().enqueue("run-due.idempotency-keys", {"why": "committed"})
        assert waiting(runtime) == [("run-due.idempotency-keys", {"why": "committed"})]

    def test_drain_runs_every_due_task_once(self, runtime: Runtime) -> None:
        """A worker pass runs the committed tasks and leaves nothing waiting."""
        with unit_of_work(runtime.sessions) as session:
            tasks = ServiceFactory(session, runtime).tasks()
            tasks.enqueue("run-due.idempotency-keys", {})
            tasks.enqueue("run-due.idempotency-keys", {})
        drain(runtime)
        assert waiting(runtime) == []


class TestEmbeddedQueue:
    @pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
    def test_a_failing_task_waits_longer_each_time_and_is_kept_as_failed_when_its_tries_are_spent(
        self, runtime: Runtime
    ) -> None:
        """A task that fails is due again after a doubling wait, with its error; after max_attempts it is failed."""
        runtime.settings = runtime.settings.model_copy(
            update={"tasks": runtime.settings.tasks.model_copy(update={"max_attempts": 2, "retry_wait_seconds": 5})}
        )
        with unit_of_work(runtime.sessions) as session:
            ServiceFactory(session, runtime).tasks().enqueue("no-such-task", {})
        store = SqlTaskStore(runtime.sessions)
        assert run_one(runtime, store)
        assert not run_one(runtime, store)  # not due until its wait has passed
        with runtime.engine.connect() as conn:
            first = conn.execute(text("SELECT status, attempts, run_after, last_error FROM queued_tasks")).one()
        assert first.status == "todo" and first.attempts == 1 and "no-such-task" in first.last_error
        runtime.clock.advance(seconds=5)  # type: ignore[attr-defined]
        assert run_one(runtime, store)
        with runtime.engine.connect() as conn:
            second = conn.execute(text("SELECT status, attempts FROM queued_tasks")).one()
        assert (second.status, second.attempts) == ("failed", 2)

    @pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
    def test_a_task_whose_worker_died_runs_again_when_its_lease_runs_out(self, runtime: Runtime) -> None:
        """A claimed task is not claimed again while its lease runs; after the lease it is (a dead worker's task)."""
        with unit_of_work(runtime.sessions) as session:
            ServiceFactory(session, runtime).tasks().enqueue("run-due.idempotency-keys", {})
        store = SqlTaskStore(runtime.sessions)
        now = runtime.clock.now()
        claimed = store.claim(now, timedelta(minutes=10))
        assert claimed is not None and claimed.attempts == 1
        assert store.claim(now + timedelta(minutes=9), timedelta(minutes=10)) is None
        again = store.claim(now + timedelta(minutes=11), timedelta(minutes=10))
        assert again is not None and (again.id, again.attempts) == (claimed.id, 2)


class TestWhereTasksRun:
    @pytest.mark.parametrize("in_api", [None, True, False])
    def test_the_api_runs_its_own_worker_unless_told_workers_of_their_own_run_the_tasks(
        self, runtime: Runtime, in_api: bool | None
    ) -> None:
        """By default (and when asked) the API starts a task worker that stops with it; ``in_api = false``: none."""
        settings = runtime.settings.model_copy(
            update={"tasks": runtime.settings.tasks.model_copy(update={"in_api": in_api})}
        )
        server = build_runtime(settings, blob_store=runtime.blob_store, clock=runtime.clock, renderer=runtime.renderer)
        try:
            start_task_worker(server)
            expected = EmbeddedWorker if not uses_procrastinate(server) else ProcrastinateThread
            assert isinstance(server.worker, expected) if in_api is not False else server.worker is None
        finally:
            if server.worker is not None:
                # Stopped at once after starting (a server shut down during its start): the thread ends.
                server.worker.stop()
                assert not server.worker.running
            server.close()
