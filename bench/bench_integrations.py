"""Benchmark: what idempotency keys, the webhook outbox and signed delivery cost (SQLite, in-process).

Each figure is printed beside the same work without the feature, run in the same process:

- POST /v1/clients through the app, without and with an ``Idempotency-Key`` (one reservation and
  one completion write more per request);
- an audit record that announces nothing, and one announced to three endpoints (message and
  three deliveries written in the same transaction);
- a webhook delivery (sign with standardwebhooks, POST with httpx, to a loopback receiver)
  against a bare httpx POST of the same body.

    .venv/bin/python bench/bench_integrations.py [--requests 300]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

import httpx
from fastapi.testclient import TestClient

from adapters.webhook_sender import HttpWebhookSender
from api.app import create_app
from domain.actor import SYSTEM
from domain.blobs import StoredBlob
from domain.roles import Role
from services.api_keys import ApiKeyService
from services.webhooks import new_secret
from storage import migrator
from storage.api_key_repository import SqlApiKeyRepository
from storage.audit_trail import SqlAuditTrail
from storage.database import unit_of_work
from storage.tables_integrations import webhook_endpoints
from undersign.runtime import build_runtime
from undersign.settings import Settings


class NoBlobs:
    """The clients route stores no files; this stands in for the object store."""

    def put(self, key: str, data: bytes, **_: Any) -> StoredBlob:
        """Never called."""
        raise NotImplementedError

    def get(self, key: str, version_id: str | None = None) -> bytes:
        """Never called."""
        raise NotImplementedError

    def latest(self, key: str) -> StoredBlob | None:
        """Never called."""
        raise NotImplementedError

    def check(self) -> None:
        """The stand-in is always there."""
        return None


def timed(label: str, runs: int, work: Callable[[int], object]) -> float:
    """Run ``work`` ``runs`` times and return the median milliseconds."""
    samples = []
    for i in range(runs):
        started = time.perf_counter()
        work(i)
        samples.append((time.perf_counter() - started) * 1000)
    median = statistics.median(samples)
    print(f"  {label:<58} median {median:7.2f} ms  p95 {sorted(samples)[int(runs * 0.95) - 1]:7.2f} ms")
    return median


def main() -> None:
    """Run the three comparisons and print medians and ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    runs = parser.parse_args().requests
    folder = Path(tempfile.mkdtemp(prefix="bench-integrations-"))
    runtime = build_runtime(Settings(data_dir=folder), blob_store=NoBlobs())
    migrator.upgrade(runtime.engine)
    with unit_of_work(runtime.sessions) as session:
        _record, key = ApiKeyService(
            SqlApiKeyRepository(session), runtime.clock, SqlAuditTrail(session, runtime.clock)
        ).create("bench", Role.ADMIN)
    headers = {"Authorization": f"Bearer {key}"}

    def client(i: int, tag: str) -> dict[str, Any]:
        return {
            "legal_name": f"Bench {tag} {i} Ltd.",
            "jurisdiction": "CA-BC",
            "billing_email": "ap@bench.example",
            "primary_contact": {"name": "A B", "email": "ab@bench.example"},
        }

    print(f"POST /v1/clients, SQLite, {runs} requests each")
    with TestClient(create_app(runtime)) as api:
        plain = timed(
            "without Idempotency-Key", runs, lambda i: api.post("/v1/clients", json=client(i, "a"), headers=headers)
        )
        keyed = timed(
            "with a fresh Idempotency-Key",
            runs,
            lambda i: api.post(
                "/v1/clients", json=client(i, "b"), headers={**headers, "Idempotency-Key": uuid.uuid4().hex}
            ),
        )
        replay_key = uuid.uuid4().hex
        api.post("/v1/clients", json=client(0, "c"), headers={**headers, "Idempotency-Key": replay_key})
        replay = timed(
            "replay of a stored answer",
            runs,
            lambda i: api.post("/v1/clients", json=client(0, "c"), headers={**headers, "Idempotency-Key": replay_key}),
        )
    print(f"  ratio keyed/plain {keyed / plain:.2f}x, replay/plain {replay / plain:.2f}x")

    print(f"\nAudit record in its own transaction, {runs} each")

    def record(action: str) -> Callable[[int], object]:
        def work(i: int) -> object:
            with unit_of_work(runtime.sessions) as session:
                return SqlAuditTrail(session, runtime.clock).record(
                    SYSTEM, action, {"document": f"d{i}", "client": "c"}
                )

        return work

    quiet = timed("client.changed (announces nothing)", runs, record("client.changed"))
    now = datetime.now(UTC)
    with unit_of_work(runtime.sessions) as session:
        for n in range(3):
            session.execute(
                webhook_endpoints.insert().values(
                    id=f"ep_{n}",
                    url="http://127.0.0.1:9/h",
                    description="",
                    event_types=["document.created"],
                    secrets=[],
                    owner_email=None,
                    enabled=1,
                    created_at=now,
                    updated_at=now,
                )
            )
    announced = timed("document.created to 3 endpoints (outbox rows)", runs, record("document.created"))
    print(f"  ratio announced/quiet {announced / quiet:.2f}x")

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["content-length"]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/h"
    body = b'{"type":"envelope.completed","timestamp":"2026-12-02T10:00:00Z","data":{"envelope_id":"e"}}'
    print(f"\nOne webhook request to a loopback receiver, {runs} each")
    raw_client = httpx.Client()
    raw = timed("bare httpx POST (the raw library)", runs, lambda i: raw_client.post(url, content=body))
    sender = HttpWebhookSender(allow_private=True)
    secret = new_secret()
    signed = timed(
        "HttpWebhookSender.send (resolve, sign, POST, log)",
        runs,
        lambda i: sender.send(url, f"msg_{i}", datetime.now(UTC), body, [secret]),
    )
    print(f"  ratio signed/raw {signed / raw:.2f}x")
    server.shutdown()
    runtime.close()


if __name__ == "__main__":
    main()
