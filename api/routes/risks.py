"""``/v1/risks``: the risk register (entries, whole history, transitions) and the client risk report."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from api.deps import ClientServiceDep, DocumentServiceDep, ReaderDep, RiskServiceDep, RiskWriterDep, RuntimeDep
from domain.assembly.paper import paper_for
from domain.risk_report import render_report
from domain.risks import WAIVER_TEMPLATE, Approver, RiskEntry
from domain.text import LongText

router = APIRouter(tags=["risks"])


class ReasonIn(BaseModel):
    """Why a record is revoked or remediated."""

    model_config = ConfigDict(extra="forbid")
    reason: Annotated[LongText, Field(min_length=1, max_length=2000)]


class RenewIn(BaseModel):
    """The new review date of a renewed record (a new letter version is printed for signature)."""

    model_config = ConfigDict(extra="forbid")
    review_on: date


class ApproverIn(BaseModel):
    """The client's representative who is to accept the risk instead of the one the letter names."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120, pattern=r"^[^\r\n]*\S[^\r\n]*$")
    title: str = Field(min_length=1, max_length=120, pattern=r"^[^\r\n]*$")
    email: EmailStr | None = None
    reason: str = Field(min_length=1, max_length=2000)


def entry_out(entry: RiskEntry, *, full: bool = False) -> dict[str, Any]:
    """Return a register entry as JSON (with letters and history when ``full``)."""
    out: dict[str, Any] = {
        "id": entry.id,
        "record_id": entry.record_id,
        "client_id": entry.client_id,
        "risk": entry.risk,
        "title": entry.title,
        "status": entry.status.value,
        "recommended_control": entry.recommended_control,
        "date_first_recommended": entry.date_first_recommended.isoformat(),
        "consequences": list(entry.consequences),
        "approver": {
            "name": entry.approver_name,
            "title": entry.approver_title,
            "email": entry.approver_email,
            "authority": entry.authority,
        },
        "accepted_at": entry.accepted_at.isoformat() if entry.accepted_at else None,
        "refused_at": entry.refused_at.isoformat() if entry.refused_at else None,
        "review_on": entry.review_on.isoformat(),
        "envelope_id": entry.envelope_id,
        "signers": list(entry.signers),
    }
    if full:
        out["documents"] = [
            {"document_id": d.document_id, "version": d.version, "record_version": d.record_version}
            for d in entry.documents
        ]
        out["history"] = [
            {
                "from": t.from_status.value if t.from_status else None,
                "to": t.to_status.value,
                "at": t.at.isoformat(),
                "actor": t.actor,
                "reason": t.reason,
                "envelope_id": t.envelope_id,
                "document_id": t.document_id,
                "version": t.version,
            }
            for t in entry.history
        ]
    return out


@router.get("/v1/risks")
def list_risks(
    _actor: ReaderDep,
    service: RiskServiceDep,
    client_id: Annotated[str | None, Query(max_length=36)] = None,
    risk: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    review_before: Annotated[date | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """List register entries, soonest review first."""
    entries = service.search(client_id=client_id, risk=risk, status=status, review_before=review_before, limit=limit)
    return {"items": [entry_out(e) for e in entries]}


@router.get("/v1/risks/{risk_id}")
def get_risk(risk_id: str, _actor: ReaderDep, service: RiskServiceDep) -> dict[str, Any]:
    """Return one entry with its letter versions and its whole history."""
    return entry_out(service.get(risk_id), full=True)


@router.post("/v1/risks/{risk_id}/revoke")
def revoke_risk(risk_id: str, body: ReasonIn, actor: RiskWriterDep, service: RiskServiceDep) -> dict[str, Any]:
    """The acceptance is withdrawn; final."""
    return entry_out(service.revoke(actor, risk_id, body.reason), full=True)


@router.post("/v1/risks/{risk_id}/remediate")
def remediate_risk(risk_id: str, body: ReasonIn, actor: RiskWriterDep, service: RiskServiceDep) -> dict[str, Any]:
    """The recommended control is in place; final."""
    return entry_out(service.remediate(actor, risk_id, body.reason), full=True)


@router.post("/v1/risks/{risk_id}/renew")
def renew_risk(
    risk_id: str, body: RenewIn, actor: RiskWriterDep, service: RiskServiceDep, documents: DocumentServiceDep
) -> dict[str, Any]:
    """Print the next letter version (record version + 1, new review date) and mark the record renewed."""
    entry, variables = service.renewal_variables(risk_id, body.review_on)
    document, version = documents.create(actor, WAIVER_TEMPLATE, entry.client_id, variables, ["pdf"])
    return entry_out(service.renew(actor, risk_id, body.review_on, document.id, version.version), full=True)


@router.post("/v1/risks/{risk_id}/approver")
def reassign_approver(
    risk_id: str, body: ApproverIn, actor: RiskWriterDep, service: RiskServiceDep, documents: DocumentServiceDep
) -> dict[str, Any]:
    """Name another approver: a new letter version naming them is printed; only they can sign it."""
    approver = Approver(name=" ".join(body.name.split()), title=body.title.strip(), email=body.email)
    entry, variables = service.reassignment_variables(risk_id, approver)
    document, version = documents.create(actor, WAIVER_TEMPLATE, entry.client_id, variables, ["pdf"])
    reassigned = service.reassign_approver(actor, risk_id, approver, body.reason, document.id, version.version)
    return entry_out(reassigned, full=True)


@router.get("/v1/clients/{client_id}/risk-report.pdf", response_class=Response)
def risk_report(
    client_id: str, _actor: ReaderDep, service: RiskServiceDep, clients: ClientServiceDep, runtime: RuntimeDep
) -> Response:
    """The client's accepted and refused risks with dates and signers, and a chart of open accepted risks."""
    client = clients.get(client_id)
    pdf = render_report(
        client.legal_name,
        service.for_report(client_id),
        runtime.clock.now(),
        msp_name=runtime.branding.msp_name,
        msp_address=runtime.branding.address,
        paper=paper_for(client.jurisdiction, runtime.branding.paper),
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="risk-report-{client_id}.pdf"'},
    )
