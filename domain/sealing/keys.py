"""Sealing key material: the development CA and sealing certificate, and PKCS#12 loading.

Development mode generates a local CA and a sealing certificate (ECDSA P-256, which signs several
times faster than RSA); production loads the MSP's PKCS#12 file. Either way the result is one
:class:`SealingKey` that the :class:`~domain.sealing.seal.Sealer` loads once. This module
only returns bytes and objects: writing files is the adapter's job, and the time is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from domain.errors import FieldError, InvalidInput

#: RFC 9336 id-kp-documentSigning: the purpose a document seal certificate should declare.
DOCUMENT_SIGNING_EKU = ObjectIdentifier("1.3.6.1.5.5.7.3.36")

# The development seal must outlive what it seals: the longest default retention (8 years for risk
# letters) plus margin, so a development record never outlives its seal's certificate.
DEV_VALIDITY = timedelta(days=12 * 366)
# A certificate valid from "now" is rejected by a verifier whose clock runs a little behind.
_BACKDATE = timedelta(minutes=10)

SealingPrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True)
class SealingKey:
    """The service's sealing key, its certificate and the issuer chain (leaf excluded) to embed."""

    private_key: SealingPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    def trust_roots(self) -> tuple[x509.Certificate, ...]:
        """Return the self-signed certificates of the chain: the roots verification trusts as "ours"."""
        return tuple(cert for cert in self.chain if cert.subject == cert.issuer)


@dataclass(frozen=True)
class DevPki:
    """A freshly generated development CA and sealing certificate, as PEM bytes ready to be stored."""

    ca_certificate_pem: bytes
    seal_certificate_pem: bytes
    seal_key_pem: bytes

    def sealing_key(self) -> SealingKey:
        """Return the sealing key this PKI describes."""
        return load_pem_sealing_key(self.seal_key_pem, self.seal_certificate_pem, self.ca_certificate_pem)

    def to_pkcs12(self, password: bytes, *, friendly_name: bytes = b"undersign seal") -> bytes:
        """Return key, certificate and CA as one password-protected PKCS#12 file."""
        key = self.sealing_key()
        return pkcs12.serialize_key_and_certificates(
            friendly_name,
            key.private_key,
            key.certificate,
            list(key.chain),
            serialization.BestAvailableEncryption(password),
        )


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def generate_dev_pki(
    now: datetime, *, organisation: str = "undersign development", validity: timedelta = DEV_VALIDITY
) -> DevPki:
    """Generate a development CA and a sealing certificate it issued, valid ``validity`` from ``now``.

    The default outlives every default retention period (see :data:`DEV_VALIDITY`).

    The CA key is not returned: nothing else is ever issued from it, so it need not exist on disk.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    seal_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{organisation} CA", organisation)
    not_before = now - _BACKDATE
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        # The CA outlives the leaf so a seal made on the leaf's last day still chains.
        .not_valid_after(now + validity + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    seal_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{organisation} document seal", organisation))
        .issuer_name(ca_name)
        .public_key(seal_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(now + validity)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            # nonRepudiation (contentCommitment) is what validators look for on a seal.
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            # documentSigning per RFC 9336; emailProtection because NSS (pdfsig, Firefox, Thunderbird)
            # checks signer certificates against the e-mail signer usage.
            x509.ExtendedKeyUsage([DOCUMENT_SIGNING_EKU, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(seal_key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return DevPki(
        ca_certificate_pem=ca_cert.public_bytes(pem),
        seal_certificate_pem=seal_cert.public_bytes(pem),
        seal_key_pem=seal_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )


def _checked(private_key: object, certificate: x509.Certificate, chain: list[x509.Certificate]) -> SealingKey:
    if not isinstance(private_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise InvalidInput(
            "The sealing key must be an ECDSA or RSA key.",
            errors=[FieldError("key", f"unsupported key type {type(private_key).__name__}")],
        )
    key_spki = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    cert_spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if key_spki != cert_spki:
        # Sealing with a key that does not match the certificate yields seals nobody can verify.
        raise InvalidInput(
            "The sealing key does not belong to the sealing certificate.",
            errors=[FieldError("certificate", "public key differs from the private key")],
        )
    others = [cert for cert in chain if cert != certificate]
    return SealingKey(private_key=private_key, certificate=certificate, chain=tuple(others))


def load_pem_sealing_key(key_pem: bytes, certificate_pem: bytes, chain_pem: bytes = b"") -> SealingKey:
    """Load an unencrypted PEM key, its PEM certificate and any PEM issuer certificates."""
    try:
        private_key = serialization.load_pem_private_key(key_pem, password=None)
        certificate = x509.load_pem_x509_certificate(certificate_pem)
        chain = x509.load_pem_x509_certificates(chain_pem) if chain_pem.strip() else []
    except ValueError as exc:
        raise InvalidInput("The sealing key files could not be read.", errors=[FieldError("pki", str(exc))]) from exc
    return _checked(private_key, certificate, chain)


def load_pkcs12_sealing_key(data: bytes, password: bytes | None) -> SealingKey:
    """Load the sealing key, certificate and chain from PKCS#12 bytes (ECDSA or RSA)."""
    try:
        private_key, certificate, chain = pkcs12.load_key_and_certificates(data, password)
    except ValueError as exc:
        # cryptography says "Invalid password or PKCS12 data": do not echo anything derived from the password.
        raise InvalidInput(
            "The PKCS#12 file could not be opened: wrong password or damaged file.",
            errors=[FieldError("pkcs12", "could not be decrypted or parsed")],
        ) from exc
    if private_key is None or certificate is None:
        raise InvalidInput(
            "The PKCS#12 file holds no private key and certificate.",
            errors=[FieldError("pkcs12", "a key and its certificate are required")],
        )
    return _checked(private_key, certificate, list(chain))
