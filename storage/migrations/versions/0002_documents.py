"""Documents, their versions and their stored files.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("template_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("frozen_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name="fk_documents_client_id_clients"),
    )
    op.create_index("ix_documents_client_id_created_at", "documents", ["client_id", "created_at"])
    op.create_index("ix_documents_template_id", "documents", ["template_id"])
    op.create_table(
        "document_versions",
        sa.Column("document_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("template_version", sa.String(32), nullable=False),
        sa.Column("document_date", sa.Date(), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("clauses", sa.JSON(), nullable=False),
        sa.Column("signature_boxes", sa.JSON(), nullable=False),
        sa.Column("library_versions", sa.JSON(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("document_id", "version", name="pk_document_versions"),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name="fk_document_versions_document_id_documents"),
    )
    op.create_table(
        "document_files",
        sa.Column("document_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("bucket", sa.String(63), nullable=False),
        sa.Column("key", sa.String(1024), nullable=False),
        sa.Column("version_id", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("document_id", "version", "format", name="pk_document_files"),
        sa.ForeignKeyConstraint(
            ["document_id", "version"],
            ["document_versions.document_id", "document_versions.version"],
            name="fk_document_files_document_id_document_versions",
        ),
    )


def downgrade() -> None:
    op.drop_table("document_files")
    op.drop_table("document_versions")
    op.drop_index("ix_documents_template_id", table_name="documents")
    op.drop_index("ix_documents_client_id_created_at", table_name="documents")
    op.drop_table("documents")
