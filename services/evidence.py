"""Evidence bundles: what an auditor or a court downloads to check a subject's record without our database.

A bundle is for one subject (an envelope, a client or a risk record) and holds only that subject's
events, with their payloads and inclusion proofs against a freshly signed tree head
(``domain.audit.subject_bundle``), plus the ``audit.checkpoint_filed`` event of the previous
signed head it carries (that event names no client: a tree size, a root and where the head's
object is filed). Preparing it happens inside the request: an evidence summary
PDF is written from the subject's events, sealed with the service key and filed under Object Lock
(an export is evidence too), the export is recorded in the audit chain with the summary's SHA-256
in the chained fields, a tree head is signed over it, and the proofs are computed. The zip is
written later, while it streams, reading the documents one at a time.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from cryptography import x509

from domain.actor import Actor
from domain.audit import AuditEvent, SignedCheckpoint, certificate_fingerprint, write_bundle
from domain.audit.canonical import canonical_json
from domain.audit.subject_bundle import ProvenEvent, SubjectEvidence, subject_bundle_entries
from domain.blobs import Retention, StoredBlob
from domain.errors import NotFound
from domain.evidence_summary import SummaryDocument, render_summary, summary_context
from domain.ports import AuditTrail, BlobStore
from domain.sealing.html_pages import HtmlPageWriter
from services.audit import CHECKPOINT_SUBJECT, AuditService, checkpoint_object_sha256

SUMMARY_NAME = "evidence-summary.pdf"


class SubjectLog(Protocol):
    """The audit log as a per-subject export reads it: the subject's events and Merkle proofs."""

    def subject_events(
        self, subject_type: str, subject_id: str, up_to_seq: int
    ) -> list[tuple[AuditEvent, dict[str, Any] | None]]:
        """Return the events naming the subject (seq <= ``up_to_seq``), ascending, with payloads."""
        ...

    def inclusion(self, seq: int, size: int) -> list[bytes]:
        """Return the inclusion proof of event ``seq`` in the tree of ``size`` events."""
        ...

    def consistency(self, first: int, second: int) -> list[bytes]:
        """Return the consistency proof between the trees of ``first`` and ``second`` events."""
        ...


@dataclass(frozen=True)
class FiledDocument:
    """A document the bundle carries: its file name in the bundle, a plain label and where it is filed."""

    name: str
    label: str
    blob: StoredBlob


@dataclass(frozen=True)
class ExportSubject:
    """What is exported: the subject, its documents, and the words the summary uses for it."""

    subject_type: str
    subject_id: str
    subjects: Mapping[str, str]
    label: str
    outcome: str
    filename: str
    documents: Sequence[FiledDocument]


@dataclass(frozen=True)
class EvidenceTools:
    """What an export needs besides the log: the seal for the summary, its retention, the store's lock facts."""

    writer: HtmlPageWriter
    seal: Callable[[bytes], bytes]
    retention: Retention
    lock_facts: Callable[[StoredBlob], dict[str, Any]]
    extra_files: Sequence[tuple[str, bytes]]


@dataclass(frozen=True)
class EvidencePlan:
    """Everything the streamed export needs once the request's session is closed."""

    filename: str
    evidence: SubjectEvidence
    documents: tuple[FiledDocument, ...]
    summary: bytes
    exported_at: datetime


