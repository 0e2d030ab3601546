"""The object store port: versioned, checksummed blobs with retention."""

from __future__ import annotations

from typing import Protocol

from domain.blobs import Retention as Retention
from domain.blobs import StoredBlob as StoredBlob


class BlobStore(Protocol):
    """A versioned object store: every put keeps old versions and returns the new version's coordinates."""

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        retention: Retention | None = None,
    ) -> StoredBlob:
        """Store ``data`` under ``key`` as a new version, checksummed with SHA-256."""
        ...

    def get(self, key: str, version_id: str | None = None) -> bytes:
        """Return the bytes of ``key`` (the exact ``version_id`` when given)."""
        ...

    def latest(self, key: str) -> StoredBlob | None:
        """Return the coordinates of the newest version of ``key``, or ``None`` when nothing is stored there."""
        ...

    def check(self) -> None:
        """Raise ``StoreUnavailable`` unless the bucket answers with versioning enabled."""
        ...
