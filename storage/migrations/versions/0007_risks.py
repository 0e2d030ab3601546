"""The risk register: entries, their transitions and the letter versions printed from them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risks",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("record_id", sa.String(20), nullable=False),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("risk", sa.String(40), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("recommended_control", sa.Text(), nullable=False),
        sa.Column("date_first_recommended", sa.Date(), nullable=False),
        sa.Column("consequences", sa.JSON(), nullable=False),
        sa.Column("approver_name", sa.String(120), nullable=False),
        sa.Column("approver_title", sa.String(120), nullable=False),
        sa.Column("approver_email", sa.String(254), nullable=True),
        sa.Column("authority", sa.String(300), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("accepted_at", UtcDateTime(), nullable=True),
        sa.Column("refused_at", UtcDateTime(), nullable=True),
        sa.Column("envelope_id", sa.String(36), nullable=True),
        sa.Column("signers", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_risks"),
        sa.UniqueConstraint("record_id", name="uq_risks_record_id"),
    )
    op.create_index("ix_risks_client_id_status", "risks", ["client_id", "status"])
    op.create_index("ix_risks_status_review_on", "risks", ["status", "review_on"])
    op.create_index("ix_risks_risk_status", "risks", ["risk", "status"])
    op.create_table(
        "risk_transitions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("risk_id", sa.String(36), nullable=False),
        sa.Column("from_status", sa.String(20), nullable=True),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("envelope_id", sa.String(36), nullable=True),
        sa.Column("document_id", sa.String(36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_risk_transitions"),
    )
    op.create_index("ix_risk_transitions_risk_id_id", "risk_transitions", ["risk_id", "id"])
    op.create_table(
        "risk_documents",
        sa.Column("risk_id", sa.String(36), nullable=False),
        sa.Column("document_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("record_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("risk_id", "document_id", "version", name="pk_risk_documents"),
    )
    op.create_index("ix_risk_documents_document_id", "risk_documents", ["document_id"])


def downgrade() -> None:
    op.drop_table("risk_documents")
    op.drop_table("risk_transitions")
    op.drop_table("risks")
