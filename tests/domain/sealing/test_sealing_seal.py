"""Tests for the PAdES seal: validated by pyHanko and by poppler's pdfsig, with and without a TSA."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import ModificationLevel, PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from domain.errors import InvalidInput, TimestampUnavailable
from domain.sealing.keys import DevPki, SealingKey
from domain.sealing.seal import SEAL_FIELD_NAME, Sealer, SealMetadata
from tests.support.tsa import LocalTsa


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _validate(pdf: bytes, roots: list[x509.Certificate]) -> PdfSignatureStatus:
    sig = PdfFileReader(BytesIO(pdf)).embedded_signatures[-1]
    vc = ValidationContext(trust_roots=[_asn1(c) for c in roots], allow_fetching=False)
    return validate_pdf_signature(sig, vc)


def _flip(data: bytes, at: int) -> bytes:
    flipped = bytearray(data)
    flipped[at] ^= 0x01
    return bytes(flipped)


@pytest.fixture(scope="module")
def metadata(sent_pdf: bytes) -> SealMetadata:
    """Seal metadata naming the fixture envelope."""
    return SealMetadata.for_sent_pdf(sent_pdf, envelope_id="env-7f3a", document_id="doc-42", document_version=3)


@pytest.fixture(scope="module")
def sealed(sealer: Sealer, sent_pdf: bytes, metadata: SealMetadata, now: datetime) -> bytes:
    """The sent PDF sealed without a TSA."""
    return sealer.seal(sent_pdf, metadata, sealed_at=now)


class TestSealWithoutTimestamp:
    def test_pyhanko_judges_it_valid_trusted_and_covering_the_whole_file(
        self, sealed: bytes, sealing_key: SealingKey
    ) -> None:
        """pyHanko: intact, valid, trusted by our CA, entire file covered, nothing modified."""
        status = _validate(sealed, list(sealing_key.trust_roots()))
        assert status.intact and status.valid and status.trusted
        assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        assert status.modification_level == ModificationLevel.NONE
        assert status.bottom_line

    def test_is_a_pades_certification_seal_with_sha256(self, sealed: bytes) -> None:
        """Subfilter ETSI.CAdES.detached, SHA-256, and a DocMDP certification forbidding changes."""
        sig = PdfFileReader(BytesIO(sealed)).embedded_signatures[0]
        assert sig.field_name == SEAL_FIELD_NAME
        assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
        assert sig.md_algorithm == "sha256"
        assert sig.docmdp_level == MDPPerm.NO_CHANGES

    def test_embeds_the_certificate_chain(self, sealed: bytes, sealing_key: SealingKey) -> None:
        """The CMS carries the seal certificate and the CA, so verifiers need nothing else."""
        sig = PdfFileReader(BytesIO(sealed)).embedded_signatures[0]
        embedded = {c.sha256 for c in sig.other_embedded_certs} | {sig.signer_cert.sha256}
        for cert in (sealing_key.certificate, *sealing_key.chain):
            assert cert.fingerprint(hashes.SHA256()) in embedded

    def test_signing_time_is_the_time_passed_in(self, sealed: bytes, now: datetime) -> None:
        """The signature's /M is the sealed_at given, not a clock read inside pyHanko."""
        sig = PdfFileReader(BytesIO(sealed)).embedded_signatures[0]
        assert sig.self_reported_timestamp == now

    def test_reason_names_the_envelope(self, sealed: bytes, metadata: SealMetadata) -> None:
        """The /Reason parses back to the envelope, document, version and sent hash."""
        sig = PdfFileReader(BytesIO(sealed)).embedded_signatures[0]
        assert SealMetadata.from_reason(str(sig.sig_object["/Reason"])) == metadata

    def test_sent_bytes_stay_the_prefix(self, sealed: bytes, sent_pdf: bytes) -> None:
        """Sealing appends; every sent byte stays where it was."""
        assert sealed.startswith(sent_pdf)

    def test_pdfsig_says_valid_and_total_document_signed(
        self, sealed: bytes, tmp_path: Path, pdfsig: Callable[[Path], Any]
    ) -> None:
        """Pdfsig verifies the signature and says the whole document is signed (our CA is not in NSS)."""
        path = tmp_path / "sealed.pdf"
        path.write_bytes(sealed)
        result = pdfsig(path)
        assert result.signature_valid, result.output
        assert result.total_document_signed, result.output
        assert "ETSI.CAdES.detached" in result.output
        # NSS does not know our development CA: the only certificate complaint must be about trust.
        assert "Certificate Validation: Certificate issuer isn't Trusted." in result.output

    def test_qpdf_check_passes(
        self, sealed: bytes, tmp_path: Path, qpdf_check: Callable[[Path], subprocess.CompletedProcess[str]]
    ) -> None:
        """Qpdf --check finds no structural error in the sealed file."""
        path = tmp_path / "sealed.pdf"
        path.write_bytes(sealed)
        result = qpdf_check(path)
        assert result.returncode == 0, result.stdout + result.stderr

    @pytest.mark.parametrize("where", ["sent", "tail"])
    def test_one_flipped_byte_breaks_pyhanko_and_pdfsig(
        self,
        sealed: bytes,
        sent_pdf: bytes,
        sealing_key: SealingKey,
        tmp_path: Path,
        pdfsig: Callable[[Path], Any],
        where: str,
    ) -> None:
        """Changing one byte of the sent part or of the final bytes makes both validators fail."""
        position = len(sent_pdf) // 2 if where == "sent" else len(sealed) - 30
        tampered = _flip(sealed, position)
        try:
            status = _validate(tampered, list(sealing_key.trust_roots()))
            assert not status.intact
            assert not status.bottom_line
        except (ValueError, KeyError) as exc:  # an unparseable file is a failure too
            assert exc is not None
        path = tmp_path / "tampered.pdf"
        path.write_bytes(tampered)
        assert not pdfsig(path).signature_valid

    def test_untrusted_roots_are_not_trusted(self, sealed: bytes, dev_pki: DevPki, now: datetime) -> None:
        """A seal checked against someone else's CA is intact but not trusted."""
        from domain.sealing.keys import generate_dev_pki

        other = generate_dev_pki(now).sealing_key()
        status = _validate(sealed, list(other.trust_roots()))
        assert status.intact and status.valid and not status.trusted

    def test_not_a_pdf_is_invalid_input(self, sealer: Sealer, metadata: SealMetadata, now: datetime) -> None:
        """Bytes that are not a PDF are InvalidInput."""
        with pytest.raises(InvalidInput):
            sealer.seal(b"hello", metadata, sealed_at=now)


