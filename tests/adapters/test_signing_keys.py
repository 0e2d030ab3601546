"""Tests for the signing-key adapter: dev PKI on first start, reload later, PKCS#12 in production."""

from __future__ import annotations

import asyncio
import hashlib
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyhanko.sign.timestamps import TimestampRequestError
from weasyprint import HTML

from adapters.signing_keys import (
    CA_CERT_FILE,
    PKI_DIR,
    SEAL_CERT_FILE,
    SEAL_KEY_FILE,
    DevSealingMaterial,
    load_or_create_dev_sealing_key,
    load_pkcs12_file,
    timestamper_for_url,
)
from domain.errors import InvalidInput
from domain.sealing.keys import generate_dev_pki
from domain.sealing.seal import Sealer, SealMetadata
from domain.sealing.verify import verify_sealed_pdf
from tests.support.tsa import LocalTsa

NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


@pytest.fixture
def tsa() -> Iterator[LocalTsa]:
    """A running loopback RFC 3161 TSA, stopped after the test."""
    server = LocalTsa()
    server.start()
    yield server
    server.stop()


class TestDevSealingKey:
    def test_first_start_creates_the_pki_with_a_private_key_file(self, tmp_path: Path) -> None:
        """First start writes CA, seal cert and key; the key file is 0600 and the directory 0700."""
        material = load_or_create_dev_sealing_key(tmp_path, NOW)
        pki = tmp_path / PKI_DIR
        assert material.created and material.directory == pki
        assert {p.name for p in pki.iterdir()} == {CA_CERT_FILE, SEAL_CERT_FILE, SEAL_KEY_FILE}
        assert stat.S_IMODE((pki / SEAL_KEY_FILE).stat().st_mode) == 0o600
        assert stat.S_IMODE(pki.stat().st_mode) == 0o700

    def test_configured_retention_stretches_the_dev_certificate(self, tmp_path: Path) -> None:
        """A development key made for 30-year retention is valid for more than 30 years."""
        key = load_or_create_dev_sealing_key(tmp_path, NOW, retention_years=30).key
        assert key.certificate.not_valid_after_utc > NOW.replace(year=NOW.year + 30)

    def test_later_starts_reload_the_same_key(self, tmp_path: Path) -> None:
        """A second start loads the same certificate and key instead of generating new ones."""
        first = load_or_create_dev_sealing_key(tmp_path, NOW)
        second = load_or_create_dev_sealing_key(tmp_path, NOW)
        assert not second.created
        assert second.key.certificate == first.key.certificate
        assert second.key.chain == first.key.chain
        assert second.key.private_key.private_numbers() == first.key.private_key.private_numbers()

    def test_no_staging_directories_are_left_behind(self, tmp_path: Path) -> None:
        """Only pki/ remains in the data dir after creation."""
        load_or_create_dev_sealing_key(tmp_path, NOW)
        assert [p.name for p in tmp_path.iterdir()] == [PKI_DIR]

    def test_concurrent_first_starts_agree_on_one_pki(self, tmp_path: Path) -> None:
        """Workers starting together all end up with the same certificate."""
        results: list[DevSealingMaterial] = []
        errors: list[BaseException] = []
        barrier = threading.Barrier(4)

        def start() -> None:
            barrier.wait()
            try:
                results.append(load_or_create_dev_sealing_key(tmp_path, NOW))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=start) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert len({r.key.certificate for r in results}) == 1
        on_disk = load_or_create_dev_sealing_key(tmp_path, NOW)
        assert on_disk.key.certificate == results[0].key.certificate

    def test_creates_the_data_dir(self, tmp_path: Path) -> None:
        """A data dir that does not exist yet is created."""
        material = load_or_create_dev_sealing_key(tmp_path / "var" / "data", NOW)
        assert material.created and (tmp_path / "var" / "data" / PKI_DIR / SEAL_KEY_FILE).exists()


