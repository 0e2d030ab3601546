"""API keys and clients.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_api_keys"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.create_table(
        "clients",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("legal_name", sa.String(200), nullable=False),
        sa.Column("legal_name_key", sa.String(200), nullable=False),
        sa.Column("short_name", sa.String(60), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("jurisdiction", sa.String(8), nullable=False),
        sa.Column("billing_email", sa.String(320), nullable=False),
        sa.Column("contact_name", sa.String(200), nullable=False),
        sa.Column("contact_title", sa.String(200), nullable=False),
        sa.Column("contact_email", sa.String(320), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("suspended_since", sa.Date(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_clients"),
        sa.UniqueConstraint("legal_name_key", "jurisdiction", name="uq_clients_legal_name_key_jurisdiction"),
    )
    op.create_index("ix_clients_legal_name_id", "clients", ["legal_name", "id"])


def downgrade() -> None:
    op.drop_index("ix_clients_legal_name_id", table_name="clients")
    op.drop_table("clients")
    op.drop_table("api_keys")
