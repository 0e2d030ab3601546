"""The audit chain: append-only events, their subjects, and the chain head; UPDATE and DELETE refused.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

GUARDED = ("audit_events", "audit_subjects")


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(200), nullable=False),
        sa.Column("actor_role", sa.String(64), nullable=True),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("subjects", sa.JSON(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(512), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("payload_sha256", sa.String(64), nullable=True),
        sa.Column("document_sha256", sa.String(64), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
        sa.UniqueConstraint("seq", name="uq_audit_events_seq"),
    )
    op.create_index("ix_audit_events_actor_id_seq", "audit_events", ["actor_id", "seq"])
    op.create_index("ix_audit_events_action_seq", "audit_events", ["action", "seq"])
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_table(
        "audit_subjects",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("subject_type", sa.String(40), nullable=False),
        sa.Column("subject_id", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("seq", "subject_type", name="pk_audit_subjects"),
    )
    op.create_index(
        "ix_audit_subjects_subject_type_subject_id_seq", "audit_subjects", ["subject_type", "subject_id", "seq"]
    )
    op.create_index("ix_audit_subjects_subject_id_seq", "audit_subjects", ["subject_id", "seq"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )
    op.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION undersign_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
            END $$
            """
        )
        for table in GUARDED:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION undersign_refuse_audit_change()"
            )
    else:
        for table in GUARDED:
            for operation in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'audit log is append-only: {operation} on {table} refused'); END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in GUARDED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS undersign_refuse_audit_change()")
    op.drop_table("audit_head")
    op.drop_table("audit_subjects")
    op.drop_table("audit_events")
