"""Evidence exports: planned in the caller's unit of work, the zip streamed afterwards from one of its own.

Builds the subject (an envelope, a client or a risk record) with its documents, the summary's seal
(the service key, with the TSA when one is configured) and the retention of filed exports.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cryptography.hazmat.primitives import serialization
from sqlalchemy.orm import Session

from domain.actor import Actor
from domain.audit_log import EventFilter
from domain.blobs import Retention, StoredBlob
from domain.calendar_years import add_years
from domain.envelopes import CONSENT_DISCLOSURES, EnvelopeStatus
from domain.errors import NotFound
from services.evidence import (
    EvidencePlan,
    EvidenceTools,
    ExportSubject,
    FiledDocument,
    plan_export,
    safe_name,
    stream_bundle,
)
from storage.audit_trail import SqlAuditTrail
from storage.envelope_repository import SqlEnvelopeRepository
from storage.evidence_queries import SqlSubjectLog, signed_for_client
from storage.risk_repository import SqlRiskRepository
from storage.signed_document_repository import SqlSignedDocumentRepository
from undersign.runtime import Runtime
from undersign.service_factory import ServiceFactory

_OUTCOMES = {
    EnvelopeStatus.SENT: "waiting for signatures",
    EnvelopeStatus.COMPLETING: "signed by everyone, being sealed",
    EnvelopeStatus.COMPLETED: "signed by everyone",
    EnvelopeStatus.DECLINED: "refused to sign",
    EnvelopeStatus.VOIDED: "withdrawn by the sender",
    EnvelopeStatus.EXPIRED: "expired unsigned",
}


class EvidenceExporter:
    """Plans exports in the request's session and streams them afterwards."""

    def __init__(self, session: Session, runtime: Runtime) -> None:
        self._session = session
        self._runtime = runtime
        self._kit = runtime.kit
        self._seal = runtime.evidence_seal

    def plan(self, actor: Actor, subject_type: str, subject_id: str) -> EvidencePlan:
        """Record the export and sign a tree head; return what the bundle will hold."""
        runtime = self._runtime
        now = runtime.clock.now()
        subject = self._subject(subject_type, subject_id)
        kit = self._kit
        store = runtime.blob_store
        pki = [("pki/service-chain.pem", b"".join(c.public_bytes(serialization.Encoding.PEM) for c in kit.key.chain))]
        if kit.tsa_roots:
            pki.append(
                ("pki/tsa-roots.pem", b"".join(c.public_bytes(serialization.Encoding.PEM) for c in kit.tsa_roots))
            )
        disclosures = [(f"disclosure/{safe_name(v)}.txt", text.encode()) for v, text in CONSENT_DISCLOSURES.items()]
        tools = EvidenceTools(
            writer=self._seal.writer,
            seal=lambda pdf: self._seal.seal(f"{subject_type}:{subject_id}", pdf, now),
            retention=Retention(
                mode=runtime.settings.s3.retention_mode,
                retain_until=add_years(now, runtime.settings.audit.checkpoint_retention_years),
            ),
            lock_facts=lambda blob: _lock_facts(store, blob),
            extra_files=(*pki, *disclosures),
        )
        return plan_export(
            actor,
            subject,
            audit=ServiceFactory(self._session, runtime).audit(),
            trail=SqlAuditTrail(self._session, runtime.clock),
            log=SqlSubjectLog(self._session),
            blobs=store,
            tools=tools,
            certificate=runtime.service_key.certificate,
            now=now,
        )

    def _subject(self, subject_type: str, subject_id: str) -> ExportSubject:
        session = self._session
        if subject_type == "envelope":
            envelope = SqlEnvelopeRepository(session).get(subject_id)
            if envelope is None:
                raise NotFound(f"No envelope with id '{subject_id}'.")
            sealed = SqlSignedDocumentRepository(session).by_envelope(subject_id)
            if sealed is not None:
                doc = FiledDocument(f"{safe_name(subject_id)}-sealed.pdf", f"{envelope.title} (signed)", sealed.sealed)
            else:
                as_sent = StoredBlob(
                    bucket="", key=envelope.sent_key, version_id=envelope.sent_version_id,
                    sha256=envelope.sent_sha256, size=0,
                )  # fmt: skip
                doc = FiledDocument(f"{safe_name(subject_id)}-as-sent.pdf", f"{envelope.title} (as sent)", as_sent)
            refusals = SqlAuditTrail(session, self._runtime.clock).find(
                EventFilter(subject_type="envelope", subject_id=subject_id, action="envelope.refusal_filed"), 10
            )
            filed = tuple(
                FiledDocument(
                    f"{safe_name(subject_id)}-refusal-record-{n}.pdf",
                    "Refusal record (sealed when the signer declined)",
                    StoredBlob(bucket="", key=p["key"], version_id=p["version_id"], sha256=p["sha256"], size=0),
                )
                for n, (_event, p) in enumerate(reversed(refusals), start=1)
                if p is not None
            )
            return ExportSubject(
                subject_type="envelope",
                subject_id=subject_id,
                subjects={"envelope": subject_id, "client": envelope.client_id},
                label=f'"{envelope.title}" (version {envelope.version}), envelope {subject_id}',
                outcome=_OUTCOMES.get(envelope.status, envelope.status.value),
                filename=f"evidence-{safe_name(subject_id)}.zip",
                documents=(doc, *filed),
            )
        if subject_type == "risk":
            entry = SqlRiskRepository(session).get(subject_id)
            if entry is None:
                raise NotFound(f"No risk record with id '{subject_id}'.")
            return ExportSubject(
                subject_type="risk",
                subject_id=subject_id,
                subjects={"risk": subject_id, "client": entry.client_id},
                label=f"Risk record {subject_id}",
                outcome=entry.status.value.replace("_", " ").replace("-", " "),
                filename=f"evidence-risk-{safe_name(subject_id)}.zip",
                documents=(),
            )
        signed = signed_for_client(session, subject_id)
        return ExportSubject(
            subject_type="client",
            subject_id=subject_id,
            subjects={"client": subject_id},
            label=f"Client {subject_id}",
            outcome=f"{len(signed)} signed document(s)",
            filename=f"evidence-client-{safe_name(subject_id)}.zip",
            documents=tuple(
                FiledDocument(f"{safe_name(s.envelope_id)}-sealed.pdf", f"Envelope {s.envelope_id} (signed)", s.sealed)
                for s in signed
            ),
        )

    def stream(self, plan: EvidencePlan) -> Iterator[bytes]:
        """Yield the zip bytes (documents are read from the store one at a time)."""
        return stream_bundle(plan, self._runtime.blob_store)


def _lock_facts(store: Any, blob: StoredBlob) -> dict[str, Any]:
    """Return the Object Lock facts the store reports for ``blob`` (mode, retain-until, legal hold, version)."""
    info = store.head(blob.key, blob.version_id)
    return {
        "bucket": blob.bucket or getattr(store, "bucket", ""),
        "key": blob.key,
        "version_id": info.version_id,
        "sha256": info.sha256,
        "retention_mode": info.retention_mode,
        "retain_until": info.retain_until.isoformat() if info.retain_until else None,
        "legal_hold": info.legal_hold,
    }
