"""The blob store fake keeps the contract of ``domain.ports.blobs``: every version kept, exact reads, SHA-256."""

from __future__ import annotations

import hashlib

import pytest

from domain.errors import NotFound, StoreUnavailable
from domain.ports import BlobStore
from tests.fakes.blobs import FakeBlobStore


class TestFakeBlobStore:
    def test_versions_are_kept_and_read_exactly(self) -> None:
        """Two puts to one key keep both versions; a version id reads its own bytes; no id reads the newest."""
        port: BlobStore = FakeBlobStore()
        first = port.put("k", b"one", content_type="text/plain")
        second = port.put("k", b"two", content_type="text/plain")
        assert first.version_id != second.version_id
        assert (port.get("k", first.version_id), port.get("k")) == (b"one", b"two")
        assert first.sha256 == hashlib.sha256(b"one").hexdigest() and first.size == 3

    def test_missing_objects_and_a_store_that_is_down(self) -> None:
        """A missing key or version is NotFound; a store that is down fails every call with StoreUnavailable."""
        fake = FakeBlobStore()
        port: BlobStore = fake
        port.put("k", b"x", content_type="text/plain")
        with pytest.raises(NotFound):
            port.get("nope")
        with pytest.raises(NotFound):
            port.get("k", "v999999")
        fake.down = True
        with pytest.raises(StoreUnavailable):
            port.check()
        with pytest.raises(StoreUnavailable):
            port.put("k", b"y", content_type="text/plain")
