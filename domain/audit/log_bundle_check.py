"""Checking the operator's whole-log bundle offline, at close to the speed of hashing its events.

The whole-log bundle (``bundle.py``, format version 1) holds every audit event from seq 1 in
``events.jsonl``, the signed tree heads in ``checkpoints.jsonl`` and the certificate that signed
them in ``service-cert.pem``. This module checks such a bundle with nothing but the bundle: each
tree head's signature against the certificate (and the certificate against a fingerprint the
caller trusts, when given), then every event line against the heads with ``verify_log_lines``,
and finally that the last head covers the last event, so that no event escapes a signature.

``events.jsonl`` is read from the zip a megabyte at a time and cut into lines in C
(``io.BytesIO`` iterates over its lines without a Python frame per line), because at a million
events the per-line cost of reading is a visible share of the whole check.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain

from cryptography import x509

from domain.audit.bundle import CERTIFICATE, CHECKPOINTS, EVENTS
from domain.audit.checkpoint import SignedCheckpoint, certificate_fingerprint, verify_checkpoint_signature
from domain.audit.log_verify import verify_log_lines
from domain.audit.verify import ChainVerdict
from domain.errors import InvalidInput

READ_BLOCK = 1 << 20  # bytes of events.jsonl read at a time


@dataclass(frozen=True, slots=True)
class LogBundleVerdict:
    """The outcome of checking a whole-log bundle: ``ok`` only if every check passed."""

    ok: bool
    message: str
    certificate_sha256: str
    tree_heads: int
    chain: ChainVerdict | None


def lines_of(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """Cut a stream of byte blocks into its lines, each with its newline (the last may lack one)."""
    pieces: list[bytes] = []

    def whole_lines() -> Iterator[bytes]:
        for block in blocks:
            cut = block.rfind(b"\n") + 1
            if not cut:
                pieces.append(block)
                continue
            pieces.append(block[:cut])
            yield b"".join(pieces)
            pieces[:] = [block[cut:]]
        if rest := b"".join(pieces):
            yield rest

    return chain.from_iterable(map(io.BytesIO, whole_lines()))


def member_blocks(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    """Yield the bytes of one zip member a block at a time."""
    with archive.open(name) as member:
        while block := member.read(READ_BLOCK):
            yield block


def check_log_bundle(archive: zipfile.ZipFile, *, trusted_cert_sha256: str | None = None) -> LogBundleVerdict:
    """Check a whole-log bundle: signed tree heads, every event against them, and the head covered.

    ``trusted_cert_sha256`` is the fingerprint of the certificate the caller expects (from the
    operator, out of band); without it the bundle's own certificate is taken at its word, which
    proves the log is unchanged since it was signed but not who signed it.
    """
    names = set(archive.namelist())
    missing = sorted({CERTIFICATE, CHECKPOINTS, EVENTS} - names)
    if missing:
        raise InvalidInput(f"this is not a whole-log bundle: it lacks {', '.join(missing)}")
    try:
        certificate = x509.load_pem_x509_certificate(archive.read(CERTIFICATE))
    except ValueError as exc:
        raise InvalidInput(f"{CERTIFICATE} is not a PEM certificate: {exc}") from exc
    fingerprint = certificate_fingerprint(certificate)

    def refuse(message: str, heads: int = 0, verdict: ChainVerdict | None = None) -> LogBundleVerdict:
        return LogBundleVerdict(False, message, fingerprint, heads, verdict)

    if trusted_cert_sha256 is not None and trusted_cert_sha256.lower() != fingerprint:
        return refuse(f"the bundle is signed by certificate {fingerprint}, not by the trusted {trusted_cert_sha256}")
    heads: list[SignedCheckpoint] = []
    for number, line in enumerate(archive.read(CHECKPOINTS).splitlines(), start=1):
        try:
            signed = SignedCheckpoint.from_json(line)
        except InvalidInput as exc:
            return refuse(f"{CHECKPOINTS} line {number}: {exc.detail}")
        if signed.statement.signer_cert_sha256 != fingerprint or not verify_checkpoint_signature(signed, certificate):
            return refuse(f"{CHECKPOINTS} line {number}: the tree head is not signed by the bundle's certificate")
        heads.append(signed)
    if not heads:
        return refuse(f"{CHECKPOINTS} holds no signed tree head, so nothing pins the events")
    statements = [signed.statement for signed in heads]
    events: Callable[[], Iterable[bytes]] = lambda: lines_of(member_blocks(archive, EVENTS))  # noqa: E731
    verdict = verify_log_lines(events, statements)
    if not verdict.ok:
        return refuse(verdict.message, len(heads), verdict)
    last_signed = max(statement.seq for statement in statements)
    if (verdict.head_seq or 0) > last_signed:
        return refuse(
            f"events {last_signed + 1} to {verdict.head_seq} come after the last signed tree head (seq {last_signed}):"
            " no signature covers them",
            len(heads),
            verdict,
        )
    return LogBundleVerdict(True, verdict.message, fingerprint, len(heads), verdict)
