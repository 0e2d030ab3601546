"""The unit of work: commit on success, roll back on error, and a busy database is a retryable 503."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from domain.errors import DatabaseUnavailable
from storage.database import make_engine, make_session_factory, unit_of_work


class TestUnitOfWork:
    def test_error_rolls_back(self, tmp_path: Path) -> None:
        """A block that raises leaves nothing behind."""
        engine = make_engine(f"sqlite:///{tmp_path}/u.db")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        sessions = make_session_factory(engine)
        with pytest.raises(RuntimeError), unit_of_work(sessions) as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            raise RuntimeError("boom")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0

    def test_locked_sqlite_is_database_unavailable(self, tmp_path: Path) -> None:
        """A writer that cannot get the SQLite write lock in time gets DatabaseUnavailable (503), not a 500."""
        url = f"sqlite:///{tmp_path}/busy.db"
        holder = make_engine(url)
        with holder.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        waiter = make_engine(url, sqlite_busy_timeout_ms=200)
        locked = threading.Event()
        release = threading.Event()

        def hold_lock() -> None:
            with holder.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (1)"))
                locked.set()
                release.wait(30)

        thread = threading.Thread(target=hold_lock)
        thread.start()
        locked.wait(5)
        try:
            sessions = make_session_factory(waiter)
            with pytest.raises(DatabaseUnavailable) as info, unit_of_work(sessions) as session:
                session.execute(text("INSERT INTO t VALUES (2)"))
            assert info.value.status == 503
        finally:
            release.set()
            thread.join()

    def test_read_mostly_unit_reads_beside_a_writer(self, tmp_path: Path) -> None:
        """A read-mostly unit (GET) reads while another connection holds SQLite's write lock."""
        url = f"sqlite:///{tmp_path}/readers.db"
        holder = make_engine(url)
        with holder.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        reader = make_engine(url, sqlite_busy_timeout_ms=200)
        with holder.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (2)"))  # holds the write lock until the block ends
            with unit_of_work(make_session_factory(reader), read_mostly=True) as session:
                assert session.execute(text("SELECT count(*) FROM t")).scalar() == 1
            with pytest.raises(DatabaseUnavailable), unit_of_work(make_session_factory(reader)) as session:
                session.execute(text("SELECT count(*) FROM t"))  # a write unit queues for the lock, then gives up
