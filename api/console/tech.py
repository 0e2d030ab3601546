"""The technician pages: decline-of-service letters, and the risk register with its actions.

"The client declined a recommendation": pick the risk from the catalogue, fill the letter, send it to
the client's approver. The register shows review dates, with renew, revoke and remediate.

The letter is a ``DocumentService.create`` of ``waivers/decline-of-service`` followed by an
``EnvelopeService.create``, exactly the two API calls a technician makes with ``curl``; the register
entry is created and moved by the same listeners. The letter's client signer is the approver it
names, and the MSP's signer is the requesting technician.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.views import redraw_refused, render, schema_form_for
from api.console.wording import status_words
from api.deps import (
    ClientServiceDep,
    ConsoleForm,
    ConsoleRiskWriter,
    ConsoleUser,
    ConsoleWaiverSender,
    DocumentServiceDep,
    EnvelopeServiceDep,
    RiskServiceDep,
    RuntimeDep,
    SessionDep,
    TemplateCatalogDep,
)
from domain.envelopes import SignerRole, SignerSpec
from domain.errors import FieldError, InvalidInput, UndersignError
from domain.risks import WAIVER_TEMPLATE, RiskStatus
from domain.schema_form import read_form
from domain.text import text_problem
from services.envelopes import EnvelopeRequest

router = APIRouter(prefix="/tech", include_in_schema=False)

# Set by the page, not typed: the risk is picked from the catalogue first, a new record is version 1,
# and counsel review is the MSP's legal setting.
FIXED = frozenset({"risk", "record_version", "counsel_reviewed"})
# A first review date well inside the register's 12-month limit.
DEFAULT_REVIEW_DAYS = 180
REASON_LIMIT = 2000


def _catalogue(catalog: Any) -> dict[str, Any]:
    risks: dict[str, Any] = catalog.get(WAIVER_TEMPLATE).data.get("catalogue", {}).get("risks", {})
    return risks


@router.get("", response_class=HTMLResponse)
def register(
    request: Request,
    user: ConsoleUser,
    risks: RiskServiceDep,
    clients: ClientServiceDep,
    client_id: Annotated[str | None, Query(max_length=36)] = None,
    state: Annotated[str | None, Query(max_length=20, alias="status")] = None,
) -> Response:
    """The risk register, soonest review first, filtered by client and status."""
    entries = risks.search(client_id=client_id or None, status=state or None, limit=500)
    names = {c: clients.get(c).legal_name for c in {e.client_id for e in entries}}
    return render(
        request,
        "tech/home.html",
        user,
        entries=entries,
        names=names,
        client=clients.get(client_id) if client_id else None,
        state=state or "",
        statuses=[s.value for s in RiskStatus],
        status_words=status_words,
        clients=clients.search(None, 200, None).items,
    )


@router.get("/letters/new", response_class=HTMLResponse)
def new_letter(
    request: Request,
    user: ConsoleUser,
    catalog: TemplateCatalogDep,
    clients: ClientServiceDep,
    risks: RiskServiceDep,
    runtime: RuntimeDep,
    client_id: Annotated[str | None, Query(max_length=36)] = None,
    risk: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """Pick the client and the declined recommendation, then fill the letter."""
    catalogue = _catalogue(catalog)
    if not client_id or risk not in catalogue:
        return render(
            request,
            "tech/pick.html",
            user,
            clients=clients.search(None, 200, None).items,
            catalogue=catalogue,
            client_id=client_id or "",
        )
    client = clients.get(client_id)
    today = runtime.clock.now().date()
    values = {
        "record_id": _next_record_id(risks, today),
        "date_first_recommended": today.isoformat(),
        "review_date": (today + timedelta(days=DEFAULT_REVIEW_DAYS)).isoformat(),
        "approver.name": client.primary_contact.name,
        "approver.title": client.primary_contact.title,
        "approver.email": client.primary_contact.email,
        "requesting_technician.name": getattr(user, "display_name", "") or "",
        "requesting_technician.title": getattr(user, "title", "") or "",
        "requesting_technician.email": getattr(user, "email", "") or "",
    }
    return _letter_form(request, user, catalog, client, risk, values)


def _next_record_id(risks: Any, today: date) -> str:
    """Suggest the next free record id of this year (RA-YYYY-NNNN); the person may change it."""
    prefix = f"RA-{today.year}-"
    numbers = [int(e.record_id[len(prefix) :]) for e in risks.search(limit=1000) if e.record_id.startswith(prefix)]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def _letter_form(
    request: Request,
    user: Any,
    catalog: Any,
    client: Any,
    risk: str,
    values: dict[str, str],
    problems: dict[str, str] | None = None,
    *,
    status_code: int = 200,
    message: str | None = None,
) -> Response:
    manifest = catalog.get(WAIVER_TEMPLATE)
    return render(
        request,
        "tech/letter.html",
        user,
        status_code=status_code,
        client=client,
        risk=_catalogue(catalog)[risk],
        manifest=manifest,
        form=schema_form_for(manifest, FIXED),
        values=values,
        problems=problems or {},
        message=message,
    )


@router.post("/letters", response_class=HTMLResponse)
def send_letter(
    request: Request,
    user: ConsoleWaiverSender,
    form: ConsoleForm,
    catalog: TemplateCatalogDep,
    clients: ClientServiceDep,
    documents: DocumentServiceDep,
    envelopes: EnvelopeServiceDep,
    session: SessionDep,
) -> Response:
    """File the letter (version 1 of a new record) and send it to the approver, then to the technician."""
    risk = form.get("risk", "")
    if risk not in _catalogue(catalog):
        raise InvalidInput("Pick the declined recommendation from the list.", errors=[FieldError("/risk", "unknown")])
    client = clients.get(form.get("client_id", ""))
    manifest = catalog.get(WAIVER_TEMPLATE)
    answers = read_form(schema_form_for(manifest, FIXED).items, form)
    variables = {**answers.variables, "risk": risk, "record_version": 1}
    problems = {p.pointer: p.reason for p in answers.problems}
    for pointer, value in (
        ("/approver/email", variables.get("approver", {}).get("email")),
        ("/requesting_technician/email", variables.get("requesting_technician", {}).get("email")),
    ):
        if not value:
            problems.setdefault(pointer, "is needed to send the letter for signature")
    try:
        if problems:
            raise InvalidInput("Some answers need changing before the letter can be sent.")
        document, version = documents.create(user, WAIVER_TEMPLATE, client.id, variables, ["pdf"])
        approver, technician = variables["approver"], variables["requesting_technician"]
        envelope = envelopes.create(
            user,
            EnvelopeRequest(
                document_id=document.id,
                version=version.version,
                signers=[
                    SignerSpec(
                        name=approver["name"],
                        title=approver.get("title", ""),
                        email=approver["email"],
                        role=SignerRole.CLIENT,
                        order=1,
                    ),
                    SignerSpec(
                        name=technician["name"],
                        title=technician.get("title", ""),
                        email=technician["email"],
                        role=SignerRole.MSP,
                        order=2,
                    ),
                ],
            ),
        )
    except UndersignError as exc:
        # Neither the letter nor its register entry is kept.
        redraw = partial(_letter_form, request, user, catalog, client, risk, form)
        pointers = {e.pointer.removeprefix("/variables"): e.reason for e in exc.errors}
        return redraw_refused(session, exc, redraw, problems=problems or pointers)
    return RedirectResponse(f"/console/sales/envelopes/{envelope.id}", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/risks/{risk_id}", response_class=HTMLResponse)
def risk_page(
    request: Request, risk_id: str, user: ConsoleUser, risks: RiskServiceDep, clients: ClientServiceDep
) -> Response:
    """One register entry: its letters, its history and the actions its status allows."""
    return _risk_page(request, user, risks.get(risk_id), clients)


def _risk_page(
    request: Request,
    user: Any,
    entry: Any,
    clients: Any,
    *,
    status_code: int = 200,
    problems: dict[str, str] | None = None,
    message: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "tech/risk.html",
        user,
        status_code=status_code,
        entry=entry,
        client=clients.get(entry.client_id),
        can={s.value: entry.can_move(s) for s in RiskStatus},
        status_words=status_words,
        problems=problems or {},
        message=message,
        values=values or {},
    )


def _reason(form: dict[str, str]) -> str:
    reason = form.get("reason", "").strip()
    problem = "is required" if not reason else text_problem(reason, multi_line=True)
    if problem is None and len(reason) > REASON_LIMIT:
        problem = f"at most {REASON_LIMIT} characters"
    if problem is not None:
        raise InvalidInput("Say why, in a sentence or two.", errors=[FieldError("reason", problem)])
    return reason


@router.post("/risks/{risk_id}/{action}", response_class=HTMLResponse)
def change_risk(
    request: Request,
    risk_id: str,
    action: str,
    user: ConsoleRiskWriter,
    form: ConsoleForm,
    risks: RiskServiceDep,
    clients: ClientServiceDep,
    documents: DocumentServiceDep,
    session: SessionDep,
) -> Response:
    """Renew (a new letter version with a new review date), revoke or remediate an entry."""
    try:
        if action == "revoke":
            risks.revoke(user, risk_id, _reason(form))
        elif action == "remediate":
            risks.remediate(user, risk_id, _reason(form))
        elif action == "renew":
            try:
                review_on = date.fromisoformat(form.get("review_on", ""))
            except ValueError as exc:
                raise InvalidInput(
                    "Give the new review date.", errors=[FieldError("review_on", "a date (YYYY-MM-DD)")]
                ) from exc
            entry, variables = risks.renewal_variables(risk_id, review_on)
            document, version = documents.create(user, WAIVER_TEMPLATE, entry.client_id, variables, ["pdf"])
            risks.renew(user, risk_id, review_on, document.id, version.version)
        else:
            raise InvalidInput("Unknown action.", errors=[FieldError("action", "renew, revoke or remediate")])
    except UndersignError as exc:
        problems = {e.pointer.strip("/"): e.reason for e in exc.errors}

        # The entry is read again after the rollback: the page shows it as stored, not as half-changed.
        def redraw(**page: Any) -> Response:
            return _risk_page(request, user, risks.get(risk_id), clients, **page)

        return redraw_refused(session, exc, redraw, keep=(409, 422), problems=problems, values=form)
    return RedirectResponse(f"/console/tech/risks/{risk_id}", status_code=status.HTTP_303_SEE_OTHER)
