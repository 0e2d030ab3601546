"""Tests for Completer: stamp, certificate and seal in one call, on the bytes that were sent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import HTTPTimeStamper

from domain.errors import Conflict, TimestampUnavailable
from domain.sealing.completion import Completer
from domain.sealing.completion_certificate import CompletionRecord
from domain.sealing.keys import SealingKey
from domain.sealing.seal import Sealer
from domain.sealing.stamping import SignatureStamp
from domain.sealing.verify import verify_sealed_pdf
from tests.support.tsa import LocalTsa


class TestComplete:
    def test_two_revisions_sent_then_stamps_certificate_and_seal(
        self,
        completer: Completer,
        sent_pdf: bytes,
        stamps: tuple[SignatureStamp, ...],
        record: CompletionRecord,
        now: datetime,
        tmp_path: Path,
        pdfsig: Callable[[Path], Any],
        pdftext: Callable[..., str],
    ) -> None:
        """Revision 1 = sent bytes, revision 2 = stamps, certificate and the seal over them, valid in pdfsig."""
        done = completer.complete(sent_pdf, stamps, record, sealed_at=now)
        assert done.pdf.startswith(sent_pdf)
        reader = PdfFileReader(BytesIO(done.pdf))
        assert reader.xrefs.total_revisions == 2
        assert reader.embedded_signatures[0].signed_revision == 1
        path = tmp_path / "done.pdf"
        path.write_bytes(done.pdf)
        result = pdfsig(path)
        assert result.signature_valid and result.total_document_signed, result.output
        assert record.sent_sha256 in " ".join(pdftext(path).split())

    def test_stamps_sit_in_their_boxes_and_the_certificate_follows(
        self,
        completer: Completer,
        sent_pdf: bytes,
        stamps: tuple[SignatureStamp, ...],
        record: CompletionRecord,
        now: datetime,
        tmp_path: Path,
        pdftext: Callable[..., str],
    ) -> None:
        """Each box shows its signer's stamp, and the pages after the document are the numbered certificate."""
        done = completer.complete(sent_pdf, stamps, record, sealed_at=now)
        path = tmp_path / "done.pdf"
        path.write_bytes(done.pdf)
        client_text = pdftext(path, page=1, crop=stamps[0].box)
        assert "Alice Client" in client_text and "Bob Provider" not in client_text
        assert "Bob Provider" in pdftext(path, page=1, crop=stamps[1].box)
        sent_pages = int(PdfFileReader(BytesIO(sent_pdf)).root["/Pages"]["/Count"])
        total = int(PdfFileReader(BytesIO(done.pdf)).root["/Pages"]["/Count"])
        assert total > sent_pages
        certificate = " ".join(pdftext(path, page=sent_pages + 1).split())
        assert "Certificate of completion" in certificate
        assert f"Page {sent_pages + 1} of {total}" in certificate

    def test_certificate_pages_match_the_document_page_size(
        self,
        completer: Completer,
        sent_pdf: bytes,
        stamps: tuple[SignatureStamp, ...],
        record: CompletionRecord,
        now: datetime,
    ) -> None:
        """Appended certificate pages take the size of the document's last page."""
        done = completer.complete(sent_pdf, stamps, record, sealed_at=now)
        reader = PdfFileReader(BytesIO(done.pdf))
        count = int(reader.root["/Pages"]["/Count"])
        sizes = set()
        for index in range(count):
            page, _ = reader.find_page_for_modification(index)
            sizes.add(tuple(round(float(v)) for v in page.get_object()["/MediaBox"]))
        assert sizes == {(0, 0, 595, 842)}

    def test_refuses_a_record_for_other_bytes(
        self,
        completer: Completer,
        sent_pdf: bytes,
        stamps: tuple[SignatureStamp, ...],
        record: CompletionRecord,
        now: datetime,
    ) -> None:
        """A record whose sent hash differs from the bytes handed in is a Conflict; nothing is sealed."""
        with pytest.raises(Conflict):
            completer.complete(sent_pdf, stamps, replace(record, sent_sha256="b" * 64), sealed_at=now)

    def test_tsa_down_produces_nothing(
        self,
        sealing_key: SealingKey,
        sent_pdf: bytes,
        stamps: tuple[SignatureStamp, ...],
        record: CompletionRecord,
        now: datetime,
        tsa: LocalTsa,
    ) -> None:
        """With the configured TSA stopped, completion raises TimestampUnavailable."""
        completer = Completer(Sealer(sealing_key, timestamper=HTTPTimeStamper(tsa.url, timeout=3)))
        tsa.stop()
        with pytest.raises(TimestampUnavailable):
            completer.complete(sent_pdf, stamps, record, sealed_at=now)

    def test_verdict_of_a_completed_document_with_timestamp(
        self,
        sealing_key: SealingKey,
        sent_pdf: bytes,
        stamps: tuple[SignatureStamp, ...],
        record: CompletionRecord,
        now: datetime,
        tsa: LocalTsa,
    ) -> None:
        """End to end: the completed file verifies as ours, with the stored hash and a trusted timestamp."""
        completer = Completer(Sealer(sealing_key, timestamper=HTTPTimeStamper(tsa.url)))
        done = completer.complete(sent_pdf, stamps, record, sealed_at=now)
        verdict = verify_sealed_pdf(
            done.pdf, sealing_key.trust_roots(), done.sha256, timestamp_trust_roots=[tsa.identity.root]
        )
        assert verdict.ok, verdict.problems
        assert verdict.matches_stored_copy and verdict.timestamp_trusted
        assert verdict.envelope_id == record.envelope_id
