"""``/v1/evidence``: per-subject evidence bundles an outsider can verify with tools/verify_audit_chain.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from api.deps import EvidenceExporterDep, ReaderDep
from services.evidence import EvidencePlan

router = APIRouter(prefix="/v1/evidence", tags=["evidence"])


def _zip(exporter: EvidenceExporterDep, plan: EvidencePlan) -> StreamingResponse:
    return StreamingResponse(
        exporter.stream(plan),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{plan.filename}"'},
    )


@router.get("/{envelope_id}.zip", response_class=StreamingResponse)
def envelope_bundle(envelope_id: str, actor: ReaderDep, exporter: EvidenceExporterDep) -> StreamingResponse:
    """The evidence bundle of one envelope, signed or not (a refusal is evidence): its events, proofs, documents."""
    return _zip(exporter, exporter.plan(actor, "envelope", envelope_id))


@router.get("/risks/{risk_id}.zip", response_class=StreamingResponse)
def risk_bundle(risk_id: str, actor: ReaderDep, exporter: EvidenceExporterDep) -> StreamingResponse:
    """The evidence bundle of one risk record: its events with their details, and their proofs."""
    return _zip(exporter, exporter.plan(actor, "risk", risk_id))


@router.get("", response_class=StreamingResponse)
def client_bundle(
    actor: ReaderDep, exporter: EvidenceExporterDep, client_id: Annotated[str, Query(min_length=1, max_length=36)]
) -> StreamingResponse:
    """The evidence bundle of a client: only that client's events, with proofs, and its signed documents."""
    return _zip(exporter, exporter.plan(actor, "client", client_id))
