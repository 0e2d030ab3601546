"""Per-subject evidence bundles: one envelope's, client's or risk record's events, proven against a signed tree head.

The whole-chain bundle (``bundle.py``) shows every client's events to whoever receives it; this
one holds only the events naming the subject, with their payloads, and proves each of them is in
the audit log by an RFC 9162 inclusion proof against a signed tree head (``merkle.py``,
``checkpoint.py``). A consistency proof from the previous signed tree head shows the log was only
appended to in between. Layout (format ``undersign-evidence-bundle`` version 2)::

    manifest.json       SHA-256 and size of every other file
    README.txt          what the files are and how to check them
    service-cert.pem    the certificate whose key signed the tree heads
    tree-heads.jsonl    signed tree heads (checkpoints v2), ascending; the last one is the head proofs use
    consistency.json    {"first":{"root","size"},"path":[hex..],"second":{"root","size"}} (two heads only)
    events.jsonl        the subject's events, ascending seq, canonical JSON lines (as in the chain), and
                        the audit.checkpoint_filed event of the previous tree head (its document_sha256
                        is the SHA-256 of that head's line in tree-heads.jsonl)
    payloads.jsonl      {"payload":{..},"seq":N} for every event that has a payload
    proofs.jsonl        {"leaf_index":seq-1,"path":[hex..],"seq":N,"tree_size":head size}
    documents/<name>    the documents (sealed PDF, document as sent, evidence summary); each one's
                        SHA-256 is the document_sha256 of a proven event
    disclosure/<name>   texts shown to signers (the e-sign consent disclosure); each one's SHA-256
                        is named in a proven payload
    pki/<name>.pem      certificates to check the PDF seals with (CA chain, TSA roots)
    storage.json        the object store's own account of where each filed object is kept and locked
    verification.json   the service's verdict at export time (informational)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from domain.audit.bundle import BundleEntry, FileDigest
from domain.audit.canonical import canonical_json, format_time
from domain.audit.checkpoint import SignedCheckpoint, certificate_fingerprint, verify_checkpoint_signature
from domain.audit.event import AuditEvent, payload_digest
from domain.audit.merkle import verify_consistency, verify_inclusion
from domain.errors import InvalidInput

SUBJECT_BUNDLE_VERSION = 2
BUNDLE_FORMAT = "undersign-evidence-bundle"
_NAME = re.compile(r"(?:(?:documents|disclosure|pki)/)?[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass(frozen=True)
class ProvenEvent:
    """A subject's event, its stored payload and its inclusion proof against the head."""

    event: AuditEvent
    payload: Mapping[str, Any] | None
    path: Sequence[bytes]


@dataclass(frozen=True)
class SubjectEvidence:
    """Everything a per-subject bundle holds except the documents, which stream."""

    subject_type: str
    subject_id: str
    events: Sequence[ProvenEvent]
    head: SignedCheckpoint
    previous: SignedCheckpoint | None
    consistency: Sequence[bytes]
    certificate: x509.Certificate
    extra_files: Sequence[tuple[str, bytes]]
    exported_at: datetime


def _check_name(name: str) -> None:
    """Refuse file names that could escape a folder or clash with the bundle's own files."""
    if not _NAME.fullmatch(name) or ".." in name:
        raise InvalidInput(f"bad bundle file name {name!r}")


