"""The auditor pages: event search, chain verification, documents and sealed copies, evidence bundles.

Read-only. A document's versions are listed with their hashes and sealed copies; bundles download in one click.

Every page here takes ``ConsoleUser``: an auditor's read is recorded in the audit chain
(``auditor.read``) exactly as ``/v1`` records it, and there is no write route in this module. The
bundles are ``EvidenceExporter`` bundles, the same files ``/v1/evidence`` returns, which
``tools/verify_audit_chain.py`` checks without undersign.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from api.console.views import render
from api.console.wording import event_words, status_words
from api.deps import (
    AuditServiceDep,
    ClientServiceDep,
    ConsoleUser,
    DocumentServiceDep,
    EnvelopeServiceDep,
    EvidenceExporterDep,
)
from domain.audit_log import EventFilter
from domain.documents import DocumentFilter
from domain.envelopes import EnvelopeFilter
from domain.errors import FieldError, InvalidInput

router = APIRouter(prefix="/audit", include_in_schema=False)
PAGE = 50


def _day(value: date | None, *, end: bool = False) -> datetime | None:
    if value is None:
        return None
    moment = datetime.combine(value, time.min, tzinfo=UTC)
    return moment + timedelta(days=1) if end else moment


@router.get("", response_class=HTMLResponse)
def events(
    request: Request,
    user: ConsoleUser,
    audit: AuditServiceDep,
    subject: Annotated[str | None, Query(max_length=250)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    since: Annotated[date | None, Query(alias="from")] = None,
    until: Annotated[date | None, Query(alias="to")] = None,
    before: Annotated[int | None, Query(ge=1, lt=2**63)] = None,
) -> Response:
    """Search the audit events, newest first (days are whole UTC days, both included)."""
    if since and until and until < since:
        raise InvalidInput("The end day is before the start day.", errors=[FieldError("query:to", "before from")])
    kind, _, ident = (subject or "").strip().partition(":")
    subject_type, subject_id = (kind, ident) if ident and kind.replace("_", "").isalnum() else (None, subject or None)
    page = audit.search(
        EventFilter(
            subject_type=subject_type,
            subject_id=(subject_id or "").strip() or None,
            actor=(actor or "").strip() or None,
            action=(action or "").strip() or None,
            since=_day(since),
            until=_day(until, end=True),
            before_seq=before,
        ),
        PAGE,
    )
    query = {"subject": subject or "", "actor": actor or "", "action": action or ""}
    query |= {"from": since.isoformat() if since else "", "to": until.isoformat() if until else ""}
    name = "audit/_events.html" if request.headers.get("hx-request") else "audit/home.html"
    return render(request, name, user, page=page, query=query)


@router.get("/verify", response_class=HTMLResponse)
def verify(request: Request, user: ConsoleUser, audit: AuditServiceDep) -> Response:
    """Verify the whole chain against the signed checkpoints and say what was found."""
    result = audit.verify()
    name = "audit/_verdict.html" if request.headers.get("hx-request") else "audit/verify.html"
    return render(request, name, user, result=result)


@router.get("/documents", response_class=HTMLResponse)
def documents_page(
    request: Request,
    user: ConsoleUser,
    clients: ClientServiceDep,
    documents: DocumentServiceDep,
    client_id: Annotated[str | None, Query(max_length=36)] = None,
) -> Response:
    """Pick a client, then see its documents."""
    client = clients.get(client_id) if client_id else None
    found = documents.search(DocumentFilter(client_id=client_id), 100, None).items if client else []
    return render(
        request,
        "audit/documents.html",
        user,
        clients=clients.search(None, 200, None).items,
        client=client,
        documents=found,
    )


@router.get("/documents/{document_id}", response_class=HTMLResponse)
def document_page(
    request: Request,
    document_id: str,
    user: ConsoleUser,
    documents: DocumentServiceDep,
    envelopes: EnvelopeServiceDep,
    clients: ClientServiceDep,
) -> Response:
    """A document's versions (with their hashes) and its envelopes' sealed copies and evidence bundles."""
    document = documents.get(document_id)
    client = clients.get(document.client_id)
    sent = [e for e in envelopes.search(EnvelopeFilter(client_id=client.id), 200) if e.document_id == document_id]
    return render(
        request,
        "audit/document.html",
        user,
        document=document,
        client=client,
        envelopes=sent,
        status_words=status_words,
        event_words=event_words,
    )


@router.get("/evidence/{kind}/{subject_id}.zip", response_class=StreamingResponse)
def evidence_bundle(
    kind: Literal["envelope", "client", "risk"],
    subject_id: str,
    user: ConsoleUser,
    exporter: EvidenceExporterDep,
) -> StreamingResponse:
    """The evidence bundle of an envelope, a client or a risk record (verifiable without undersign)."""
    plan = exporter.plan(user, kind, subject_id)
    return StreamingResponse(
        exporter.stream(plan),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{plan.filename}"'},
    )
