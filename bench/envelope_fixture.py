"""A throw-away undersign deployment for the envelope benchmarks: SQLite, embedded SeaweedFS, outbox mail.

``Deployment`` starts the object store, migrates a SQLite database, and makes clients, documents
and envelopes through the real API (TestClient), returning the signing links read from the outbox.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from adapters.seaweedfs import EmbeddedSeaweedFS
from api.app import create_app
from domain.roles import Role
from services.api_keys import ApiKeyService
from storage import migrator
from storage.api_key_repository import SqlApiKeyRepository
from storage.audit_trail import SqlAuditTrail
from storage.database import unit_of_work
from undersign.runtime import Runtime, build_runtime
from undersign.settings import REPO_ROOT, Settings

LINK = re.compile(r"https?://[^\s/]+(/sign/[A-Za-z0-9_\-]+)")


def _text(raw: bytes) -> str:
    for part in message_from_bytes(raw).walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            return payload.decode() if isinstance(payload, bytes) else ""
    return ""


def client_body(legal_name: str) -> dict[str, Any]:
    """Return the ``POST /v1/clients`` body of a bench client called ``legal_name``."""
    return {
        "legal_name": legal_name,
        "short_name": "Bench",
        "address": "1 Bench St",
        "jurisdiction": "CA-BC",
        "billing_email": "ap@bench.example",
        "primary_contact": {"name": "Pat", "title": "Owner", "email": "pat@bench.example"},
    }


def invitation_links(outbox: Path, seen: dict[str, str]) -> dict[str, str]:
    """Add to ``seen`` (file name -> "address link") the outbox's mails not read yet; return address -> link path.

    Only mails carrying a signing link count; the address is the mail's ``To``.
    """
    for path in outbox.glob("*.eml"):
        if path.name in seen:
            continue
        raw = path.read_bytes()
        found = LINK.search(_text(raw))
        seen[path.name] = f"{parseaddr(message_from_bytes(raw).get('To', ''))[1]} {found.group(1)}" if found else ""
    links: dict[str, str] = {}
    for entry in seen.values():
        if entry:
            address, link = entry.rsplit(" ", 1)
            links[address.strip().lower()] = link
    return links


@dataclass
class Deployment:
    """A running deployment: settings, runtime, an API client with an admin key."""

    settings: Settings
    runtime: Runtime
    client: TestClient
    headers: dict[str, str]
    store: EmbeddedSeaweedFS

    def env(self) -> dict[str, str]:
        """Environment variables that make another process use this deployment."""
        s3 = self.settings.s3
        return {
            "UNDERSIGN_DATA_DIR": str(self.settings.data_dir),
            "UNDERSIGN_DATABASE__URL": self.settings.database_url,
            "UNDERSIGN_S3__ENDPOINT_URL": str(s3.endpoint_url),
            "UNDERSIGN_S3__ACCESS_KEY": s3.access_key.get_secret_value(),
            "UNDERSIGN_S3__SECRET_KEY": s3.secret_key.get_secret_value(),
            "UNDERSIGN_S3__REGION": s3.region,
            "UNDERSIGN_S3__BUCKET": s3.bucket,
            "UNDERSIGN_SERVER__PUBLIC_URL": self.settings.server.public_url,
        }

    def send(self, signers: int, order: int = 1) -> tuple[str, list[str]]:
        """Make a client and an MSA and send it to ``signers`` parallel signers; return (envelope id, link paths)."""
        sample = json.loads((REPO_ROOT / "templates/msa/msa/samples/us-tx-monthly.json").read_text())
        client = self.client.post(
            "/v1/clients",
            headers=self.headers,
            json=client_body(f"Bench Client {len(list(self._outbox()))} Ltd."),
        )
        client.raise_for_status()
        document = self.client.post(
            "/v1/documents",
            headers=self.headers,
            json={"template": "msa/msa", "client_id": client.json()["id"], "variables": sample},
        )
        if document.status_code != 201:
            raise RuntimeError(f"POST /v1/documents answered {document.status_code}: {document.text[:500]}")
        before = set(self._outbox())
        envelope = self.client.post(
            "/v1/envelopes",
            headers=self.headers,
            json={
                "document_id": document.json()["id"],
                "version": 1,
                "reminder_every_days": 0,
                "signers": [
                    {
                        "name": f"Signer {i}",
                        "email": f"s{i}@bench.example",
                        "title": "Owner",
                        "role": "client",
                        "order": order,
                    }
                    for i in range(signers)
                ],
            },
        )
        envelope.raise_for_status()
        links = []
        for path in sorted(set(self._outbox()) - before):
            found = LINK.search(_text(path.read_bytes()))
            if found:
                links.append(found.group(1))
        return envelope.json()["id"], links

    def _outbox(self) -> Iterator[Path]:
        return self.settings.outbox_dir.glob("*.eml")


def _recreate_postgres(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


@contextmanager
def deployment(port: int = 8000, database_url: str | None = None) -> Iterator[Deployment]:
    """Start a deployment in a temporary folder (SQLite unless ``database_url``) and tear it down afterwards.

    A PostgreSQL ``database_url`` names a scratch database: it is dropped and created again first.
    """
    with tempfile.TemporaryDirectory(prefix="undersign-bench-") as folder:
        data = Path(folder)
        store = EmbeddedSeaweedFS(data / "seaweed")
        store.start()
        try:
            if database_url:
                _recreate_postgres(database_url)
            settings = Settings(
                data_dir=data,
                database={"url": database_url},
                s3={
                    "endpoint_url": store.endpoint_url,
                    "access_key": SecretStr(store.access_key),
                    "secret_key": SecretStr(store.secret_key),
                    "region": store.region,
                    "bucket": "bench",
                },
                server={"public_url": f"http://127.0.0.1:{port}"},
                # A cold render worker on a loaded 2-core machine can take a minute to start.
                render={"workers": 1, "timeout_seconds": 600},
            )
            runtime = build_runtime(settings)
            migrator.upgrade(runtime.engine)
            runtime.ensure_bucket()
            with unit_of_work(runtime.sessions) as session:
                _record, key = ApiKeyService(
                    SqlApiKeyRepository(session), runtime.clock, SqlAuditTrail(session, runtime.clock)
                ).create("bench", Role.ADMIN)
            with TestClient(create_app(runtime)) as client:
                yield Deployment(settings, runtime, client, {"Authorization": f"Bearer {key}"}, store)
            close: Any = getattr(runtime.renderer, "close", None)
            if close:
                close()
            runtime.close()
        finally:
            store.stop()
