"""Signers get a language: the signing pages, their mails and the certificate speak English or French.

Existing signers were all served in English, so the column is filled with ``en``.

Revision ID: 0014_signing_i18n
Revises: 0013_signing_flow
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_signing_i18n"
# Chained after signing-flow's migration, which is on main (the lead re-chains migrations at merge).
down_revision = "0013_signing_flow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("envelope_signers") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=False, server_default="en"))


def downgrade() -> None:
    with op.batch_alter_table("envelope_signers") as batch:
        batch.drop_column("language")
