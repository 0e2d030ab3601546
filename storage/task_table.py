"""The embedded task queue on our own ``queued_tasks`` table (the SQLite default; PostgreSQL uses procrastinate).

``SqlTaskQueue`` enqueues on the caller's session, so a task commits with the change that needs it.
``SqlTaskStore`` is the worker's side: claim the oldest due task under a lease (a killed worker's
lease runs out and the task is claimed again), then mark it done, or due again after a back-off, or
failed once its attempts are spent. Each step is its own short transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from domain.ports import JsonValue
from storage.tables_tasks import queued_tasks


class SqlTaskQueue:
    """Enqueues tasks as rows of ``queued_tasks`` on the caller's session."""

    def __init__(self, session: Session, now: datetime) -> None:
        self._session = session
        self._now = now

    def enqueue(self, task: str, args: Mapping[str, JsonValue]) -> None:
        """Insert the task; it becomes visible to the worker when the caller commits."""
        self._session.execute(
            insert(queued_tasks).values(
                task=task,
                args=dict(args),
                status="todo",
                run_after=self._now,
                attempts=0,
                created_at=self._now,
            )
        )


@dataclass(frozen=True)
class ClaimedTask:
    """A task a worker holds under lease."""

    id: int
    task: str
    args: dict[str, Any]
    attempts: int


class SqlTaskStore:
    """The worker's view of ``queued_tasks``: claim under lease, finish, retry with back-off."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def claim(self, now: datetime, lease: timedelta) -> ClaimedTask | None:
        """Claim the oldest due task whose lease (if any) has run out, or return ``None``."""
        with self._sessions() as session, session.begin():
            due = and_(
                queued_tasks.c.status == "todo",
                queued_tasks.c.run_after <= now,
                or_(queued_tasks.c.locked_until.is_(None), queued_tasks.c.locked_until < now),
            )
            query = select(queued_tasks).where(due).order_by(queued_tasks.c.id).limit(1)
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = session.execute(query).mappings().first()
            if row is None:
                return None
            session.execute(
                update(queued_tasks)
                .where(queued_tasks.c.id == row["id"])
                .values(locked_until=now + lease, attempts=row["attempts"] + 1)
            )
            return ClaimedTask(id=row["id"], task=row["task"], args=dict(row["args"]), attempts=row["attempts"] + 1)

    def done(self, task_id: int, now: datetime) -> None:
        """Mark a task done."""
        self._set(task_id, status="done", finished_at=now, locked_until=None)

    def retry(self, task_id: int, at: datetime, error: str) -> None:
        """Make a task due again at ``at`` (its lease released), noting why it failed."""
        self._set(task_id, run_after=at, locked_until=None, last_error=error[:2000])

    def fail(self, task_id: int, now: datetime, error: str) -> None:
        """Give up on a task whose attempts are spent (kept, with its error, for an operator)."""
        self._set(task_id, status="failed", finished_at=now, locked_until=None, last_error=error[:2000])

    def pending(self) -> int:
        """Return how many tasks are not finished (due, waiting for a retry, or running)."""
        with self._sessions() as session:
            return len(session.execute(select(queued_tasks.c.id).where(queued_tasks.c.status == "todo")).all())

    def _set(self, task_id: int, **values: Any) -> None:
        with self._sessions() as session, session.begin():
            session.execute(update(queued_tasks).where(queued_tasks.c.id == task_id).values(**values))
