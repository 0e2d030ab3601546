"""Test databases: a migrated SQLite file per test, and a migrated PostgreSQL database per session.

PostgreSQL tests are isolated by truncating every table after each test (the schema is migrated
once per session: migrations per test would dominate the suite's run time). When ``CI=true`` a
missing PostgreSQL fails the run; elsewhere its tests skip and say why.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from storage import migrator
from storage.database import make_engine
from storage.schema import metadata

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def in_ci() -> bool:
    """Whether this run is CI, where every real component must be present."""
    return os.environ.get("CI", "").lower() == "true"


def missing(what: str) -> None:
    """Fail in CI, skip elsewhere, naming what is missing."""
    if in_ci():
        pytest.fail(f"CI=true but {what}", pytrace=False)
    pytest.skip(what)


def pg_admin_url() -> str:
    """The URL of the PostgreSQL server the tests may create databases on."""
    return os.environ.get("UNDERSIGN_TEST_DATABASE_URL", DEFAULT_PG_URL)


def create_pg_database(name: str) -> str:
    """Create (or recreate) database ``name`` on the test server, migrate it, and return its URL."""
    admin = pg_admin_url()
    try:
        engine = create_engine(admin, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
    except OperationalError as exc:
        missing(f"PostgreSQL is not reachable at {admin} ({exc.orig}); set UNDERSIGN_TEST_DATABASE_URL")
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    migrated = make_engine(url)
    migrator.upgrade(migrated)
    migrated.dispose()
    return url


def drop_pg_database(name: str) -> None:
    """Drop a database created by ``create_pg_database``."""
    engine = create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def truncate_all(engine: Engine) -> None:
    """Empty every table of the schema (PostgreSQL), keeping the migration version."""
    names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables if table.name != "audit_head")
    with engine.begin() as conn:
        # TRUNCATE fires no row-level DELETE triggers, so the append-only guards on audit tables
        # do not stand in the way of isolating tests.
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        # procrastinate's queue (migration 0013): a test's tasks must not run in the next test.
        conn.execute(
            text(
                "TRUNCATE procrastinate_jobs, procrastinate_periodic_defers, procrastinate_workers "
                "RESTART IDENTITY CASCADE"
            )
        )
        conn.execute(text("UPDATE audit_head SET seq = 0, hash = :genesis WHERE id = 1"), {"genesis": "0" * 64})


def migrated_sqlite_template(folder: Path) -> Path:
    """Create one migrated SQLite file to copy for each test."""
    path = folder / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrator.upgrade(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file we copy
    return path


def fresh_sqlite(template: Path, folder: Path) -> str:
    """Copy the migrated template into ``folder`` and return its URL."""
    path = folder / "undersign.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"
