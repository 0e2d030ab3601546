"""A busy database is a 503 with ``Retry-After``, never a 500: every pooled connection in use (PostgreSQL).

The pool is made tiny (one connection, no overflow, a one-second wait) and its only connection is
held by the test, as slow requests would hold it. Reads and writes then answer 503 problem+json
with ``Retry-After`` and change nothing; once the connection is back the same requests work.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from storage.database import make_engine
from storage.s3_blob_store import S3BlobStore
from storage.tables import clients
from tests.api.test_documents import client_body
from tests.conftest import Api, keys_for
from tests.support.databases import truncate_all
from undersign.runtime import Runtime, build_runtime
from undersign.settings import Settings


@pytest.fixture
def tiny_pool(postgres_url: str, settings: Settings, blob_store: S3BlobStore, tmp_path: Path) -> Iterator[Runtime]:
    """A runtime on PostgreSQL whose pool has one connection, no overflow and a one-second wait."""
    tiny = settings.model_copy(
        update={
            "database": settings.database.model_copy(
                update={"url": postgres_url, "pool_size": 1, "max_overflow": 0, "pool_timeout_seconds": 1.0}
            )
        }
    )
    runtime = build_runtime(tiny, blob_store=blob_store)
    yield runtime
    runtime.close()
    engine = make_engine(postgres_url)
    truncate_all(engine)
    engine.dispose()


def clients_stored(runtime: Runtime) -> int:
    """Return how many clients the database holds."""
    with runtime.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(clients)).scalar_one())


class TestExhaustedPool:
    @pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
    def test_reads_and_writes_answer_503_with_retry_after_while_every_connection_is_held(
        self, tiny_pool: Runtime
    ) -> None:
        """With the only pooled connection held, GET and POST answer 503 problem+json with Retry-After; then 200/201."""
        keys = keys_for(tiny_pool)
        with TestClient(create_app(tiny_pool), raise_server_exceptions=False) as client:
            api = Api(client, keys)
            held = tiny_pool.engine.connect()
            try:
                read = api.get("/v1/clients")
                write = api.post("/v1/clients", json=client_body())
            finally:
                held.close()
            for answer in (read, write):
                assert answer.status_code == 503, answer.text
                assert answer.headers["content-type"].startswith("application/problem+json")
                assert int(answer.headers["retry-after"]) > 0
                assert "retry" in answer.json()["detail"].lower()
            assert clients_stored(tiny_pool) == 0  # the refused write changed nothing
            assert api.get("/v1/clients").status_code == 200
            assert api.post("/v1/clients", json=client_body()).status_code == 201
            assert clients_stored(tiny_pool) == 1
