"""Alembic environment: runs migrations on the connection undersign hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from storage.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("undersign migrations run through `undersign db upgrade`, which supplies the connection")
_run(connection)