class TestSealWithTimestamp:
    def test_running_tsa_gives_a_valid_trusted_timestamp(
        self,
        sealing_key: SealingKey,
        sent_pdf: bytes,
        metadata: SealMetadata,
        now: datetime,
        tsa: LocalTsa,
        tmp_path: Path,
        pdfsig: Callable[[Path], Any],
    ) -> None:
        """With the TSA up the seal carries an RFC 3161 token that pyHanko validates against the TSA root."""
        sealer = Sealer(sealing_key, timestamper=HTTPTimeStamper(tsa.url))
        sealed = sealer.seal(sent_pdf, metadata, sealed_at=now)
        sig = PdfFileReader(BytesIO(sealed)).embedded_signatures[0]
        vc = ValidationContext(trust_roots=[_asn1(c) for c in sealing_key.trust_roots()], allow_fetching=False)
        ts_vc = ValidationContext(trust_roots=[_asn1(tsa.identity.root)], allow_fetching=False)
        status = validate_pdf_signature(sig, vc, ts_validation_context=ts_vc)
        ts = status.timestamp_validity
        assert ts is not None
        assert ts.intact and ts.valid and ts.trusted
        assert abs(ts.timestamp - now) < timedelta(minutes=5)
        assert status.bottom_line and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        assert tsa.requests == 1  # one token per seal: no second request to size the signature
        path = tmp_path / "ts.pdf"
        path.write_bytes(sealed)
        result = pdfsig(path)
        assert result.signature_valid and result.total_document_signed, result.output

    def test_stopped_tsa_raises_timestamp_unavailable(
        self, sealing_key: SealingKey, sent_pdf: bytes, metadata: SealMetadata, now: datetime, tsa: LocalTsa
    ) -> None:
        """With the TSA down sealing raises TimestampUnavailable and returns nothing."""
        sealer = Sealer(sealing_key, timestamper=HTTPTimeStamper(tsa.url, timeout=3))
        tsa.stop()
        result: bytes | None = None
        with pytest.raises(TimestampUnavailable):
            result = sealer.seal(sent_pdf, metadata, sealed_at=now)
        assert result is None

    def test_tsa_error_status_raises_timestamp_unavailable(
        self, sealing_key: SealingKey, sent_pdf: bytes, metadata: SealMetadata, now: datetime, tsa: LocalTsa
    ) -> None:
        """A TSA answering HTTP 503 counts as unavailable too; the seal is not made without it."""
        sealer = Sealer(sealing_key, timestamper=HTTPTimeStamper(tsa.url, timeout=3))
        tsa.fail_with_status = 503
        with pytest.raises(TimestampUnavailable):
            sealer.seal(sent_pdf, metadata, sealed_at=now)

    def test_tsa_back_up_seals_again(
        self, sealing_key: SealingKey, sent_pdf: bytes, metadata: SealMetadata, now: datetime, tsa: LocalTsa
    ) -> None:
        """The same Sealer works once the TSA is reachable again (sealing is retried later)."""
        sealer = Sealer(sealing_key, timestamper=HTTPTimeStamper(tsa.url, timeout=3))
        tsa.stop()
        with pytest.raises(TimestampUnavailable):
            sealer.seal(sent_pdf, metadata, sealed_at=now)
        tsa.start()
        sealed = sealer.seal(sent_pdf, metadata, sealed_at=now)
        unsigned = PdfFileReader(BytesIO(sealed)).embedded_signatures[0].signer_info["unsigned_attrs"]
        assert [attr["type"].native for attr in unsigned] == ["signature_time_stamp_token"]

    def test_too_small_reservation_is_retried_with_room(
        self, sealing_key: SealingKey, sent_pdf: bytes, metadata: SealMetadata, now: datetime, tsa: LocalTsa
    ) -> None:
        """If the TSA token outgrows the reserved space the seal is redone once, with a fresh token."""
        sealer = Sealer(sealing_key, timestamper=HTTPTimeStamper(tsa.url), timestamp_reserve=0)
        sealed = sealer.seal(sent_pdf, metadata, sealed_at=now)
        assert tsa.requests == 2
        assert _validate(sealed, list(sealing_key.trust_roots())).intact


