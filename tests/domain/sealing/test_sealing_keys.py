"""Tests for the sealing key material: the development PKI and PKCS#12 loading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from domain.errors import InvalidInput
from domain.sealing.keys import (
    DOCUMENT_SIGNING_EKU,
    DevPki,
    generate_dev_pki,
    load_pem_sealing_key,
    load_pkcs12_sealing_key,
)
from undersign.settings import S3Settings

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


class TestGenerateDevPki:
    def test_ca_is_a_ca_and_signs_certificates_only(self) -> None:
        """The dev CA has basicConstraints CA=true and only keyCertSign/cRLSign key usage."""
        ca = x509.load_pem_x509_certificate(generate_dev_pki(NOW).ca_certificate_pem)
        assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
        usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
        assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
        assert ca.subject == ca.issuer

    def test_seal_certificate_is_a_p256_document_signing_leaf(self) -> None:
        """The seal cert is an ECDSA P-256 non-CA leaf with digitalSignature, nonRepudiation and documentSigning."""
        pki = generate_dev_pki(NOW, organisation="Acme IT")
        cert = x509.load_pem_x509_certificate(pki.seal_certificate_pem)
        public_key = cert.public_key()
        assert isinstance(public_key, ec.EllipticCurvePublicKey)
        assert public_key.curve.name == "secp256r1"
        assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
        assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert DOCUMENT_SIGNING_EKU in eku and ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
        assert "Acme IT" in cert.subject.rfc4514_string()

    def test_validity_outlives_the_longest_default_retention(self) -> None:
        """Validity starts (slightly before) the given time and outlasts every default retention; the CA outlives it."""
        pki = generate_dev_pki(NOW)
        cert = x509.load_pem_x509_certificate(pki.seal_certificate_pem)
        ca = x509.load_pem_x509_certificate(pki.ca_certificate_pem)
        assert NOW - timedelta(hours=1) < cert.not_valid_before_utc <= NOW
        longest = max(S3Settings().contract_retention_years, S3Settings().waiver_retention_years)
        assert cert.not_valid_after_utc > NOW.replace(year=NOW.year + longest)
        assert ca.not_valid_after_utc > cert.not_valid_after_utc

    def test_seal_certificate_is_issued_by_the_ca(self) -> None:
        """The seal certificate's signature verifies with the CA's key."""
        pki = generate_dev_pki(NOW)
        cert = x509.load_pem_x509_certificate(pki.seal_certificate_pem)
        ca = x509.load_pem_x509_certificate(pki.ca_certificate_pem)
        cert.verify_directly_issued_by(ca)

    def test_naive_time_is_refused(self) -> None:
        """A time without a zone is refused rather than guessed."""
        with pytest.raises(ValueError, match="timezone-aware"):
            generate_dev_pki(datetime(2026, 1, 1))

    def test_each_call_makes_new_keys(self) -> None:
        """Two generations never share a key."""
        assert generate_dev_pki(NOW).seal_key_pem != generate_dev_pki(NOW).seal_key_pem


class TestSealingKey:
    def test_trust_roots_are_the_self_signed_chain_members(self) -> None:
        """trust_roots() returns the CA and not the leaf."""
        pki = generate_dev_pki(NOW)
        key = pki.sealing_key()
        assert key.trust_roots() == (x509.load_pem_x509_certificate(pki.ca_certificate_pem),)
        assert key.certificate not in key.trust_roots()

    def test_mismatched_key_and_certificate_are_refused(self) -> None:
        """A private key that does not belong to the certificate is refused."""
        one, other = generate_dev_pki(NOW), generate_dev_pki(NOW)
        with pytest.raises(InvalidInput, match="does not belong"):
            load_pem_sealing_key(other.seal_key_pem, one.seal_certificate_pem, one.ca_certificate_pem)

    def test_garbage_pem_is_invalid_input(self) -> None:
        """Unreadable PEM is reported as InvalidInput, not a library error."""
        with pytest.raises(InvalidInput):
            load_pem_sealing_key(b"not a key", b"not a cert")


class TestPkcs12:
    def test_round_trip_keeps_key_certificate_and_chain(self) -> None:
        """A dev PKI written as PKCS#12 loads back to the same certificate, chain and key."""
        pki = generate_dev_pki(NOW)
        loaded = load_pkcs12_sealing_key(pki.to_pkcs12(b"s3cret"), b"s3cret")
        original = pki.sealing_key()
        assert loaded.certificate == original.certificate
        assert loaded.chain == original.chain
        assert loaded.private_key.private_numbers() == original.private_key.private_numbers()

    def test_wrong_password_is_invalid_input(self) -> None:
        """A wrong password yields InvalidInput that does not echo the password."""
        data = generate_dev_pki(NOW).to_pkcs12(b"right")
        with pytest.raises(InvalidInput) as info:
            load_pkcs12_sealing_key(data, b"wrong-password")
        assert "wrong-password" not in str(info.value.detail)

    def test_rsa_pkcs12_is_supported(self, dev_pki: DevPki) -> None:
        """An RSA key in a PKCS#12 file (what commercial CAs often issue) loads."""
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = x509.load_pem_x509_certificate(dev_pki.seal_certificate_pem)
        builder = (
            x509.CertificateBuilder()
            .subject_name(cert.subject)
            .issuer_name(cert.subject)
            .public_key(rsa_key.public_key())
            .serial_number(1)
            .not_valid_before(NOW)
            .not_valid_after(NOW + timedelta(days=1))
        )
        rsa_cert = builder.sign(rsa_key, hashes.SHA256())
        data = pkcs12.serialize_key_and_certificates(
            b"x", rsa_key, rsa_cert, None, serialization.BestAvailableEncryption(b"pw")
        )
        loaded = load_pkcs12_sealing_key(data, b"pw")
        assert isinstance(loaded.private_key, rsa.RSAPrivateKey)
        assert loaded.chain == ()

    def test_pkcs12_without_a_key_is_refused(self, dev_pki: DevPki) -> None:
        """A PKCS#12 file holding only certificates is refused."""
        cert = x509.load_pem_x509_certificate(dev_pki.seal_certificate_pem)
        data = pkcs12.serialize_key_and_certificates(
            b"x", None, None, [cert], serialization.BestAvailableEncryption(b"pw")
        )
        with pytest.raises(InvalidInput, match="no private key"):
            load_pkcs12_sealing_key(data, b"pw")
