"""Tests for verify_sealed_pdf and first_revision: the auditor's questions about one file."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from io import BytesIO

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.timestamps import HTTPTimeStamper

from domain.sealing.completion import Completer, SealedDocument
from domain.sealing.completion_certificate import CompletionRecord
from domain.sealing.keys import SealingKey, generate_dev_pki
from domain.sealing.seal import Sealer, SealMetadata
from domain.sealing.stamping import SignatureStamp
from domain.sealing.verify import first_revision, verify_sealed_pdf
from tests.support.tsa import LocalTsa


@pytest.fixture(scope="module")
def completed(
    completer: Completer, sent_pdf: bytes, stamps: tuple[SignatureStamp, ...], record: CompletionRecord, now: datetime
) -> SealedDocument:
    """The fixture envelope completed and sealed without a TSA."""
    return completer.complete(sent_pdf, stamps, record, sealed_at=now)


class TestVerdictOnAGoodSeal:
    def test_reports_ours_intact_and_whole_file(self, completed: SealedDocument, sealing_key: SealingKey) -> None:
        """A fresh seal is ours, intact, valid, covers the whole file and is ok."""
        verdict = verify_sealed_pdf(completed.pdf, sealing_key.trust_roots())
        assert verdict.sealed and verdict.ours and verdict.intact and verdict.valid
        assert verdict.covers_whole_file and verdict.coverage == "ENTIRE_FILE"
        assert verdict.modification_level == "NONE"
        assert verdict.ok, verdict.problems
        assert verdict.problems == ()

    def test_reports_envelope_document_and_version(self, completed: SealedDocument, sealing_key: SealingKey) -> None:
        """The verdict names the envelope, document and version from the seal."""
        verdict = verify_sealed_pdf(completed.pdf, sealing_key.trust_roots())
        assert (verdict.envelope_id, verdict.document_id, verdict.document_version) == ("env-7f3a", "doc-42", 3)

    def test_reports_signer_time_and_fingerprint(
        self, completed: SealedDocument, sealing_key: SealingKey, now: datetime
    ) -> None:
        """The verdict gives the seal certificate's subject and SHA-256 fingerprint and the signing time."""
        from cryptography.hazmat.primitives import hashes

        verdict = verify_sealed_pdf(completed.pdf, sealing_key.trust_roots())
        assert verdict.signer_fingerprint_sha256 == sealing_key.certificate.fingerprint(hashes.SHA256()).hex()
        assert verdict.signer_subject is not None and "document seal" in verdict.signer_subject
        assert verdict.signing_time == now
        assert verdict.timestamp_time is None and verdict.timestamp_valid is None

    def test_revision_one_hash_is_the_sent_hash(
        self, completed: SealedDocument, sealing_key: SealingKey, sent_pdf: bytes
    ) -> None:
        """Revision 1's SHA-256 equals the sent document's, and the seal vouches for it."""
        verdict = verify_sealed_pdf(completed.pdf, sealing_key.trust_roots())
        assert verdict.revision1_sha256 == hashlib.sha256(sent_pdf).hexdigest()
        assert verdict.revision1_matches_seal is True
        assert verdict.file_sha256 == completed.sha256

    def test_stored_copy_comparison(self, completed: SealedDocument, sealing_key: SealingKey) -> None:
        """Equal to the stored copy's hash -> True; a different hash -> False and not ok."""
        roots = sealing_key.trust_roots()
        assert verify_sealed_pdf(completed.pdf, roots, completed.sha256).matches_stored_copy is True
        other = verify_sealed_pdf(completed.pdf, roots, "0" * 64)
        assert other.matches_stored_copy is False
        assert not other.ok
        assert verify_sealed_pdf(completed.pdf, roots).matches_stored_copy is None


