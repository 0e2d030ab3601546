"""Which sent PDFs have their page images in the object store (``page_images``), and asking for the rest.

A request inserts a ``pending`` row and enqueues the render task in the caller's transaction; the row's
primary key (the PDF's SHA-256) makes a second request a no-op, so a PDF is rendered once however many
signers open it at once. The task marks the row ``ready`` with the page count when the PNGs are stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from domain.ports import TaskQueue
from storage.settled_rows import SettledRows
from storage.tables_tasks import page_images

RENDER_PAGE_IMAGES_TASK = "render-page-images"


def _insert_once(session: Session, sha256: str, now: datetime, *, status: str, page_count: int) -> bool:
    """Insert the row for ``sha256`` unless there is one; return whether this call inserted it."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(page_images)
        .values(sent_sha256=sha256, page_count=page_count, status=status, requested_at=now)
        .on_conflict_do_nothing(index_elements=["sent_sha256"])
        .returning(page_images.c.sent_sha256)
    )
    # RETURNING, not rowcount: a skipped conflicting row returns nothing on both databases.
    return session.execute(statement).first() is not None


class SqlPageImages:
    """The ``DocumentPages`` port over ``page_images`` and the task queue of one unit of work."""

    def __init__(self, session: Session, tasks: TaskQueue, now: datetime, settled: SettledRows | None = None) -> None:
        self._session = session
        self._tasks = tasks
        self._now = now
        self._settled = settled if settled is not None else SettledRows(max_entries=16)

    def ready(self, sha256: str) -> int | None:
        """Return the page count when the images of ``sha256`` are stored, else ``None``."""
        # Stored images never change, so a ready count is remembered; a pending render is asked again.
        known: int | None = self._settled.get(("page_count", sha256))
        if known is not None:
            return known
        query = select(page_images.c.page_count).where(
            page_images.c.sent_sha256 == sha256, page_images.c.status == "ready"
        )
        count = self._session.execute(query).scalar_one_or_none()
        if count is None:
            return None
        self._settled.keep(("page_count", sha256), int(count))
        return int(count)

    def request(self, sha256: str, key: str, version_id: str | None) -> None:
        """Record a pending render and enqueue it, once per PDF."""
        if _insert_once(self._session, sha256, self._now, status="pending", page_count=0):
            self._tasks.enqueue(RENDER_PAGE_IMAGES_TASK, {"sha256": sha256, "key": key, "version_id": version_id})


def mark_ready(sessions: sessionmaker[Session], sha256: str, page_count: int, now: datetime) -> None:
    """Record that the images of ``sha256`` are stored (in a transaction of its own)."""
    with sessions() as session, session.begin():
        if not _insert_once(session, sha256, now, status="ready", page_count=page_count):
            session.execute(
                update(page_images)
                .where(page_images.c.sent_sha256 == sha256)
                .values(status="ready", page_count=page_count, ready_at=now)
            )
        else:
            session.execute(update(page_images).where(page_images.c.sent_sha256 == sha256).values(ready_at=now))


def is_ready(sessions: sessionmaker[Session], sha256: str) -> bool:
    """Return whether the images of ``sha256`` are already stored."""
    with sessions() as session:
        query = select(page_images.c.status).where(page_images.c.sent_sha256 == sha256)
        return session.execute(query).scalar_one_or_none() == "ready"