def _lines(rows: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(canonical_json(row) + b"\n" for row in rows)


def _check_evidence(evidence: SubjectEvidence) -> dict[str, Any]:
    """Check at export what the verifier will check; return the verdict for ``verification.json``."""
    head = evidence.head.statement
    problems: list[str] = []
    if head.root is None:
        raise InvalidInput("the head of a subject bundle must be a signed tree head (checkpoint v2)")
    for signed in (evidence.head, evidence.previous):
        if signed is not None and not verify_checkpoint_signature(signed, evidence.certificate):
            raise InvalidInput(f"tree head at {signed.statement.seq} is not signed by the bundle certificate")
    root = bytes.fromhex(head.root)
    for proven in evidence.events:
        event = proven.event
        if event.computed_hash() != event.hash:
            problems.append(f"seq {event.seq}: contents do not match its hash")
        if proven.payload is not None and payload_digest(dict(proven.payload)) != event.payload_sha256:
            problems.append(f"seq {event.seq}: payload does not match payload_sha256")
        if not verify_inclusion(bytes.fromhex(event.hash), event.seq - 1, head.seq, proven.path, root):
            problems.append(f"seq {event.seq}: inclusion proof fails")
    previous = evidence.previous.statement if evidence.previous else None
    if (
        previous is not None
        and previous.root is not None
        and not verify_consistency(
            previous.seq, head.seq, bytes.fromhex(previous.root), root, list(evidence.consistency)
        )
    ):
        problems.append("the consistency proof from the previous tree head fails")
    return {"ok": not problems, "problems": problems, "events": len(evidence.events), "tree_size": head.seq}


def subject_bundle_entries(evidence: SubjectEvidence, documents: Iterable[tuple[str, bytes]]) -> Iterator[BundleEntry]:
    """Yield the bundle's files in order (the manifest last); read each entry fully before the next."""
    verdict = _check_evidence(evidence)
    fingerprint = certificate_fingerprint(evidence.certificate)
    digests: dict[str, FileDigest] = {}
    names: set[str] = set()

    def entry(name: str, data: bytes) -> BundleEntry:
        _check_name(name)
        if name in names or name == "manifest.json":
            raise InvalidInput(f"two bundle files are named {name!r}")
        names.add(name)
        digests[name] = FileDigest(hashlib.sha256(data).hexdigest(), len(data))
        return BundleEntry(name, [data])

    head = evidence.head.statement
    heads = [evidence.head] if evidence.previous is None else [evidence.previous, evidence.head]
    yield entry("README.txt", _readme(evidence, fingerprint).encode("utf-8"))
    yield entry("service-cert.pem", evidence.certificate.public_bytes(serialization.Encoding.PEM))
    yield entry("tree-heads.jsonl", b"".join(signed.to_json() + b"\n" for signed in heads))
    if evidence.previous is not None and evidence.previous.statement.root is not None:
        previous = evidence.previous.statement
        yield entry(
            "consistency.json",
            canonical_json(
                {
                    "first": {"root": previous.root, "size": previous.seq},
                    "path": [node.hex() for node in evidence.consistency],
                    "second": {"root": head.root, "size": head.seq},
                }
            )
            + b"\n",
        )
    yield entry("events.jsonl", b"".join(proven.event.to_json_line() for proven in evidence.events))
    yield entry(
        "payloads.jsonl",
        _lines(
            {"payload": dict(proven.payload), "seq": proven.event.seq}
            for proven in evidence.events
            if proven.payload is not None
        ),
    )
    yield entry(
        "proofs.jsonl",
        _lines(
            {
                "leaf_index": proven.event.seq - 1,
                "path": [node.hex() for node in proven.path],
                "seq": proven.event.seq,
                "tree_size": head.seq,
            }
            for proven in evidence.events
        ),
    )
    named = {proven.event.document_sha256 for proven in evidence.events}
    document_rows = []
    for name, data in documents:
        digest = hashlib.sha256(data).hexdigest()
        document_rows.append({"name": f"documents/{name}", "named_by_an_event": digest in named, "sha256": digest})
        yield entry(f"documents/{name}", data)
    for name, data in evidence.extra_files:
        yield entry(name, data)
    verdict["documents"] = document_rows
    verdict["ok"] = verdict["ok"] and all(row["named_by_an_event"] for row in document_rows)
    yield entry(
        "verification.json",
        canonical_json(
            {
                **verdict,
                "exported_at": format_time(evidence.exported_at),
                "format": BUNDLE_FORMAT,
                "service_cert_sha256": fingerprint,
                "subject": {"id": evidence.subject_id, "type": evidence.subject_type},
                "v": SUBJECT_BUNDLE_VERSION,
            }
        )
        + b"\n",
    )
    files = {name: {"sha256": d.sha256, "size": d.size} for name, d in digests.items()}
    manifest = canonical_json({"files": files, "format": BUNDLE_FORMAT, "v": SUBJECT_BUNDLE_VERSION}) + b"\n"
    yield BundleEntry("manifest.json", [manifest])


def _readme(evidence: SubjectEvidence, fingerprint: str) -> str:
    """Return the bundle's README: what it covers and how to check it without our service."""
    head = evidence.head.statement
    return f"""undersign evidence bundle (per subject)
======================================

Subject:              {evidence.subject_type} {evidence.subject_id}
Exported at:          {format_time(evidence.exported_at)}
Events in this bundle: {len(evidence.events)} of the {head.seq} events in the audit log
Signed tree head:     size {head.seq}, root {head.root}, signed {format_time(head.at)}
Signing certificate:  {evidence.certificate.subject.rfc4514_string()}
Certificate SHA-256:  {fingerprint}

This bundle holds only the events about this subject. Each one is proven to be in the service's
append-only audit log by a Merkle inclusion proof (as in Certificate Transparency, RFC 9162)
against the signed tree head above; the events of other clients are not disclosed, only hashes.

Compare the certificate SHA-256 above with the one the service operator publishes or gave you
separately: a forger could replace both the certificate and the signatures in this folder.

Files
  manifest.json      SHA-256 and size of every other file
  evidence-summary   documents/evidence-summary.pdf: the record in plain words
  events.jsonl       this subject's audit events, one per line (canonical JSON), and the event
                     that recorded the previous tree head in the log
  payloads.jsonl     the details of each event (names, attestations, consent, reasons)
  proofs.jsonl       one inclusion proof per event
  tree-heads.jsonl   signed tree heads: the previous one and the one the proofs use
  consistency.json   proof that the log between the two tree heads was only appended to
  documents/         the documents; each one's SHA-256 is recorded in a proven event
  disclosure/        the e-sign consent disclosure text the signers were shown
  pki/               certificates for checking the PDF seals
  storage.json       where each filed object is kept and how it is locked (as the store reports it)
  verification.json  the service's own check when exporting (informational)

How to verify (Python 3.11+ and the 'cryptography' package; nothing from the service needed):
  python verify_audit_chain.py THIS_BUNDLE.zip --cert-sha256 {fingerprint}

The verifier is tools/verify_audit_chain.py in the undersign source; docs/audit-chain.md there
describes the tree, the proofs and this format. The sealed PDFs carry their own PAdES signatures,
which any PDF signature validator can check against the certificates under pki/.
"""
