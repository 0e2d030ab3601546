"""``/v1/evidence``: evidence bundles an outsider can verify with tools/verify_audit_chain.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from api.deps import EvidenceExporterDep, ReaderDep

router = APIRouter(prefix="/v1/evidence", tags=["evidence"])


def _zip(exporter: EvidenceExporterDep, plan_filename: str, body: object) -> StreamingResponse:
    return StreamingResponse(
        body,  # type: ignore[arg-type]
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{plan_filename}"'},
    )


@router.get("/{envelope_id}.zip", response_class=StreamingResponse)
def envelope_bundle(envelope_id: str, actor: ReaderDep, exporter: EvidenceExporterDep) -> StreamingResponse:
    """The evidence bundle of one signed envelope: sealed PDF, audit chain, signed checkpoints, manifest, README."""
    plan = exporter.plan(actor, envelope_id=envelope_id)
    return _zip(exporter, plan.filename, exporter.stream(plan))


@router.get("", response_class=StreamingResponse)
def client_bundle(
    actor: ReaderDep, exporter: EvidenceExporterDep, client_id: Annotated[str, Query(min_length=1, max_length=36)]
) -> StreamingResponse:
    """The evidence bundle of every signed document of a client."""
    plan = exporter.plan(actor, client_id=client_id)
    return _zip(exporter, plan.filename, exporter.stream(plan))
