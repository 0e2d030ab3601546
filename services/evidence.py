"""Evidence bundles: what an auditor downloads to check a signing without our database.

Preparing an export happens inside the request: the export is recorded in the audit chain, a
fresh checkpoint is signed over the head (so the bundle's last event is covered), and the sealed
documents' coordinates are collected. The zip itself is written later, while it streams, from a
new unit of work: events are read in batches, documents one at a time, never the whole bundle.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

from domain.actor import Actor
from domain.audit import AuditEvent, SignedCheckpoint, bundle_entries, write_bundle
from domain.documents import SignedDocument
from domain.errors import NotFound
from domain.ports import AuditTrail, BlobStore
from services.audit import AuditService


@dataclass(frozen=True)
class EvidencePlan:
    """Everything the streamed export needs once the request's session is closed."""

    filename: str
    checkpoints: tuple[SignedCheckpoint, ...]
    up_to_seq: int
    documents: tuple[SignedDocument, ...]
    certificate: x509.Certificate
    exported_at: datetime


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:100] or "document"


def plan_export(
    actor: Actor,
    *,
    audit: AuditService,
    trail: AuditTrail,
    signed: list[SignedDocument],
    subjects: dict[str, str],
    filename: str,
    certificate: x509.Certificate,
    now: datetime,
) -> EvidencePlan:
    """Record the export, sign a checkpoint over it, and return what the streamed bundle will contain."""
    if not signed:
        raise NotFound("Nothing signed to export for this request.")
    trail.record(
        actor,
        "evidence.exported",
        subjects,
        payload={"envelopes": [s.envelope_id for s in signed], "filename": filename},
    )
    fresh = audit.checkpoint(actor)
    assert fresh is not None
    good, _other, _problems = audit.trusted_checkpoints()
    kept = {c.to_json(): c for c in [*good, fresh.signed] if c.statement.seq <= fresh.seq}
    return EvidencePlan(
        filename=filename,
        checkpoints=tuple(sorted(kept.values(), key=lambda c: (c.statement.seq, c.statement.at))),
        up_to_seq=fresh.seq,
        documents=tuple(signed),
        certificate=certificate,
        exported_at=now,
    )


def stream_bundle(
    plan: EvidencePlan, events: Callable[[int], Iterator[AuditEvent]], blobs: BlobStore
) -> Iterator[bytes]:
    """Yield the zip of ``plan``; ``events(up_to_seq)`` streams the chain in stored order."""

    def documents() -> Iterator[tuple[str, bytes]]:
        for doc in plan.documents:
            name = f"{_safe(doc.envelope_id)}-{_safe(doc.document_id)}-v{doc.version}-sealed.pdf"
            yield name, blobs.get(doc.sealed.key, doc.sealed.version_id)

    entries = bundle_entries(
        events=events(plan.up_to_seq),
        checkpoints=list(plan.checkpoints),
        certificate=plan.certificate,
        documents=documents(),
        exported_at=plan.exported_at,
    )
    yield from write_bundle(entries, modified_at=plan.exported_at)