class TestVerdictOnBadFiles:
    def test_flipped_byte_is_not_intact(self, completed: SealedDocument, sealing_key: SealingKey) -> None:
        """One flipped byte in the signed range makes the verdict not intact and not ok."""
        data = bytearray(completed.pdf)
        data[len(data) // 3] ^= 0x01
        verdict = verify_sealed_pdf(bytes(data), sealing_key.trust_roots(), completed.sha256)
        assert not verdict.ok
        assert not verdict.intact
        assert verdict.matches_stored_copy is False

    def test_other_roots_are_not_ours(self, completed: SealedDocument, now: datetime) -> None:
        """Against another CA the seal is intact but not ours."""
        other_roots = generate_dev_pki(now).sealing_key().trust_roots()
        verdict = verify_sealed_pdf(completed.pdf, other_roots)
        assert verdict.intact and verdict.valid and not verdict.ours and not verdict.ok
        assert any("trust roots" in p for p in verdict.problems)

    def test_update_after_the_seal_is_detected(self, completed: SealedDocument, sealing_key: SealingKey) -> None:
        """An incremental update appended after sealing leaves the seal short of the whole file."""
        writer = IncrementalPdfFileWriter(BytesIO(completed.pdf))
        writer.root[generic.pdf_name("/Lang")] = generic.TextStringObject("xx")
        writer.update_root()
        out = BytesIO()
        writer.write(out)
        verdict = verify_sealed_pdf(out.getvalue(), sealing_key.trust_roots())
        assert verdict.intact and not verdict.covers_whole_file and not verdict.ok
        assert verdict.coverage == "ENTIRE_REVISION"

    def test_not_a_pdf(self, sealing_key: SealingKey) -> None:
        """Random bytes give an unsealed verdict with a reason, not an exception."""
        verdict = verify_sealed_pdf(b"definitely not a pdf", sealing_key.trust_roots())
        assert not verdict.sealed and not verdict.ok
        assert verdict.problems

    def test_unsigned_pdf(self, sent_pdf: bytes, sealing_key: SealingKey) -> None:
        """The unsigned sent PDF is reported as carrying no signature."""
        verdict = verify_sealed_pdf(sent_pdf, sealing_key.trust_roots())
        assert not verdict.sealed
        assert verdict.problems == ("the file carries no signature",)

    def test_seal_naming_other_sent_bytes_is_flagged(
        self, sealer: Sealer, sent_pdf: bytes, sealing_key: SealingKey, now: datetime
    ) -> None:
        """If revision 1 is not the document the seal names as sent, the verdict says so."""
        wrong = SealMetadata(
            envelope_id="env-1",
            document_id="doc-1",
            document_version=1,
            sent_sha256="a" * 64,
            sent_length=len(sent_pdf),
        )
        verdict = verify_sealed_pdf(sealer.seal(sent_pdf, wrong, sealed_at=now), sealing_key.trust_roots())
        assert verdict.intact and verdict.ours
        assert verdict.revision1_matches_seal is False and not verdict.ok


class TestTimestampInVerdict:
    def test_timestamp_time_and_validity_are_reported(
        self,
        sealing_key: SealingKey,
        sent_pdf: bytes,
        record: CompletionRecord,
        stamps: tuple[SignatureStamp, ...],
        now: datetime,
        tsa: LocalTsa,
        font_config: object,
    ) -> None:
        """With a TSA the verdict gives the token's time, valid, and trusted only when the TSA root is given."""
        completer = Completer(Sealer(sealing_key, timestamper=HTTPTimeStamper(tsa.url)))
        done = completer.complete(sent_pdf, stamps, record, sealed_at=now)
        trusted = verify_sealed_pdf(done.pdf, sealing_key.trust_roots(), timestamp_trust_roots=[tsa.identity.root])
        assert trusted.ok and trusted.timestamp_valid and trusted.timestamp_trusted
        assert trusted.timestamp_time is not None
        untrusted = verify_sealed_pdf(done.pdf, sealing_key.trust_roots())
        assert untrusted.timestamp_valid is True and untrusted.timestamp_trusted is False


class TestFirstRevision:
    def test_cuts_exactly_the_sent_bytes(self, completed: SealedDocument, sent_pdf: bytes) -> None:
        """first_revision returns the sent bytes from the sealed file."""
        assert first_revision(completed.pdf) == sent_pdf

    def test_single_revision_file_is_returned_whole(self, sent_pdf: bytes) -> None:
        """For a file with one revision the whole file is revision 1."""
        assert first_revision(sent_pdf) == sent_pdf

    def test_eof_marker_inside_content_does_not_fool_it(
        self,
        completer: Completer,
        stamps: tuple[SignatureStamp, ...],
        record_factory: Callable[..., CompletionRecord],
        now: datetime,
    ) -> None:
        """A "startxref ... %%EOF" inside a stream of the sent file does not end revision 1 early."""
        from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

        writer = PdfFileWriter(stream_xrefs=False)
        decoy = writer.add_object(generic.StreamObject(stream_data=b"startxref\n0\n%%EOF\n"))
        page = PageObject(
            contents=writer.add_object(generic.StreamObject(stream_data=b"")),
            media_box=generic.ArrayObject([generic.NumberObject(v) for v in (0, 0, 595, 842)]),
        )
        page[generic.pdf_name("/Decoy")] = decoy
        writer.insert_page(page)
        out = BytesIO()
        writer.write(out)
        tricky = out.getvalue()
        assert tricky.index(b"%%EOF") < len(tricky) - 10
        done = completer.complete(tricky, [], record_factory(pdf=tricky), sealed_at=now)
        assert first_revision(done.pdf) == tricky
