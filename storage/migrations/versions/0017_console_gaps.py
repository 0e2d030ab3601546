"""Console gaps: authenticator secrets sealed at rest, and counsel's reviews of template texts.

``users.totp_secret`` widens to hold a sealed value (``adapters.secret_box``), and every secret
stored in plain text before this revision is sealed here. Sealing needs the service key: ``undersign
db upgrade`` hands a ``SecretBox`` to the migration (``config.attributes["secret_box"]``). A database
with plain secrets and no box refuses to upgrade (nothing changes) rather than leave them readable.

Revision ID: 0017_console_gaps
Revises: 0016_task_queue
Create Date: 2026-12-03
"""

from typing import Any

import sqlalchemy as sa
from alembic import context, op

from storage.tables import UtcDateTime

revision = "0017_console_gaps"
down_revision = "0016_task_queue"
branch_labels = None
depends_on = None

_users = sa.table("users", sa.column("id", sa.String(36)), sa.column("totp_secret", sa.String(255)))


def _box(purpose: str) -> Any:
    box = context.config.attributes.get("secret_box")
    if box is None:
        raise RuntimeError(
            f"{purpose} needs the service key: run `undersign db upgrade` (or downgrade) with the service's settings."
        )
    return box


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.alter_column("totp_secret", existing_type=sa.String(64), type_=sa.String(255), existing_nullable=True)
    bind = op.get_bind()
    plain = [
        (row.id, row.totp_secret)
        for row in bind.execute(sa.select(_users.c.id, _users.c.totp_secret).where(_users.c.totp_secret.is_not(None)))
        if not row.totp_secret.startswith("v1:")  # a base32 secret never contains ":"
    ]
    if plain:
        box = _box("Sealing the stored authenticator secrets")
        for user_id, secret in plain:
            bind.execute(sa.update(_users).where(_users.c.id == user_id).values(totp_secret=box.seal(secret, user_id)))
    op.create_table(
        "template_reviews",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("template_id", sa.String(120), nullable=False),
        sa.Column("template_version", sa.String(40), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("reviewed_by", sa.String(200), nullable=False),
        sa.Column("reviewed_at", UtcDateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_template_reviews"),
        sa.UniqueConstraint("template_id", "content_sha256", name="uq_template_reviews_template_id_content_sha256"),
    )
    op.create_index("ix_template_reviews_template_id_reviewed_at", "template_reviews", ["template_id", "reviewed_at"])


def downgrade() -> None:
    op.drop_index("ix_template_reviews_template_id_reviewed_at", table_name="template_reviews")
    op.drop_table("template_reviews")
    bind = op.get_bind()
    sealed = [
        (row.id, row.totp_secret)
        for row in bind.execute(sa.select(_users.c.id, _users.c.totp_secret).where(_users.c.totp_secret.is_not(None)))
        if row.totp_secret.startswith("v1:")
    ]
    if sealed:
        box = _box("Opening the sealed authenticator secrets")
        for user_id, value in sealed:
            bind.execute(sa.update(_users).where(_users.c.id == user_id).values(totp_secret=box.open(value, user_id)))
    with op.batch_alter_table("users") as batch:
        batch.alter_column("totp_secret", existing_type=sa.String(255), type_=sa.String(64), existing_nullable=True)
