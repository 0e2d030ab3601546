"""Tables of work done outside requests: the embedded task queue and the page images of sent documents.

``queued_tasks`` is the task queue of the embedded (SQLite) deployment; on PostgreSQL procrastinate
keeps its own tables (``procrastinate_jobs`` and friends, created by migration 0013). ``page_images``
says, per sent PDF (by SHA-256), how many pages it has and whether their PNGs are in the object store.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, String, Table, Text

from storage.tables import UtcDateTime, metadata

queued_tasks = Table(
    "queued_tasks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task", String(80), nullable=False),
    Column("args", JSON, nullable=False),
    # todo -> done | failed; a claimed task stays todo with locked_until in the future (a lease):
    # a worker that dies mid-task loses its lease and the task runs again.
    Column("status", String(12), nullable=False),
    Column("run_after", UtcDateTime(), nullable=False),
    Column("locked_until", UtcDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    Index(None, "status", "run_after"),
)

page_images = Table(
    "page_images",
    metadata,
    Column("sent_sha256", String(64), primary_key=True),
    Column("page_count", Integer, nullable=False),
    # pending -> ready; the PNGs live in the object store under pages/<sha256>/<n>.png.
    Column("status", String(12), nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("ready_at", UtcDateTime(), nullable=True),
)
