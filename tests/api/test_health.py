"""Liveness and readiness, including an object store that goes away and comes back."""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi.testclient import TestClient

from adapters.seaweedfs import EmbeddedSeaweedFS
from api.app import create_app
from domain.errors import StoreUnavailable
from storage import migrator
from storage.database import make_engine
from storage.s3_blob_store import S3BlobStore
from tests.conftest import Api
from undersign.runtime import Runtime, build_runtime
from undersign.settings import Settings


class TestHealth:
    def test_healthz_answers_without_a_key(self, api: Api) -> None:
        """/healthz answers 200 to anyone."""
        assert api.get("/healthz", role=None).json() == {"status": "ok"}

    def test_readyz_is_200_when_everything_is_up(self, api: Api) -> None:
        """/readyz is 200 with every check ok on a migrated database and a versioned bucket."""
        response = api.get("/readyz", role=None)
        assert response.status_code == 200, response.text
        assert response.json()["checks"] == {"database": "ok", "migrations": "ok", "object_store": "ok"}
        assert "retry-after" not in response.headers

    def test_readyz_is_503_when_schema_is_behind(
        self, settings: Settings, tmp_path: Path, blob_store: S3BlobStore
    ) -> None:
        """/readyz is 503 and says to migrate when the database has no schema yet."""
        empty = settings.model_copy(
            update={"database": settings.database.model_copy(update={"url": f"sqlite:///{tmp_path}/empty.db"})}
        )
        runtime = build_runtime(empty, blob_store=blob_store)
        with TestClient(create_app(runtime)) as client:
            response = client.get("/readyz")
        assert response.status_code == 503
        assert "undersign db upgrade" in response.json()["checks"]["migrations"]
        assert int(response.headers["retry-after"]) > 0


class TestStoreOutage:
    def test_store_down_gives_503_and_recovers_without_restart(self, tmp_path: Path, sqlite_template: Path) -> None:
        """With the store stopped /readyz and writes answer 503; after it restarts the same app works again."""
        store_process = EmbeddedSeaweedFS(tmp_path / "outage")
        store_process.start()
        try:
            settings = Settings(data_dir=tmp_path / "data", database={"url": f"sqlite:///{tmp_path}/db.sqlite"})
            engine = make_engine(settings.database_url)
            migrator.upgrade(engine)
            engine.dispose()
            store = S3BlobStore(
                bucket=f"o-{uuid.uuid4().hex[:12]}",
                endpoint_url=store_process.endpoint_url,
                region=store_process.region,
                access_key=store_process.access_key,
                secret_key=store_process.secret_key,
            )
            runtime: Runtime = build_runtime(settings, blob_store=store)
            runtime.ensure_bucket()
            with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
                assert client.get("/readyz").status_code == 200
                store.put("probe", b"before", content_type="text/plain")

                store_process.stop()
                down = client.get("/readyz")
                assert down.status_code == 503
                assert down.json()["checks"]["object_store"] != "ok"
                assert down.json()["checks"]["database"] == "ok"
                assert int(down.headers["retry-after"]) > 0
                try:
                    store.put("probe", b"during", content_type="text/plain")
                    raise AssertionError("a write to a stopped store must fail")
                except StoreUnavailable as exc:
                    assert exc.status == 503

                store_process.start()
                assert client.get("/readyz").status_code == 200
                assert store.put("probe", b"after", content_type="text/plain").version_id
        finally:
            store_process.stop()
