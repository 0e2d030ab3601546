"""Evidence bundles: the audit chain, its signed checkpoints and the sealed documents, in one zip.

An auditor (or a court's expert) checks a bundle with ``tools/verify_audit_chain.py`` and no access
to our database. Layout (all at the top level of the zip or directory)::

    manifest.json       {"files":{name:{"sha256":..,"size":..}},"format":"undersign-evidence-bundle","v":1}
    README.txt          what the files are and how to verify them
    service-cert.pem    the certificate whose key signed the checkpoints
    checkpoints.jsonl   signed checkpoints, one per line, ascending seq; the last one covers the last event
    events.jsonl        the audit events from seq 1, one canonical JSON object per line
    documents/<name>    sealed PDFs (and any other document); each one's SHA-256 must be the
                        ``document_sha256`` of at least one event
    verification.json   the service's own verdict at export time (informational)

``manifest.json`` lists every other file with its SHA-256 and size; the JSON files and lines are
canonical JSON followed by a newline. Entries are produced as a stream so that a chain of millions
of events and many PDFs never has to be in memory at once: :func:`bundle_entries` yields the
entries (their chunks are read lazily, the manifest comes last) and :func:`write_bundle` turns
them into zip bytes chunk by chunk.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from domain.audit.canonical import canonical_json, format_time
from domain.audit.checkpoint import (
    SignedCheckpoint,
    certificate_fingerprint,
    verify_checkpoint_signature,
)
from domain.audit.event import AuditEvent
from domain.audit.verify import ChainChecker, ChainVerdict
from domain.errors import FieldError, InvalidInput

BUNDLE_FORMAT = "undersign-evidence-bundle"
BUNDLE_VERSION = 1
MANIFEST = "manifest.json"
README = "README.txt"
CERTIFICATE = "service-cert.pem"
CHECKPOINTS = "checkpoints.jsonl"
EVENTS = "events.jsonl"
VERIFICATION = "verification.json"
DOCUMENTS_DIR = "documents/"

_NAME = re.compile(r"(?:documents/)?[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class FileDigest:
    """SHA-256 (lowercase hex) and size in bytes of one bundle file."""

    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class BundleEntry:
    """One file of the bundle: its name and its content as chunks, produced when iterated."""

    name: str
    chunks: Iterable[bytes]


def build_bundle_manifest(files: Mapping[str, bytes]) -> bytes:
    """Return ``manifest.json`` for bundle files given as name -> content (every file but the manifest)."""
    return manifest_from_digests(
        {name: FileDigest(hashlib.sha256(data).hexdigest(), len(data)) for name, data in files.items()}
    )


def manifest_from_digests(digests: Mapping[str, FileDigest]) -> bytes:
    """Return ``manifest.json`` from precomputed digests: canonical JSON and a newline."""
    for name in digests:
        _check_name(name)
    files = {name: {"sha256": digest.sha256, "size": digest.size} for name, digest in digests.items()}
    return canonical_json({"files": files, "format": BUNDLE_FORMAT, "v": BUNDLE_VERSION}) + b"\n"


def _check_name(name: str) -> None:
    """Refuse file names that could escape a folder or clash with the manifest."""
    if name == MANIFEST or not _NAME.fullmatch(name) or ".." in name:
        raise InvalidInput(
            "bad bundle file name",
            errors=[FieldError(name, "use letters, digits, '.', '_' or '-' (optionally under documents/)")],
        )


class _Digesting:
    """Wraps an entry's chunks and records their SHA-256 and size once they have all been read."""

    def __init__(self, name: str, chunks: Iterable[bytes], record: dict[str, FileDigest]) -> None:
        self._name = name
        self._chunks = chunks
        self._record = record
        self.finished = False

    def __iter__(self) -> Iterator[bytes]:
        digest = hashlib.sha256()
        size = 0
        for chunk in self._chunks:
            digest.update(chunk)
            size += len(chunk)
            yield chunk
        self._record[self._name] = FileDigest(digest.hexdigest(), size)
        self.finished = True


def bundle_entries(
    *,
    events: Iterable[AuditEvent],
    checkpoints: Sequence[SignedCheckpoint],
    certificate: x509.Certificate,
    documents: Iterable[tuple[str, bytes]],
    exported_at: datetime,
) -> Iterator[BundleEntry]:
    """Yield the bundle's files in order; iterate each entry's chunks fully before asking for the next.

    ``events`` is the whole chain from seq 1, in stored order; it is read once, written to
    ``events.jsonl`` and verified on the way (so ``verification.json`` describes exactly the bytes
    exported). ``checkpoints`` must be signed by ``certificate`` and the last one should cover the
    last exported event (sign one at export time); ``documents`` are (file name, bytes) pairs, read
    one at a time.
    """
    ordered = sorted(checkpoints, key=lambda signed: signed.statement.seq)
    for signed in ordered:
        if not verify_checkpoint_signature(signed, certificate):
            raise InvalidInput(f"checkpoint at seq {signed.statement.seq} is not signed by the bundle certificate")
    fingerprint = certificate_fingerprint(certificate)
    record: dict[str, FileDigest] = {}
    checker = ChainChecker([signed.statement for signed in ordered], require_covered_head=True)
    referenced: dict[str, int] = {}
    document_rows: list[dict[str, object]] = []

    names: set[str] = set()

    def entry(name: str, chunks: Iterable[bytes]) -> BundleEntry:
        _check_name(name)
        if name in names:
            raise InvalidInput(f"two bundle files are named {name!r}")
        names.add(name)
        return BundleEntry(name, _Digesting(name, chunks, record))

    readme = _readme(certificate, fingerprint, ordered, exported_at)
    yield entry(README, [readme.encode("utf-8")])
    yield entry(CERTIFICATE, [certificate.public_bytes(serialization.Encoding.PEM)])
    yield entry(CHECKPOINTS, [b"".join(signed.to_json() + b"\n" for signed in ordered)])
    yield entry(EVENTS, _event_lines(events, checker, referenced))
    for name, data in documents:
        sha256 = hashlib.sha256(data).hexdigest()
        document_rows.append(
            {
                "name": DOCUMENTS_DIR + name,
                "sha256": sha256,
                "size": len(data),
                "referenced_by_seq": referenced.get(sha256),
            }
        )
        yield entry(DOCUMENTS_DIR + name, [data])
    verdict = checker.verdict()
    yield entry(VERIFICATION, [_verification(verdict, document_rows, fingerprint, exported_at)])
    if len(record) != len({README, CERTIFICATE, CHECKPOINTS, EVENTS, VERIFICATION}) + len(document_rows):
        raise RuntimeError("every bundle entry must be read completely before the next one is requested")
    yield BundleEntry(MANIFEST, [manifest_from_digests(record)])


