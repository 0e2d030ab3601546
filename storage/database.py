"""The database engine: SQLite (embedded default) or PostgreSQL through psycopg 3.

SQLite runs in WAL mode with foreign keys on and a busy timeout, so the API and a CLI command can
share the file. Errors that mean "the database is not there" become ``DatabaseUnavailable`` at
this boundary.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import DatabaseUnavailable


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def apply(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return apply


READ_MOSTLY = "undersign_read_mostly"


def _sqlite_begin(conn: Any) -> None:
    if conn.get_execution_options().get(READ_MOSTLY):
        # Reads run side by side under WAL; a read-mostly unit that writes at the end (an audit record
        # of a read) upgrades then, and answers a retryable 503 in the rare case a writer got in between.
        conn.exec_driver_sql("BEGIN")
        return
    # A write transaction that starts as a read and upgrades later can fail with SQLITE_BUSY
    # without waiting; BEGIN IMMEDIATE takes the write lock up front so writers queue instead.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 5,
    max_overflow: int = 10,
    pool_timeout: float = 10.0,
    sqlite_busy_timeout_ms: int = 10_000,
) -> Engine:
    """Create the engine for ``url`` with the settings each backend needs."""
    if url.startswith("sqlite"):
        timeout = sqlite_busy_timeout_ms / 1000
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": timeout})
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_busy_timeout_ms))
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        event.listen(engine, "connect", lambda dbapi_conn, _rec: setattr(dbapi_conn, "isolation_level", None))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5},
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory; sessions never autocommit and never expire on commit."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def unit_of_work(factory: sessionmaker[Session], *, read_mostly: bool = False) -> Iterator[Session]:
    """Open a session that commits when the block succeeds and rolls back when it raises.

    ``read_mostly`` (GET requests) lets SQLite readers run beside a writer instead of queueing for its
    one write lock; PostgreSQL ignores it.
    """
    session = factory()
    try:
        if read_mostly:
            session.connection(execution_options={READ_MOSTLY: True})
        yield session
        session.commit()
    except (OperationalError, DBAPIError) as exc:
        session.rollback()
        if is_connection_error(exc):
            raise DatabaseUnavailable("The database is unreachable or busy; nothing was changed. Retry.") from exc
        raise
    except PoolTimeout as exc:
        # Every pooled connection is in use: the service is busy, not broken; the caller may retry.
        session.rollback()
        raise DatabaseUnavailable("The service is busy; nothing was changed. Retry in a few seconds.") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


_RETRYABLE = ("database is locked", "deadlock detected", "could not serialize", "lock timeout", "could not obtain lock")


def is_connection_error(exc: DBAPIError) -> bool:
    """Return whether a driver error means the database is unreachable or busy rather than a bad statement.

    A busy SQLite file ("database is locked" after the busy timeout) or a PostgreSQL deadlock is a
    503 the caller may retry, not a bug: the transaction was rolled back and nothing changed.
    """
    message = str(exc).lower()
    return (
        bool(exc.connection_invalidated)
        or (isinstance(exc, OperationalError) and "connect" in message)
        or any(marker in message for marker in _RETRYABLE)
    )


def ping(engine: Engine) -> None:
    """Run ``SELECT 1``; raise ``DatabaseUnavailable`` if the database does not answer."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError) as exc:
        raise DatabaseUnavailable(f"The database does not answer: {type(exc.orig).__name__}") from exc
