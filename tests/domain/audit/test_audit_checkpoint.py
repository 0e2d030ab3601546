"""Checkpoints: signing the chain head with ECDSA P-256 or RSA, verifying, and the JSON document."""

from __future__ import annotations

import base64
import json
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from domain.audit import (
    SignedCheckpoint,
    certificate_fingerprint,
    checkpoint_for,
    sign_checkpoint,
    verify_checkpoint_signature,
)
from domain.errors import InvalidInput

from .support import T0, build_chain, self_signed


class TestSignAndVerify:
    def test_ecdsa_signature_verifies_with_the_certificate(
        self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate
    ) -> None:
        """A checkpoint signed with the P-256 key verifies against its certificate and names it."""
        chain = build_chain(4)
        signed = sign_checkpoint(checkpoint_for(chain[-1], T0, ec_cert), ec_key)
        assert signed.algorithm == "ecdsa-p256-sha256"
        assert signed.statement.signer_cert_sha256 == certificate_fingerprint(ec_cert)
        assert (signed.statement.seq, signed.statement.hash) == (4, chain[-1].hash)
        assert verify_checkpoint_signature(signed, ec_cert)
        assert verify_checkpoint_signature(signed, ec_key.public_key())

    def test_rsa_signature_verifies_with_the_certificate(
        self, rsa_key: rsa.RSAPrivateKey, rsa_cert: x509.Certificate
    ) -> None:
        """A checkpoint signed with a 2048-bit RSA key verifies against its certificate."""
        signed = sign_checkpoint(checkpoint_for(build_chain(2)[-1], T0, rsa_cert), rsa_key)
        assert signed.algorithm == "rsa-pkcs1v15-sha256"
        assert verify_checkpoint_signature(signed, rsa_cert)

    def test_altered_statement_fails(self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate) -> None:
        """Changing seq, hash or time after signing invalidates the signature."""
        signed = sign_checkpoint(checkpoint_for(build_chain(3)[-1], T0, ec_cert), ec_key)
        for change in ({"seq": 2}, {"hash": "a" * 64}, {"at": T0 + timedelta(microseconds=1)}):
            forged = replace(signed, statement=replace(signed.statement, **change))
            assert not verify_checkpoint_signature(forged, ec_cert)

    def test_other_key_or_other_certificate_fails(
        self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate, rsa_cert: x509.Certificate
    ) -> None:
        """A signature by another key fails, and so does the right key under a different certificate."""
        statement = checkpoint_for(build_chain(3)[-1], T0, ec_cert)
        other_key = ec.generate_private_key(ec.SECP256R1())
        assert not verify_checkpoint_signature(sign_checkpoint(statement, other_key), ec_cert)
        reissued = self_signed(ec_key, "same key, other certificate")
        assert not verify_checkpoint_signature(sign_checkpoint(statement, ec_key), reissued)
        assert not verify_checkpoint_signature(sign_checkpoint(statement, ec_key), rsa_cert)

    def test_refuses_weak_or_unsupported_keys(self, ec_cert: x509.Certificate) -> None:
        """Only P-256 and RSA of at least 2048 bits may sign checkpoints."""
        statement = checkpoint_for(build_chain(1)[-1], T0, ec_cert)
        for key in (ec.generate_private_key(ec.SECP384R1()), rsa.generate_private_key(65537, 1024)):  # noqa: S505 - refused on purpose
            with pytest.raises(InvalidInput):
                sign_checkpoint(statement, key)

    def test_openssl_verifies_the_statement_bytes(
        self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate, tmp_path: Path
    ) -> None:
        """The documented openssl command verifies a checkpoint signature: no undersign code needed."""
        signed = sign_checkpoint(checkpoint_for(build_chain(2)[-1], T0, ec_cert), ec_key)
        (tmp_path / "statement.json").write_bytes(signed.statement.canonical_bytes())
        (tmp_path / "sig.bin").write_bytes(signed.signature)
        (tmp_path / "pub.pem").write_bytes(
            ec_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        result = subprocess.run(
            ["openssl", "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.bin", "statement.json"],
            cwd=tmp_path,
            capture_output=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr


class TestJsonDocument:
    def test_round_trips(self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate) -> None:
        """to_json then from_json gives an equal signed checkpoint, still valid."""
        signed = sign_checkpoint(checkpoint_for(build_chain(3)[-1], T0, ec_cert), ec_key)
        parsed = SignedCheckpoint.from_json(signed.to_json() + b"\n")
        assert parsed == signed and verify_checkpoint_signature(parsed, ec_cert)

    def test_document_shape(self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate) -> None:
        """The document holds the algorithm, the base64 signature and the statement members."""
        signed = sign_checkpoint(checkpoint_for(build_chain(3)[-1], T0, ec_cert), ec_key)
        doc = json.loads(signed.to_json())
        assert base64.b64decode(doc["signature"]) == signed.signature
        assert doc["statement"] == {
            "at": "2026-01-05T09:30:00.000000Z",
            "hash": signed.statement.hash,
            "seq": 3,
            "signer_cert_sha256": certificate_fingerprint(ec_cert),
            "type": "undersign.audit-checkpoint",
            "v": 1,
        }

    @pytest.mark.parametrize(
        ("old", "new"),
        [
            (b'"seq":3', b'"seq": 3'),
            (b'"v":1', b'"v":2'),
            (b'"type":"undersign.audit-checkpoint"', b'"type":"other"'),
            (b'{"algorithm"', b'{"algorithm":"x","algorithm"'),
            (b'"signature":"', b'"signature":"!'),
        ],
    )
    def test_refuses_altered_documents(
        self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate, old: bytes, new: bytes
    ) -> None:
        """Non-canonical, unknown or malformed documents are refused."""
        data = sign_checkpoint(checkpoint_for(build_chain(3)[-1], T0, ec_cert), ec_key).to_json()
        assert old in data
        with pytest.raises(InvalidInput):
            SignedCheckpoint.from_json(data.replace(old, new, 1))
