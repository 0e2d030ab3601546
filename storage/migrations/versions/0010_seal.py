"""Which page images each signer was actually shown ("viewed" means seen); when a seal needs re-archiving.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("envelope_signers") as batch:
        batch.add_column(sa.Column("viewed_pages", sa.Text(), nullable=True))
    with op.batch_alter_table("signed_documents") as batch:
        batch.add_column(sa.Column("archive_due_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("signed_documents") as batch:
        batch.drop_column("archive_due_at")
    with op.batch_alter_table("envelope_signers") as batch:
        batch.drop_column("viewed_pages")
