"""Signed documents: which document version was signed by all parties, when, and where the sealed copy is.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signed_documents",
        sa.Column("envelope_id", sa.String(36), nullable=False),
        sa.Column("document_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("template_id", sa.String(100), nullable=False),
        sa.Column("signed_at", UtcDateTime(), nullable=False),
        sa.Column("sealed_bucket", sa.String(63), nullable=False),
        sa.Column("sealed_key", sa.String(1024), nullable=False),
        sa.Column("sealed_version_id", sa.String(200), nullable=False),
        sa.Column("sealed_sha256", sa.String(64), nullable=False),
        sa.Column("sealed_size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("envelope_id", name="pk_signed_documents"),
        sa.ForeignKeyConstraint(
            ["document_id", "version"],
            ["document_versions.document_id", "document_versions.version"],
            name="fk_signed_documents_document_id_document_versions",
        ),
    )
    op.create_index(
        "ix_signed_documents_client_id_template_id_signed_at",
        "signed_documents",
        ["client_id", "template_id", "signed_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_signed_documents_client_id_template_id_signed_at", table_name="signed_documents")
    op.drop_table("signed_documents")