def _event_lines(events: Iterable[AuditEvent], checker: ChainChecker, referenced: dict[str, int]) -> Iterator[bytes]:
    """Serialise events to JSONL in chunks, verifying them and noting which documents they name."""
    buffer: list[bytes] = []
    size = 0
    for event in events:
        checker.feed(event)
        if event.document_sha256 is not None:
            referenced.setdefault(event.document_sha256, event.seq)
        line = event.to_json_line()
        buffer.append(line)
        size += len(line)
        if size >= _CHUNK:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


def _verification(
    verdict: ChainVerdict, documents: list[dict[str, object]], fingerprint: str, exported_at: datetime
) -> bytes:
    """Return ``verification.json``: the chain verdict and the document cross-check at export time."""
    ok = verdict.ok and all(row["referenced_by_seq"] is not None for row in documents)
    return (
        canonical_json(
            {
                "chain": verdict.as_dict(),
                "documents": documents,
                "exported_at": format_time(exported_at),
                "format": BUNDLE_FORMAT,
                "ok": ok,
                "service_cert_sha256": fingerprint,
                "v": BUNDLE_VERSION,
            }
        )
        + b"\n"
    )


def _readme(
    certificate: x509.Certificate,
    fingerprint: str,
    checkpoints: Sequence[SignedCheckpoint],
    exported_at: datetime,
) -> str:
    """Return the bundle's README: what each file is and how to check it without our service."""
    head = checkpoints[-1].statement if checkpoints else None
    covered = f"seq 1..{head.seq}, head hash {head.hash}" if head else "(no checkpoint)"
    return f"""undersign evidence bundle
=========================

Exported at:          {format_time(exported_at)}
Audit chain covered:  {covered}
Signing certificate:  {certificate.subject.rfc4514_string()}
Certificate SHA-256:  {fingerprint}

Compare the certificate SHA-256 above with the one the service operator publishes or gave you
separately: a forger could replace both the certificate and the signatures in this folder.

Files
  manifest.json      SHA-256 and size of every other file
  events.jsonl       the audit trail, one event per line (canonical JSON), hash-chained from seq 1
  checkpoints.jsonl  signed statements of the chain head (seq, hash, time)
  service-cert.pem   the certificate that signed the checkpoints
  documents/         the sealed documents; each one's SHA-256 is recorded in an event
  verification.json  the service's own verification result when exporting (informational)

How to verify (Python 3.11+ and the 'cryptography' package; nothing from the service needed):
  python verify_audit_chain.py THIS_BUNDLE.zip --cert-sha256 {fingerprint}

The verifier is tools/verify_audit_chain.py in the undersign source; the algorithm is described
in docs/audit-chain.md there. The sealed PDFs carry their own PAdES signatures, which any PDF
signature validator can check.
"""


class _ChunkSink:
    """A write-only, unseekable file for ``zipfile`` that hands out what was written so far."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        """Take bytes from ``zipfile``."""
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush; present because ``zipfile`` calls it."""

    def close(self) -> None:
        """Nothing to close; present because ``zipfile`` may call it."""

    def drain(self) -> Iterator[bytes]:
        """Yield (and forget) everything written since the last drain."""
        if self._parts:
            data = b"".join(self._parts)
            self._parts.clear()
            yield data


def write_bundle(entries: Iterable[BundleEntry], *, modified_at: datetime) -> Iterator[bytes]:
    """Yield the bytes of a zip holding ``entries``, piece by piece (for a streamed HTTP body or upload).

    Every member gets the timestamp ``modified_at`` (UTC) so that the same bundle zips the same way.
    """
    stamp = modified_at.astimezone(UTC).timetuple()[:6]
    sink = _ChunkSink()
    archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED)
    for bundle_entry in entries:
        info = zipfile.ZipInfo(bundle_entry.name, date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with archive.open(info, "w", force_zip64=True) as member:
            for chunk in bundle_entry.chunks:
                member.write(chunk)
                yield from sink.drain()
        yield from sink.drain()
    archive.close()
    yield from sink.drain()
