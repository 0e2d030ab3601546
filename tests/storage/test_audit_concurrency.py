"""Fifty concurrent writers on PostgreSQL leave the audit chain without gaps and without forks."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from domain.actor import Actor
from domain.audit import verify_chain
from domain.audit.merkle import root_from_leaves
from domain.roles import Role
from storage.audit_trail import SqlAuditTrail
from storage.audit_tree import SqlAuditTree
from storage.database import make_engine, make_session_factory, unit_of_work
from storage.tables import audit_events
from tests.fakes.clock import FixedClock
from tests.support.databases import truncate_all

WRITERS = 50


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    """An engine on the session's PostgreSQL database with a connection per writer, emptied around the test."""
    engine = make_engine(postgres_url, pool_size=WRITERS + 2)
    truncate_all(engine)
    yield engine
    truncate_all(engine)
    engine.dispose()


class TestConcurrentAppends:
    def test_fifty_writers_leave_no_gap_and_no_fork(self, pg_engine: Engine) -> None:
        """50 threads, each in its own transaction, append seqs 1..50 exactly once on one linked chain."""
        sessions = make_session_factory(pg_engine)
        clock = FixedClock()
        start = threading.Barrier(WRITERS)
        errors: list[BaseException] = []

        def write(index: int) -> None:
            try:
                actor = Actor(name=f"writer-{index}", role=Role.TECH)
                with unit_of_work(sessions) as session:
                    session.connection()  # every writer holds its own connection before the race starts
                    start.wait(timeout=30)
                    SqlAuditTrail(session, clock).record(actor, "client.changed", {"client": f"C-{index}"})
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        with unit_of_work(sessions) as session:
            events = list(SqlAuditTrail(session, clock).stream())
            writers = set(session.execute(select(audit_events.c.actor_id)).scalars())
            # The kept Merkle nodes, written by the concurrent appenders, fold to the tree over the events.
            kept_roots = [SqlAuditTree(session).root(size) for size in (1, 7, 32, WRITERS)]
        assert [event.seq for event in events] == list(range(1, WRITERS + 1))
        assert len({event.prev_hash for event in events}) == WRITERS  # no two events share a predecessor
        assert writers == {f"writer-{i}" for i in range(WRITERS)}
        verdict = verify_chain(events, [])
        assert verdict.ok and verdict.head_seq == WRITERS
        leaves = [bytes.fromhex(event.hash) for event in events]
        assert kept_roots == [root_from_leaves(leaves[:size]) for size in (1, 7, 32, WRITERS)]


class TestAppendsInOneTransaction:
    def test_batches_and_a_rolled_back_savepoint_keep_one_chain(self, pg_engine: Engine) -> None:
        """Ten writers each appending 7 events per transaction (one rolled back inside a savepoint) chain 1..60."""
        sessions = make_session_factory(pg_engine)
        clock = FixedClock()
        errors: list[BaseException] = []

        def write(index: int) -> None:
            try:
                actor = Actor(name=f"batch-{index}", role=Role.TECH)
                with unit_of_work(sessions) as session:
                    trail = SqlAuditTrail(session, clock)
                    for n in range(3):
                        trail.record(actor, "client.changed", {"client": f"C-{index}-{n}"})
                    savepoint = session.begin_nested()
                    SqlAuditTrail(session, clock).record(actor, "client.changed", {"client": "rolled-back"})
                    savepoint.rollback()
                    for n in range(3, 6):
                        SqlAuditTrail(session, clock).record(actor, "client.changed", {"client": f"C-{index}-{n}"})
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(i,)) for i in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        with unit_of_work(sessions) as session:
            events = list(SqlAuditTrail(session, clock).stream())
            kept_root = SqlAuditTree(session).root(60)
        assert [event.seq for event in events] == list(range(1, 61))
        assert all(event.subjects["client"] != "rolled-back" for event in events)
        verdict = verify_chain(events, [])
        assert verdict.ok and verdict.head_seq == 60
        assert kept_root == root_from_leaves([bytes.fromhex(event.hash) for event in events])