class TestPkcs12File:
    def test_loads_key_and_chain_with_a_text_password(self, tmp_path: Path) -> None:
        """A PKCS#12 file with a str password loads the seal certificate and its CA."""
        pki = generate_dev_pki(NOW)
        path = tmp_path / "seal.p12"
        path.write_bytes(pki.to_pkcs12("pässword".encode()))
        key = load_pkcs12_file(path, "pässword")
        assert key.certificate == pki.sealing_key().certificate
        assert len(key.trust_roots()) == 1

    def test_missing_file_is_invalid_input(self, tmp_path: Path) -> None:
        """A missing PKCS#12 file is reported as InvalidInput naming the setting."""
        with pytest.raises(InvalidInput) as info:
            load_pkcs12_file(tmp_path / "absent.p12", "x")
        assert info.value.errors[0].pointer == "pkcs12_path"

    def test_wrong_password_is_invalid_input(self, tmp_path: Path) -> None:
        """A wrong password is InvalidInput."""
        path = tmp_path / "seal.p12"
        path.write_bytes(generate_dev_pki(NOW).to_pkcs12(b"right"))
        with pytest.raises(InvalidInput):
            load_pkcs12_file(path, "wrong")


class TestTimestamperForUrl:
    def test_http_url_gives_a_timestamper(self) -> None:
        """An http(s) URL yields a timestamper for that URL."""
        stamper = timestamper_for_url("https://tsa.example/tsr")
        assert getattr(stamper, "url", None) == "https://tsa.example/tsr"

    def test_gets_a_token_for_the_digest_from_a_real_tsa(self, tsa: LocalTsa) -> None:
        """Against the loopback TSA the client returns a token over the digest asked for."""
        digest = hashlib.sha256(b"sealed bytes").digest()
        token = asyncio.run(timestamper_for_url(tsa.url).async_timestamp(digest, "sha256"))
        tst_info = token["content"]["encap_content_info"]["content"].parsed
        assert tst_info["message_imprint"]["hashed_message"].native == digest

    def test_tsa_down_raises_timestamp_request_error(self, tsa: LocalTsa) -> None:
        """A stopped TSA raises pyHanko's TimestampRequestError (an IOError)."""
        stamper = timestamper_for_url(tsa.url, timeout=3)
        tsa.stop()
        with pytest.raises(TimestampRequestError):
            asyncio.run(stamper.async_timestamp(hashlib.sha256(b"x").digest(), "sha256"))

    def test_tsa_error_status_raises_timestamp_request_error(self, tsa: LocalTsa) -> None:
        """An HTTP error status raises TimestampRequestError."""
        tsa.fail_with_status = 500
        with pytest.raises(TimestampRequestError):
            asyncio.run(timestamper_for_url(tsa.url).async_timestamp(hashlib.sha256(b"x").digest(), "sha256"))

    def test_sealer_with_this_client_seals_with_a_timestamp(self, tsa: LocalTsa, tmp_path: Path) -> None:
        """The dev key plus this client give a seal whose timestamp verifies against the TSA root."""
        material = load_or_create_dev_sealing_key(tmp_path, datetime.now(UTC))
        pdf = HTML(string="<p>sent</p>").write_pdf()
        assert pdf is not None
        metadata = SealMetadata.for_sent_pdf(pdf, envelope_id="e", document_id="d", document_version=1)
        sealer = Sealer(material.key, timestamper=timestamper_for_url(tsa.url))
        sealed = sealer.seal(pdf, metadata, sealed_at=datetime.now(UTC))
        verdict = verify_sealed_pdf(sealed, material.key.trust_roots(), timestamp_trust_roots=[tsa.identity.root])
        assert verdict.ok and verdict.timestamp_trusted, verdict.problems

    def test_other_schemes_are_refused(self) -> None:
        """A non-http URL is refused at configuration time."""
        with pytest.raises(InvalidInput):
            timestamper_for_url("file:///etc/passwd")
