"""Task queue: the embedded queue table, page images of sent documents, and procrastinate's schema.

On PostgreSQL the procrastinate schema (its jobs, workers and periodic tables and functions, in the
version pinned by ``uv.lock``) is created here, so ``undersign db upgrade`` is the only schema step.
A later procrastinate release with schema changes needs a migration of ours that applies its delta.

Revision ID: 0016_task_queue
Revises: 0015_users_auth
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

revision = "0016_task_queue"
down_revision = "0015_users_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queued_tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task", sa.String(80), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("run_after", UtcDateTime(), nullable=False),
        sa.Column("locked_until", UtcDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_queued_tasks"),
    )
    op.create_index("ix_queued_tasks_status_run_after", "queued_tasks", ["status", "run_after"])
    op.create_table(
        "page_images",
        sa.Column("sent_sha256", sa.String(64), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("ready_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("sent_sha256", name="pk_page_images"),
    )
    if op.get_bind().dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        op.execute(SchemaManager.get_schema())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # procrastinate's objects all carry its prefix; drop them with everything that depends on them.
        op.execute(
            """
            DO $$
            DECLARE r record;
            BEGIN
              FOR r IN SELECT tablename FROM pg_tables
                       WHERE schemaname = current_schema() AND tablename LIKE 'procrastinate\\_%' LOOP
                EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.tablename);
              END LOOP;
              FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                       WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%' LOOP
                EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', r.sig);
              END LOOP;
              FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                       WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate\\_%'
                         AND t.typtype IN ('e', 'c') LOOP
                EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', r.typname);
              END LOOP;
            END $$;
            """
        )
    op.drop_table("page_images")
    op.drop_index("ix_queued_tasks_status_run_after", table_name="queued_tasks")
    op.drop_table("queued_tasks")
