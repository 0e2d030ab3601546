"""Signed audit checkpoints: where each signed chain head is filed in the object store; append-only.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("signer_cert_sha256", sa.String(64), nullable=False),
        sa.Column("signed_json", sa.Text(), nullable=False),
        sa.Column("bucket", sa.String(63), nullable=False),
        sa.Column("key", sa.String(1024), nullable=False),
        sa.Column("version_id", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("retention_mode", sa.String(16), nullable=True),
        sa.Column("retain_until", UtcDateTime(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_checkpoints"),
    )
    op.create_index("ix_audit_checkpoints_seq", "audit_checkpoints", ["seq"])
    # Same guard as the chain (0003): rows are appended, never changed or removed.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints "
            "FOR EACH ROW EXECUTE FUNCTION undersign_refuse_audit_change()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_checkpoints_no_{operation.lower()} BEFORE {operation} ON audit_checkpoints "
                f"BEGIN SELECT RAISE(ABORT, 'audit log is append-only: {operation} on audit_checkpoints refused'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoints_append_only ON audit_checkpoints")
    op.drop_table("audit_checkpoints")
