"""The envelope fake keeps the contract of ``domain.ports.envelopes``: signers in order, tokens by hash, due work."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from domain.envelopes import Envelope, EnvelopeFilter, EnvelopeStatus, Signer, SignerRole, SignerStatus, page_image_key
from domain.errors import Conflict
from domain.ports import DocumentPages, EnvelopeRepository
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.envelopes import FakeDocumentPages, FakeEnvelopeRepository
from tests.fakes.templates import text_pdf

AT = datetime(2026, 3, 1, tzinfo=UTC)


def envelope(envelope_id: str, status: EnvelopeStatus = EnvelopeStatus.SENT) -> Envelope:
    """Return an envelope of document d1 v1 with two signers stored out of order."""
    signers = tuple(
        Signer(f"{envelope_id}-s{p}", envelope_id, p, f"S{p}", f"s{p}@x.example", "", SignerRole.CLIENT, 1,
               SignerStatus.INVITED)
        for p in (1, 0)
    )  # fmt: skip
    return Envelope(
        envelope_id, "d1", 1, "c1", "waivers/decline-of-service", "1.0.0", "waiver", "Letter", status, "", False,
        False, "k", "v1", "0" * 64, "Client", "MSP", AT, "key:a", AT + timedelta(days=30), 3, AT + timedelta(days=3),
        signers=signers,
    )  # fmt: skip


class TestFakeEnvelopeRepository:
    def test_signers_come_back_by_position_and_tokens_by_hash(self) -> None:
        """Get orders signers by position; an unknown hash is None; the same hash twice is a Conflict."""
        port: EnvelopeRepository = FakeEnvelopeRepository()
        port.add(envelope("e1"))
        stored = port.get("e1")
        assert stored is not None and [s.position for s in stored.signers] == [0, 1]
        port.add_token("h1", "e1-s0", "e1", AT)
        with pytest.raises(Conflict):
            port.add_token("h1", "e1-s1", "e1", AT)
        assert port.by_token("h1") == ("e1", "e1-s0") and port.by_token("h2") is None

    def test_open_envelopes_and_due_work(self) -> None:
        """Only sent or completing envelopes are open; claim_due picks expiries, reminders and seals by their rule."""
        port: EnvelopeRepository = FakeEnvelopeRepository()
        port.add(envelope("e1"))
        port.add(envelope("e2", EnvelopeStatus.COMPLETING))
        port.add(envelope("e3", EnvelopeStatus.VOIDED))
        assert sorted(port.open_for_document("d1", 1)) == ["e1", "e2"] and port.open_for_document("d1", 2) == []
        assert [e.id for e in port.claim_due("remind", AT + timedelta(days=3), 10)] == ["e1"]
        assert port.claim_due("expire", AT + timedelta(days=29), 10) == []
        assert [e.id for e in port.claim_due("expire", AT + timedelta(days=30), 10)] == ["e1"]
        assert [e.id for e in port.claim_due("seal", AT, 10)] == ["e2"]
        assert [e.id for e in port.search(EnvelopeFilter(status=EnvelopeStatus.VOIDED), 10)] == ["e3"]


class TestFakeDocumentPages:
    def test_pages_are_ready_only_after_their_render_once_per_pdf_and_only_for_its_hash(self) -> None:
        """Not ready until rendered; a PNG per page in the store; asked twice, rendered once; wrong bytes refused."""
        pdf = text_pdf([f"line {n}" for n in range(70)])
        digest = hashlib.sha256(pdf).hexdigest()
        blobs = FakeBlobStore()
        stored = blobs.put("sent/a.pdf", pdf, content_type="application/pdf")
        fake = FakeDocumentPages(blobs)
        port: DocumentPages = fake
        port.request(digest, stored.key, stored.version_id)
        assert port.ready(digest) is None
        port.request(digest, stored.key, stored.version_id)
        fake.render_requested()
        assert port.ready(digest) == 2 and fake.loads == 1
        assert all(blobs.get(page_image_key(digest, i)).startswith(b"\x89PNG") for i in range(2))
        port.request("0" * 64, stored.key, stored.version_id)
        with pytest.raises(ValueError):
            fake.render_requested()
