"""Evidence: the kept nodes of the audit log's Merkle tree (filled in for events already chained); legal holds.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from domain.audit.merkle import CompactRange
from storage.tables import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BATCH = 5000


def upgrade() -> None:
    op.create_table(
        "audit_tree_nodes",
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name="pk_audit_tree_nodes"),
    )
    _backfill()
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("subject_type", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_at", UtcDateTime(), nullable=False),
        sa.Column("placed_by", sa.String(200), nullable=False),
        sa.Column("released_at", UtcDateTime(), nullable=True),
        sa.Column("released_by", sa.String(200), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_legal_holds"),
    )
    op.create_index("ix_legal_holds_subject_type_subject_id", "legal_holds", ["subject_type", "subject_id"])


def _backfill() -> None:
    """Build the tree over the events chained before this revision (seq order; the chain has no gaps)."""
    bind = op.get_bind()
    nodes = sa.table(
        "audit_tree_nodes", sa.column("level", sa.SmallInteger), sa.column("idx", sa.BigInteger), sa.column("hash")
    )
    edge = CompactRange()
    last = 0
    while True:
        rows = bind.execute(
            sa.text("SELECT seq, hash FROM audit_events WHERE seq > :last ORDER BY seq LIMIT :n"),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            return
        out = []
        for seq, value in rows:
            for level, index, digest in edge.append(bytes.fromhex(value)):
                out.append({"level": level, "idx": index, "hash": digest.hex()})
            last = seq
        if out:
            bind.execute(sa.insert(nodes), out)


def downgrade() -> None:
    op.drop_table("legal_holds")
    op.drop_table("audit_tree_nodes")
