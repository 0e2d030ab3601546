"""The schema comes from migrations, and the query-side table definitions agree with it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from storage import migrator
from storage.schema import metadata


def _ours(name: str | None, type_: str, _parent: object) -> bool:
    """Compare our tables only: procrastinate's (PostgreSQL task queue) come from its own schema file."""
    return not (type_ == "table" and (name or "").startswith("procrastinate_"))


class TestMigrations:
    def test_migrated_schema_matches_table_definitions(self, database_url: str) -> None:
        """After `db upgrade` there is no difference between the database and storage/tables.py."""
        engine = create_engine(database_url)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": False, "include_name": _ours})
            diff = compare_metadata(context, metadata)
        engine.dispose()
        assert diff == []

    def test_database_is_at_head(self, database_url: str) -> None:
        """The test database is at the newest revision."""
        engine = create_engine(database_url)
        assert migrator.is_current(engine)
        engine.dispose()
