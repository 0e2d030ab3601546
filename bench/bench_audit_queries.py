"""Benchmark: event search and risk-register queries over 100,000 clients and 1,000,000 events (PostgreSQL).

A throwaway database is created, migrated, filled with server-side bulk inserts
(``INSERT ... SELECT FROM generate_series``: no rows cross the wire), analysed, queried through
the real repositories (``SqlAuditTrail.find``, ``SqlRiskRepository.search``) with random
parameters, and dropped. Prints p50 and p95 per query and the PostgreSQL plan of one run each,
so an index that is not used shows up as a Seq Scan.

    .venv/bin/python bench/bench_audit_queries.py                       # 100k clients, 1M events
    .venv/bin/python bench/bench_audit_queries.py --events 200000 --runs 100
    UNDERSIGN_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test  (server to use)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from domain.audit_log import EventFilter
from domain.risks import RiskStatus
from storage import migrator
from storage.audit_trail import SqlAuditTrail
from storage.database import make_engine, make_session_factory
from storage.risk_repository import SqlRiskRepository

ADMIN_URL = os.environ.get("UNDERSIGN_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
T0 = datetime(2026, 1, 1, tzinfo=UTC)
STEP_SECONDS = 30
ACTIONS = ["client.changed", "document.created", "envelope.sent", "risk.accepted", "auditor.read"]
RISKS = ["mfa", "edr", "backups", "eol_os", "patching", "firewall", "security_training", "email_filtering", "no_baa"]
STATUSES = ["draft", "sent", "accepted", "refused-to-sign", "review-due", "revoked", "remediated"]


class _Clock:
    def now(self) -> datetime:
        return T0


def client_id(i: int) -> str:
    """The id of synthetic client ``i`` (1-based)."""
    return f"c{i:08d}"


def fill(conn: Any, clients: int, events: int, risks: int) -> None:
    """Insert the synthetic data set with server-side bulk inserts."""
    conn.execute(
        text(
            "INSERT INTO clients (id, legal_name, legal_name_key, short_name, address, jurisdiction, billing_email,"
            " contact_name, contact_title, contact_email, notes, created_at, updated_at)"
            " SELECT 'c' || lpad(i::text, 8, '0'), 'Client ' || i, 'client ' || i, 'C' || i, 'Main St',"
            " 'US-TX', 'ap@c.example', 'A', 'CEO', 'a@c.example', '', now(), now()"
            " FROM generate_series(CAST(1 AS bigint), :n) i"
        ),
        {"n": clients},
    )
    # Each event concerns one client (spread by a multiplicative hash); every 5th one also a document.
    conn.execute(
        text(
            "INSERT INTO audit_events (seq, at, actor_kind, actor_id, actor_role, action, subjects, ip, user_agent,"
            " payload, payload_sha256, document_sha256, prev_hash, hash)"
            " SELECT i, CAST(:t0 AS timestamptz) + i * interval '30 seconds', 'api_key', 'key-' || ((i / 7) % 50),"
            " 'sales', (CAST(:actions AS text[]))[1 + i % 5],"
            " json_build_object('client', 'c' || lpad(((i * 7919) % :c + 1)::text, 8, '0')),"
            " '203.0.113.7', 'bench', json_build_object('n', i), md5(i::text) || md5('p' || i),"
            " NULL, md5((i - 1)::text) || md5('h' || (i - 1)), md5(i::text) || md5('h' || i)"
            " FROM generate_series(CAST(1 AS bigint), :n) i"
        ),
        {"n": events, "c": clients, "t0": T0, "actions": ACTIONS},
    )
    conn.execute(
        text(
            "INSERT INTO audit_subjects (seq, subject_type, subject_id)"
            " SELECT i, 'client', 'c' || lpad(((i * 7919) % :c + 1)::text, 8, '0')"
            " FROM generate_series(CAST(1 AS bigint), :n) i"
            " UNION ALL SELECT i, 'document', 'd' || (i / 5) FROM generate_series(CAST(5 AS bigint), :n, 5) i"
        ),
        {"n": events, "c": clients},
    )
    conn.execute(
        text(
            "INSERT INTO risks (id, record_id, client_id, risk, title, recommended_control, date_first_recommended,"
            " consequences, approver_name, approver_title, approver_email, authority, review_on, status,"
            " accepted_at, refused_at, envelope_id, signers, created_at, updated_at)"
            " SELECT 'r' || i, 'RA-2026-' || lpad(i::text, 6, '0'), 'c' || lpad(((i * 31) % :c + 1)::text, 8, '0'),"
            " (CAST(:risks AS text[]))[1 + i % 9], 'Risk ' || i, 'Do the thing', date '2026-01-01', '[\"x\"]',"
            " 'A', 'CEO', NULL, 'attests', date '2026-01-01' + CAST(i % 365 AS integer),"
            " (CAST(:statuses AS text[]))[1 + i % 7], NULL, NULL, NULL, '[]', now(), now()"
            " FROM generate_series(CAST(1 AS bigint), :n) i"
        ),
        {"n": risks, "c": clients, "risks": RISKS, "statuses": STATUSES},
    )


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Return p50 and p95 in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


def main() -> None:
    """Create, fill, query and drop the benchmark database; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--risks", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    name = f"undersign_bench_{os.getpid()}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        migrator.upgrade(engine)
        started = time.perf_counter()
        with engine.begin() as conn:
            fill(conn, args.clients, args.events, args.risks)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        print(
            f"filled {args.clients:,} clients, {args.events:,} events, {args.risks:,} risks "
            f"in {time.perf_counter() - started:.1f} s"
        )
        run_queries(engine, args)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_queries(engine: Any, args: argparse.Namespace) -> None:
    """Time each query over random parameters and print p50/p95 and one plan."""
    sessions = make_session_factory(engine)
    rng = random.Random(7)
    span = args.events * STEP_SECONDS
    captured: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        captured.append((statement, parameters))

    def window() -> EventFilter:
        start = T0 + timedelta(seconds=rng.randrange(span))
        return EventFilter(since=start, until=start + timedelta(hours=6))

    event_queries: dict[str, Callable[[], EventFilter]] = {
        "events by client (subject=client:id)": lambda: EventFilter(
            subject_type="client", subject_id=client_id(rng.randrange(1, args.clients + 1))
        ),
        "events by subject id (any type)": lambda: EventFilter(
            subject_id=client_id(rng.randrange(1, args.clients + 1))
        ),
        "events by actor + action": lambda: EventFilter(actor=f"key-{rng.randrange(50)}", action=rng.choice(ACTIONS)),
        "events by actor, page 2 (cursor)": lambda: EventFilter(
            actor=f"key-{rng.randrange(50)}", before_seq=rng.randrange(args.events // 2, args.events)
        ),
        "events in a 6-hour window": window,
    }
    risk_queries: dict[str, Callable[[], dict[str, Any]]] = {
        "risks of a client": lambda: {"client_id": client_id(rng.randrange(1, args.clients + 1))},
        "risks by status + review_before": lambda: {
            "status": RiskStatus.ACCEPTED,
            "review_before": date(2026, 1, 1) + timedelta(days=rng.randrange(1, 60)),
        },
        "risks by risk + status": lambda: {"risk": rng.choice(RISKS), "status": RiskStatus.REVIEW_DUE, "limit": 50},
    }
    print(f"{'query':42} {'p50 ms':>8} {'p95 ms':>8}  rows")
    plans: dict[str, str] = {}
    for label, make in event_queries.items():
        samples, rows = [], 0
        for _ in range(args.runs):
            with sessions() as session:
                trail = SqlAuditTrail(session, _Clock())
                where = make()
                captured.clear()
                began = time.perf_counter()
                rows = len(trail.find(where, 51))
                samples.append(time.perf_counter() - began)
        plans[label] = explain(engine, captured[-1])
        p50, p95 = percentiles(samples)
        print(f"{label:42} {p50:8.2f} {p95:8.2f}  {rows}")
    for label, make_kwargs in risk_queries.items():
        samples = []
        for _ in range(args.runs):
            with sessions() as session:
                repo = SqlRiskRepository(session)
                kwargs = make_kwargs()
                captured.clear()
                began = time.perf_counter()
                rows = len(repo.search(**kwargs))
                samples.append(time.perf_counter() - began)
        plans[label] = explain(engine, captured[-1])
        p50, p95 = percentiles(samples)
        print(f"{label:42} {p50:8.2f} {p95:8.2f}  {rows}")
    event.remove(engine, "before_cursor_execute", _capture)
    print("\nPlans (one run each):")
    for label, plan in plans.items():
        print(f"-- {label}\n{plan}")


def explain(engine: Any, captured: tuple[str, Any]) -> str:
    """Return the PostgreSQL plan (with actual times) of a captured statement."""
    statement, parameters = captured
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + statement, parameters)
        return "\n".join("   " + row[0] for row in rows)


if __name__ == "__main__":
    main()
