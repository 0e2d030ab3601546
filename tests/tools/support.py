"""Build evidence bundles with the domain code, for the standalone verifier tests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from domain.audit import (
    Actor,
    AuditEvent,
    AuditEventDraft,
    SignedCheckpoint,
    bundle_entries,
    chain_next,
    checkpoint_for,
    payload_digest,
    sign_checkpoint,
    write_bundle,
)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PDFS = {
    "ENV-2026-0001-sealed.pdf": b"%PDF-1.7\n% sealed contract\n" + bytes(range(256)) + b"\n%%EOF\n",
    "RA-2026-0042-sealed.pdf": b"%PDF-1.7\n% risk acceptance: no MFA\n" + b"\xe2\x98\x95" * 40 + b"\n%%EOF\n",
}


@dataclass
class Service:
    """The service's signing key and self-signed certificate."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


def make_service(common_name: str = "Acme MSP audit seal") -> Service:
    """Return a fresh P-256 key and self-signed certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(T0 - timedelta(days=1))
        .not_valid_after(T0 + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return Service(key, cert)


def make_chain(count: int = 30) -> list[AuditEvent]:
    """Return a chain whose events record the two PDFs' hashes (at seq 10 and 20) among other events."""
    documents = {10: hashlib.sha256(PDFS["ENV-2026-0001-sealed.pdf"]).hexdigest()}
    documents[20] = hashlib.sha256(PDFS["RA-2026-0042-sealed.pdf"]).hexdigest()
    events: list[AuditEvent] = []
    prev = None
    for seq in range(1, count + 1):
        signer = seq % 2 == 0
        made = AuditEventDraft(
            actor=Actor("signer", "zoë@client.example", "client")
            if signer
            else Actor("api_key", "tech-1", "technician"),
            action="document.sealed" if seq in documents else ("envelope.viewed" if signer else "envelope.sent"),
            subjects={"envelope": f"ENV-2026-{seq:04d}"},
            ip="198.51.100.23" if signer else None,
            user_agent="Mozilla/5.0 (Ünïcode)" if signer else None,
            payload_sha256=payload_digest({"seq": seq}),
            document_sha256=documents.get(seq),
        )
        prev = chain_next(prev, made, seq, T0 + timedelta(minutes=seq))
        events.append(prev)
    return events


def checkpoints_for(events: list[AuditEvent], service: Service, seqs: tuple[int, ...]) -> list[SignedCheckpoint]:
    """Sign checkpoints of the given seqs."""
    return [
        sign_checkpoint(
            checkpoint_for(events[seq - 1], events[seq - 1].at + timedelta(seconds=1), service.cert), service.key
        )
        for seq in seqs
    ]


def write_bundle_dir(
    target: Path,
    events: list[AuditEvent],
    service: Service,
    *,
    checkpoint_seqs: tuple[int, ...] | None = None,
) -> Path:
    """Write a bundle directory (checkpoints at seq 15 and the head unless told otherwise)."""
    seqs = (15, len(events)) if checkpoint_seqs is None else checkpoint_seqs
    target.mkdir(parents=True, exist_ok=True)
    for entry in bundle_entries(
        events=events,
        checkpoints=checkpoints_for(events, service, seqs),
        certificate=service.cert,
        documents=PDFS.items(),
        exported_at=T0 + timedelta(days=1),
    ):
        path = target / entry.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"".join(entry.chunks))
    return target


def write_bundle_zip(target: Path, events: list[AuditEvent], service: Service) -> Path:
    """Write the same bundle as a zip file, streamed through write_bundle."""
    entries = bundle_entries(
        events=events,
        checkpoints=checkpoints_for(events, service, (15, len(events))),
        certificate=service.cert,
        documents=PDFS.items(),
        exported_at=T0 + timedelta(days=1),
    )
    with target.open("wb") as handle:
        for chunk in write_bundle(entries, modified_at=T0 + timedelta(days=1)):
            handle.write(chunk)
    return target
