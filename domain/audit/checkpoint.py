"""Checkpoints: the chain head (seq, hash, time) signed with the service key.

Anyone with write access to the database can rewrite the whole chain and recompute every hash;
what they cannot do is sign with the service key or change the checkpoint objects kept under
S3 Object Lock. So the head is signed now and then (and at every export) and a rewritten chain
then disagrees with a signed head.

Statement (canonical JSON, see ``canonical.py``)::

    {"at":"2026-01-05T10:00:00.000000Z","hash":"<64 hex>","root":"<64 hex>","seq":1042,
     "signer_cert_sha256":"<64 hex: SHA-256 of the DER certificate>",
     "type":"undersign.audit-checkpoint","v":2}

``seq`` is the number of events (the tree size), ``hash`` the last event's hash and ``root`` the
Merkle tree head over events 1..seq (``merkle.py``): a signed tree head in RFC 9162's sense.
Version 1 statements (written before the tree existed) have no ``root`` and are still read.

Signed document (canonical JSON; one per line in ``checkpoints.jsonl``)::

    {"algorithm":"ecdsa-p256-sha256","signature":"<base64>","statement":{...}}

The signature is over the statement's canonical bytes: ``ecdsa-p256-sha256`` is ECDSA on P-256
with SHA-256, DER-encoded (what ``openssl dgst -sha256 -sign`` writes); ``rsa-pkcs1v15-sha256`` is
RSASSA-PKCS1-v1_5 with SHA-256 and a key of at least 2048 bits. Both verify with
``openssl dgst -sha256 -verify pubkey.pem -signature sig.bin statement.json``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from domain.audit.canonical import canonical_json, format_time, parse_time
from domain.audit.event import AuditEvent
from domain.errors import FieldError, InvalidInput

CHECKPOINT_TYPE = "undersign.audit-checkpoint"
CHECKPOINT_VERSION = 2
CHECKPOINT_VERSION_WITHOUT_ROOT = 1
ALG_ECDSA_P256_SHA256 = "ecdsa-p256-sha256"
ALG_RSA_PKCS1V15_SHA256 = "rsa-pkcs1v15-sha256"
MIN_RSA_BITS = 2048

SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
VerifyingKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey

_HEX64 = re.compile(r"[0-9a-f]{64}")
_STATEMENT_MEMBERS = frozenset({"at", "hash", "seq", "signer_cert_sha256", "type", "v"})
_STATEMENT_MEMBERS_V2 = _STATEMENT_MEMBERS | {"root"}
_SIGNED_MEMBERS = frozenset({"algorithm", "signature", "statement"})


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A statement that the chain's event ``seq`` had hash ``hash`` (and tree root ``root``) at time ``at``."""

    seq: int
    hash: str
    at: datetime
    signer_cert_sha256: str
    root: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if type(self.seq) is not int or self.seq < 1:
            problems.append(FieldError("seq", "must be an integer >= 1"))
        for name in ("hash", "signer_cert_sha256", "root"):
            value = getattr(self, name)
            if name == "root" and value is None:
                continue
            if not isinstance(value, str) or not _HEX64.fullmatch(value):
                problems.append(FieldError(name, "must be 64 lowercase hex digits"))
        if not isinstance(self.at, datetime) or self.at.utcoffset() is None:
            problems.append(FieldError("at", "must be a timezone-aware datetime"))
        if problems:
            raise InvalidInput("checkpoint statement is invalid", errors=problems)
        if self.at.tzinfo is not UTC:
            object.__setattr__(self, "at", self.at.astimezone(UTC))

    def to_json_dict(self) -> dict[str, object]:
        """Return the statement as its JSON members (version 1 when it has no tree root)."""
        members: dict[str, object] = {
            "at": format_time(self.at),
            "hash": self.hash,
            "seq": self.seq,
            "signer_cert_sha256": self.signer_cert_sha256,
            "type": CHECKPOINT_TYPE,
            "v": CHECKPOINT_VERSION_WITHOUT_ROOT if self.root is None else CHECKPOINT_VERSION,
        }
        if self.root is not None:
            members["root"] = self.root
        return members

    def canonical_bytes(self) -> bytes:
        """Return the canonical JSON of the statement: the bytes that are signed."""
        return canonical_json(self.to_json_dict())


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint statement with its detached signature and the signature algorithm's name."""

    statement: Checkpoint
    algorithm: str
    signature: bytes

    def to_json(self) -> bytes:
        """Return the signed checkpoint as one canonical JSON document (no trailing newline)."""
        return canonical_json(
            {
                "algorithm": self.algorithm,
                "signature": base64.b64encode(self.signature).decode("ascii"),
                "statement": self.statement.to_json_dict(),
            }
        )

    @classmethod
    def from_json(cls, data: bytes) -> SignedCheckpoint:
        """Parse a document written by :meth:`to_json` (trailing newline allowed); refuse anything else."""
        text = data[:-1] if data.endswith(b"\n") else data
        try:
            doc = json.loads(text, parse_float=_refuse_number, parse_constant=_refuse_number)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"checkpoint is not valid JSON: {exc}") from exc
        if not isinstance(doc, dict) or set(doc) != _SIGNED_MEMBERS:
            raise InvalidInput("checkpoint must have exactly the members algorithm, signature, statement")
        statement = doc["statement"]
        if not isinstance(statement, dict) or set(statement) not in (_STATEMENT_MEMBERS, _STATEMENT_MEMBERS_V2):
            raise InvalidInput("checkpoint statement does not have exactly the statement members")
        version = CHECKPOINT_VERSION if "root" in statement else CHECKPOINT_VERSION_WITHOUT_ROOT
        if statement["type"] != CHECKPOINT_TYPE or statement["v"] != version:
            raise InvalidInput("not an undersign audit checkpoint of a known version")
        if not isinstance(doc["signature"], str) or not isinstance(doc["algorithm"], str):
            raise InvalidInput("checkpoint algorithm and signature must be strings")
        try:
            signature = base64.b64decode(doc["signature"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidInput("checkpoint signature is not base64") from exc
        signed = cls(
            statement=Checkpoint(
                seq=statement["seq"],
                hash=statement["hash"],
                at=parse_time(statement["at"]),
                signer_cert_sha256=statement["signer_cert_sha256"],
                root=statement.get("root"),
            ),
            algorithm=doc["algorithm"],
            signature=signature,
        )
        if signed.to_json() != text:
            raise InvalidInput("checkpoint is not in canonical form")
        return signed


def _refuse_number(text: str) -> object:
    """Refuse a floating-point number or NaN/Infinity while parsing."""
    raise ValueError(f"number {text} is not an integer")


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    """Return the SHA-256 (lowercase hex) of the certificate's DER encoding."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def checkpoint_for(
    head: AuditEvent, at: datetime, certificate: x509.Certificate, root: bytes | None = None
) -> Checkpoint:
    """Return the statement for chain head ``head`` (and tree ``root``) at ``at``, naming ``certificate``."""
    return Checkpoint(
        seq=head.seq,
        hash=head.hash,
        at=at,
        signer_cert_sha256=certificate_fingerprint(certificate),
        root=None if root is None else root.hex(),
    )


def sign_checkpoint(statement: Checkpoint, private_key: SigningKey) -> SignedCheckpoint:
    """Sign ``statement`` with an ECDSA P-256 or RSA (>= 2048 bits) private key."""
    data = statement.canonical_bytes()
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise InvalidInput(f"checkpoint keys must be on P-256, not {private_key.curve.name}")
        return SignedCheckpoint(statement, ALG_ECDSA_P256_SHA256, private_key.sign(data, ec.ECDSA(hashes.SHA256())))
    if isinstance(private_key, rsa.RSAPrivateKey):
        if private_key.key_size < MIN_RSA_BITS:
            raise InvalidInput(f"RSA checkpoint keys need at least {MIN_RSA_BITS} bits")
        return SignedCheckpoint(
            statement, ALG_RSA_PKCS1V15_SHA256, private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        )
    raise InvalidInput(f"unsupported checkpoint key type {type(private_key).__name__}")


def verify_checkpoint_signature(signed: SignedCheckpoint, verifier: x509.Certificate | VerifyingKey) -> bool:
    """Tell whether ``signed`` carries a valid signature by ``verifier``.

    Given a certificate, the statement must also name that certificate's fingerprint, so a
    signature by the right key under the wrong certificate does not pass.
    """
    if isinstance(verifier, x509.Certificate):
        if signed.statement.signer_cert_sha256 != certificate_fingerprint(verifier):
            return False
        public_key = verifier.public_key()
    else:
        public_key = verifier
    data = signed.statement.canonical_bytes()
    try:
        if signed.algorithm == ALG_ECDSA_P256_SHA256 and isinstance(public_key, ec.EllipticCurvePublicKey):
            if not isinstance(public_key.curve, ec.SECP256R1):
                return False
            public_key.verify(signed.signature, data, ec.ECDSA(hashes.SHA256()))
            return True
        if signed.algorithm == ALG_RSA_PKCS1V15_SHA256 and isinstance(public_key, rsa.RSAPublicKey):
            if public_key.key_size < MIN_RSA_BITS:
                return False
            public_key.verify(signed.signature, data, padding.PKCS1v15(), hashes.SHA256())
            return True
    except InvalidSignature:
        return False
    return False
