"""Which page images each signer was actually shown ("viewed" means seen).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("envelope_signers") as batch:
        batch.add_column(sa.Column("viewed_pages", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("envelope_signers") as batch:
        batch.drop_column("viewed_pages")
