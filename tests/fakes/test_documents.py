"""The document fakes keep the contract of ``domain.ports.documents``: versions append, reads in stored order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.blobs import StoredBlob
from domain.document_kind import DocumentKind
from domain.documents import Document, DocumentFilter, DocumentVersion, SignedDocument
from domain.errors import Conflict
from domain.ports import DocumentRepository, SignedDocumentRepository
from tests.fakes.documents import FakeDocumentRepository, FakeSignedDocumentRepository

AT = datetime(2026, 3, 1, tzinfo=UTC)


def document(document_id: str, minutes: int = 0) -> Document:
    """Return a notice document created ``minutes`` after ``AT``."""
    return Document(
        document_id,
        "c1",
        "notices/reminder",
        DocumentKind.NOTICE,
        "Payment Reminder",
        0,
        AT + timedelta(minutes=minutes),
        "key:a",
    )


def version(document_id: str, number: int) -> DocumentVersion:
    """Return version ``number`` of a document."""
    return DocumentVersion(
        document_id, number, "notices/reminder", "1.0.0", date(2026, 3, 1), {}, (), (), {}, {}, AT, "key:a"
    )


class TestFakeDocumentRepository:
    def test_versions_append_and_the_latest_follows(self) -> None:
        """Each version is kept; a repeated number is a Conflict; the document's latest is the newest version."""
        port: DocumentRepository = FakeDocumentRepository()
        port.add(document("d1"))
        port.add_version(version("d1", 1))
        port.add_version(version("d1", 2))
        with pytest.raises(Conflict):
            port.add_version(version("d1", 2))
        stored = port.get("d1")
        assert stored is not None and stored.latest_version == 2 and [v.version for v in stored.versions] == [1, 2]
        assert port.get_version("d1", 3) is None and port.get("nope") is None

    def test_freeze_keeps_the_first_time_and_search_is_newest_first(self) -> None:
        """Freezing twice keeps the first time; search returns newest first after a keyset position."""
        port: DocumentRepository = FakeDocumentRepository()
        for minutes, name in enumerate(["d1", "d2", "d3"]):
            port.add(document(name, minutes))
        port.freeze("d1", AT)
        port.freeze("d1", AT + timedelta(days=1))
        frozen = port.get("d1")
        assert frozen is not None and frozen.frozen_at == AT
        page = port.search(DocumentFilter(client_id="c1"), 2, None)
        assert [d.id for d in page] == ["d3", "d2"]
        assert [d.id for d in port.search(DocumentFilter(), 5, (page[-1].created_at, page[-1].id))] == ["d1"]


class TestFakeSignedDocumentRepository:
    def test_latest_signed_msa_wins(self) -> None:
        """latest_for_client returns the most recently signed copy of that template; one per envelope."""
        port: SignedDocumentRepository = FakeSignedDocumentRepository()
        sealed = StoredBlob("b", "k", "v1", "0" * 64, 1)
        for day, envelope in ((1, "e1"), (9, "e2"), (5, "e3")):
            port.add(SignedDocument(envelope, f"d-{envelope}", 1, "c1", "msa/msa", AT + timedelta(days=day), sealed))
        with pytest.raises(Conflict):
            port.add(SignedDocument("e1", "d", 1, "c1", "msa/msa", AT, sealed))
        latest = port.latest_for_client("c1", "msa/msa")
        assert latest is not None and latest.envelope_id == "e2"
        assert port.latest_for_client("c2", "msa/msa") is None

    def test_signed_before_gives_the_copy_in_force_then(self) -> None:
        """With signed_before, only copies signed strictly before that time count: the MSA in force then."""
        port: SignedDocumentRepository = FakeSignedDocumentRepository()
        sealed = StoredBlob("b", "k", "v1", "0" * 64, 1)
        for day, envelope in ((1, "e1"), (9, "e2"), (5, "e3")):
            port.add(SignedDocument(envelope, f"d-{envelope}", 1, "c1", "msa/msa", AT + timedelta(days=day), sealed))
        in_force = port.latest_for_client("c1", "msa/msa", signed_before=AT + timedelta(days=9))
        assert in_force is not None and in_force.envelope_id == "e3"
        assert port.latest_for_client("c1", "msa/msa", signed_before=AT + timedelta(days=1)) is None