class TestLongTermValidation:
    def test_validation_data_is_added_in_a_dss_update(
        self, sealing_key: SealingKey, sent_pdf: bytes, metadata: SealMetadata, now: datetime, tsa: LocalTsa
    ) -> None:
        """With a validation context the chain goes into a DSS; only LTV updates follow the seal."""
        roots = [_asn1(c) for c in (*sealing_key.trust_roots(), tsa.identity.root)]
        sealer = Sealer(
            sealing_key,
            timestamper=HTTPTimeStamper(tsa.url),
            validation_context_factory=lambda: ValidationContext(trust_roots=roots, allow_fetching=False),
        )
        sealed = sealer.seal(sent_pdf, metadata, sealed_at=now)
        reader = PdfFileReader(BytesIO(sealed))
        assert "/DSS" in reader.root
        vc = ValidationContext(trust_roots=roots, allow_fetching=False)
        status = validate_pdf_signature(reader.embedded_signatures[0], vc)
        assert status.bottom_line
        assert status.modification_level == ModificationLevel.LTA_UPDATES


class TestRsaKey:
    def test_rsa_key_from_pkcs12_seals_and_validates(
        self, dev_pki: DevPki, sent_pdf: bytes, metadata: SealMetadata, now: datetime
    ) -> None:
        """An RSA sealing key (as loaded from a PKCS#12 file) produces a valid seal."""
        from cryptography.x509.oid import NameOID

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rsa seal")])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(7)
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .sign(key, hashes.SHA256())
        )
        sealed = Sealer(SealingKey(private_key=key, certificate=cert, chain=())).seal(sent_pdf, metadata, sealed_at=now)
        status = _validate(sealed, [cert])
        assert status.bottom_line
        assert status.pkcs7_signature_mechanism in {"sha256_rsa", "rsassa_pkcs1v15"}


class TestSealMetadata:
    def test_round_trip(self, metadata: SealMetadata) -> None:
        """to_reason/from_reason round-trip."""
        assert SealMetadata.from_reason(metadata.to_reason()) == metadata

    @pytest.mark.parametrize("reason", [None, "", "Approved", "undersign seal; envelope=x", "other; envelope=a"])
    def test_foreign_reasons_are_not_ours(self, reason: str | None) -> None:
        """A reason not written by undersign parses to None."""
        assert SealMetadata.from_reason(reason) is None

    @pytest.mark.parametrize("envelope_id", ["", "a;b", "x=y", "a b", "é"])
    def test_ids_that_would_break_the_reason_are_refused(self, envelope_id: str, sent_pdf: bytes) -> None:
        """Ids with separators or spaces are refused so the reason stays parseable."""
        with pytest.raises(InvalidInput):
            SealMetadata.for_sent_pdf(sent_pdf, envelope_id=envelope_id, document_id="d", document_version=1)
