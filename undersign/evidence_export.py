"""Evidence exports: planned in the request's unit of work, streamed afterwards from one of their own."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session

from domain.actor import Actor
from domain.audit import AuditEvent
from services.evidence import EvidencePlan, plan_export, stream_bundle
from storage.audit_trail import SqlAuditTrail
from storage.database import unit_of_work
from storage.evidence_queries import signed_for_client
from storage.signed_document_repository import SqlSignedDocumentRepository
from undersign.runtime import Runtime
from undersign.service_factory import ServiceFactory


class EvidenceExporter:
    """Plans exports in the caller's session and streams them afterwards."""

    def __init__(self, session: Session, runtime: Runtime) -> None:
        self._session = session
        self._runtime = runtime

    def plan(self, actor: Actor, *, envelope_id: str | None = None, client_id: str | None = None) -> EvidencePlan:
        """Record the export and sign a checkpoint; return what the bundle will hold."""
        if envelope_id is not None:
            one = SqlSignedDocumentRepository(self._session).by_envelope(envelope_id)
            signed = [one] if one is not None else []
            subjects = {"envelope": envelope_id, **({"client": one.client_id} if one else {})}
            filename = f"evidence-{envelope_id}.zip"
        elif client_id is not None:
            signed = signed_for_client(self._session, client_id)
            subjects = {"client": client_id}
            filename = f"evidence-client-{client_id}.zip"
        else:
            raise ValueError("an export names an envelope or a client")
        runtime = self._runtime
        return plan_export(
            actor,
            audit=ServiceFactory(self._session, runtime).audit(),
            trail=SqlAuditTrail(self._session, runtime.clock),
            signed=signed,
            subjects=subjects,
            filename=filename,
            certificate=runtime.service_key.certificate,
            now=runtime.clock.now(),
        )

    def stream(self, plan: EvidencePlan) -> Iterator[bytes]:
        """Yield the zip bytes, reading events from a new unit of work (the request's is closed by then)."""
        runtime = self._runtime

        def events(up_to_seq: int) -> Iterator[AuditEvent]:
            with unit_of_work(runtime.sessions) as session:
                yield from SqlAuditTrail(session, runtime.clock).stream(up_to_seq=up_to_seq)

        return stream_bundle(plan, events, runtime.blob_store)
