"""A versioned in-memory ``BlobStore``: every put keeps the older versions, like a versioned bucket."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from domain.blobs import Retention, StoredBlob
from domain.errors import NotFound, StoreUnavailable


@dataclass(frozen=True)
class BlobVersion:
    """One stored version of an object."""

    version_id: str
    data: bytes
    content_type: str
    retention: Retention | None


class FakeBlobStore:
    """Objects by key, each a list of versions (newest last); ``down`` makes every call fail.

    The object store is outside the database, so a rolled-back unit of work leaves its blobs (orphans
    are harmless), exactly as with S3.
    """

    def __init__(self, bucket: str = "fake-bucket") -> None:
        self.bucket = bucket
        self.objects: dict[str, list[BlobVersion]] = {}
        self.down = False
        self._counter = 0
        self.reads = 0  # how many times bytes were read back (a just-written file need not be)

    def _available(self) -> None:
        if self.down:
            raise StoreUnavailable("The object store did not answer; retry shortly.")

    def put(self, key: str, data: bytes, *, content_type: str, retention: Retention | None = None) -> StoredBlob:
        """Store ``data`` as a new version of ``key`` and return its coordinates and SHA-256."""
        self._available()
        self._counter += 1
        version = BlobVersion(f"v{self._counter:06d}", bytes(data), content_type, retention)
        self.objects.setdefault(key, []).append(version)
        return StoredBlob(
            bucket=self.bucket,
            key=key,
            version_id=version.version_id,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
        )

    def get(self, key: str, version_id: str | None = None) -> bytes:
        """Return the latest bytes of ``key``, or exactly ``version_id``; a missing one is ``NotFound``."""
        self._available()
        self.reads += 1
        versions = self.objects.get(key, [])
        if version_id is None and versions:
            return versions[-1].data
        for version in versions:
            if version.version_id == version_id:
                return version.data
        raise NotFound(f"object s3://{self.bucket}/{key} not found in the object store")

    def latest(self, key: str) -> StoredBlob | None:
        """Return the newest version of ``key``, or ``None`` when nothing is stored there."""
        self._available()
        versions = self.objects.get(key, [])
        if not versions:
            return None
        newest = versions[-1]
        return StoredBlob(
            bucket=self.bucket,
            key=key,
            version_id=newest.version_id,
            sha256=hashlib.sha256(newest.data).hexdigest(),
            size=len(newest.data),
        )

    def version(self, key: str, version_id: str) -> BlobVersion:
        """Return one stored version of ``key`` with its retention (what a test reads; ``NotFound`` if absent)."""
        found = next((v for v in self.objects.get(key, []) if v.version_id == version_id), None)
        if found is None:
            raise NotFound(f"object s3://{self.bucket}/{key} has no version {version_id}")
        return found

    def check(self) -> None:
        """Raise ``StoreUnavailable`` while ``down``."""
        self._available()

    def count(self) -> int:
        """Return how many object versions are stored in all."""
        return sum(len(v) for v in self.objects.values())
