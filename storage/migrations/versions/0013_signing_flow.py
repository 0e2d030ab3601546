"""Signing flow: who sent an envelope (told how it ends), whole-document views, embedded signing links.

Revision ID: 0013_signing_flow
Revises: 0012
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

revision = "0013_signing_flow"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("envelopes") as batch:
        batch.add_column(sa.Column("sender_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("sender_email", sa.String(320), nullable=True))
    with op.batch_alter_table("envelope_signers") as batch:
        batch.add_column(sa.Column("delivered_views", sa.String(100), nullable=True))
    with op.batch_alter_table("envelope_tokens") as batch:
        batch.add_column(sa.Column("expires_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("frame_origin", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("envelope_tokens") as batch:
        batch.drop_column("frame_origin")
        batch.drop_column("expires_at")
    with op.batch_alter_table("envelope_signers") as batch:
        batch.drop_column("delivered_views")
    with op.batch_alter_table("envelopes") as batch:
        batch.drop_column("sender_email")
        batch.drop_column("sender_name")
