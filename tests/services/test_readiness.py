"""Readiness driven through the blob store fake: a store that is down makes the report say so, by name."""

from __future__ import annotations

from services.readiness import check_readiness
from tests.fakes.blobs import FakeBlobStore


class TestReadiness:
    def test_a_store_that_is_down_is_named_with_its_reason(self) -> None:
        """With the store up every probe is ok; down, the report is unavailable and names the store's problem."""
        store = FakeBlobStore()
        probes = {"object_store": store.check, "database": lambda: None}
        assert check_readiness(probes).as_dict() == {
            "status": "ready",
            "checks": {"object_store": "ok", "database": "ok"},
        }
        store.down = True
        report = check_readiness(probes)
        assert not report.ready and report.checks["database"] == "ok"
        assert report.checks["object_store"] == "The object store did not answer; retry shortly."