def safe_name(name: str) -> str:
    """Return ``name`` reduced to the characters a bundle file name may hold."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:100] or "document"


def plan_export(
    actor: Actor,
    subject: ExportSubject,
    *,
    audit: AuditService,
    trail: AuditTrail,
    log: SubjectLog,
    blobs: BlobStore,
    tools: EvidenceTools,
    certificate: x509.Certificate,
    now: datetime,
) -> EvidencePlan:
    """Write and file the summary, record the export, sign a tree head over it, prove the subject's events."""
    head = audit.latest_head_seq()
    before = log.subject_events(subject.subject_type, subject.subject_id, head) if head else []
    if not before:
        raise NotFound(f"Nothing is recorded for {subject.subject_type} '{subject.subject_id}'.")
    fingerprint = certificate_fingerprint(certificate)
    listed = [SummaryDocument(d.label, d.blob.sha256) for d in subject.documents]
    context = summary_context(
        subject_label=subject.label,
        outcome=subject.outcome,
        events=before,
        documents=listed,
        fingerprint=fingerprint,
        tree_size=head,
        exported_at=now,
    )
    identifier = hashlib.sha256(canonical_json([subject.subject_type, subject.subject_id, head])).digest()[:16]
    summary = tools.seal(render_summary(tools.writer, context, identifier=identifier))
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    filed = blobs.put(
        f"evidence/{safe_name(subject.subject_type)}/{safe_name(subject.subject_id)}/{stamp}-summary.pdf",
        summary,
        content_type="application/pdf",
        retention=tools.retention,
    )
    trail.record(
        actor,
        "evidence.exported",
        subject.subjects,
        payload={
            "subject": {"type": subject.subject_type, "id": subject.subject_id},
            "filename": subject.filename,
            "documents": [{"name": d.name, "sha256": d.blob.sha256} for d in subject.documents],
            "summary": {"key": filed.key, "version_id": filed.version_id, "sha256": filed.sha256},
            "retention_mode": tools.retention.mode,
            "retain_until": tools.retention.retain_until.isoformat(),
        },
        document_sha256=filed.sha256,
    )
    fresh = audit.checkpoint(actor)
    assert fresh is not None
    previous = _previous_head(audit, fresh.signed)
    size = fresh.seq
    events = log.subject_events(subject.subject_type, subject.subject_id, size)
    if previous is not None:
        # The event that filed the previous head: it names no client, and proves that head's object was chained.
        filing = log.subject_events(CHECKPOINT_SUBJECT, checkpoint_object_sha256(previous), size)
        events = sorted([*events, *filing], key=lambda pair: pair[0].seq)
    proven = [ProvenEvent(event, payload, log.inclusion(event.seq, size)) for event, payload in events]
    consistency = log.consistency(previous.statement.seq, size) if previous is not None else []
    storage = {
        "objects": [
            {"name": f"documents/{d.name}", **tools.lock_facts(d.blob)}
            for d in (*subject.documents, FiledDocument(SUMMARY_NAME, "Evidence summary", filed))
        ]
    }
    evidence = SubjectEvidence(
        subject_type=subject.subject_type,
        subject_id=subject.subject_id,
        events=proven,
        head=fresh.signed,
        previous=previous,
        consistency=consistency,
        certificate=certificate,
        extra_files=(*tools.extra_files, ("storage.json", canonical_json(storage) + b"\n")),
        exported_at=now,
    )
    return EvidencePlan(
        filename=subject.filename,
        evidence=evidence,
        documents=tuple(subject.documents),
        summary=summary,
        exported_at=now,
    )


def _previous_head(audit: AuditService, fresh: SignedCheckpoint) -> SignedCheckpoint | None:
    """Return the newest trusted signed tree head before ``fresh`` (the one an earlier export may hold)."""
    good, _other, _problems = audit.trusted_checkpoints()
    older = [c for c in good if c.statement.root is not None and c.statement.seq < fresh.statement.seq]
    return max(older, key=lambda c: (c.statement.seq, c.statement.at), default=None)


def stream_bundle(plan: EvidencePlan, blobs: BlobStore) -> Iterator[bytes]:
    """Yield the zip of ``plan``, reading each document from the store as its turn comes."""

    def documents() -> Iterator[tuple[str, bytes]]:
        for doc in plan.documents:
            yield doc.name, blobs.get(doc.blob.key, doc.blob.version_id)
        yield SUMMARY_NAME, plan.summary

    entries = subject_bundle_entries(plan.evidence, documents())
    yield from write_bundle(entries, modified_at=plan.exported_at)
