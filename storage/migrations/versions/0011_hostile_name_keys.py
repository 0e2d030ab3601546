"""Client name keys become look-alike aware: recompute ``clients.legal_name_key`` with ``comparison_key``.

The key used to be case-folded with white space collapsed; it is now NFKC-folded as well, with
invisible characters removed, so fullwidth "ACME" and plain "ACME" are one name. A row whose new key would
collide with another client's in the same jurisdiction keeps its old key (two stored clients are
never merged by a migration; the duplicate check applies to new and renamed clients).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from domain.text import comparison_key

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_clients = sa.table(
    "clients",
    sa.column("id", sa.String),
    sa.column("legal_name", sa.String),
    sa.column("legal_name_key", sa.String),
    sa.column("jurisdiction", sa.String),
)


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_clients.c.id, _clients.c.legal_name, _clients.c.legal_name_key, _clients.c.jurisdiction)
    ).all()
    taken = {(row.legal_name_key, row.jurisdiction) for row in rows}
    for row in rows:
        key = comparison_key(row.legal_name)
        if key == row.legal_name_key or (key, row.jurisdiction) in taken:
            continue
        taken.discard((row.legal_name_key, row.jurisdiction))
        taken.add((key, row.jurisdiction))
        bind.execute(sa.update(_clients).where(_clients.c.id == row.id).values(legal_name_key=key))


def downgrade() -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(_clients.c.id, _clients.c.legal_name)).all():
        key = " ".join(row.legal_name.casefold().split())
        bind.execute(sa.update(_clients).where(_clients.c.id == row.id).values(legal_name_key=key))
