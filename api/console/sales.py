"""The sales pages: clients, a new contract with its preview, versions and redline, sending, following.

Clients are searched, created and edited; a contract's form is generated from its template's schema
and previewed live; versions are compared (the redline); a version is sent and its envelope followed.

Every page calls the same services as ``/v1`` (``ClientService``, ``DocumentService``,
``EnvelopeService``), so a console write is checked, audited and refused exactly like an API call.
A write route names its permission (``Console...Dep``), so a role that may not write gets 403 from the
server whatever the page showed. A refused form comes back with its answers and a message per field,
and the unit of work is rolled back, so nothing of it is stored.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.console.views import redraw_refused, render, schema_form_for
from api.console.wording import error_problems, event_words, status_words, validation_problems
from api.deps import (
    ClientServiceDep,
    ConsoleClientWriter,
    ConsoleDocumentWriter,
    ConsoleEnvelopeWriter,
    ConsoleForm,
    ConsoleUser,
    DocumentServiceDep,
    EnvelopeServiceDep,
    SessionDep,
    TemplateCatalogDep,
)
from domain.assembly.variables import validate_variables
from domain.clients import ClientDraft, ClientPatch
from domain.documents import DocumentFilter, FileFormat
from domain.envelopes import EnvelopeFilter, SignerRole, SignerSpec
from domain.errors import FieldError, InvalidInput, UndersignError
from domain.schema_form import form_values, read_form
from services.envelopes import EnvelopeRequest

router = APIRouter(prefix="/sales", include_in_schema=False)

# The templates a sales person starts a contract from, in the order they are usually signed.
CONTRACT_TEMPLATES = ("msa/msa", "msa/sla-schedule", "msa/order")
# Form fields that are not the person's to fill in (the counsel review flag is the MSP's legal setting).
NOT_ASKED = frozenset({"counsel_reviewed"})
CLIENT_FIELDS = ("legal_name", "short_name", "address", "jurisdiction", "billing_email", "notes")
CONTACT_FIELDS = ("name", "title", "email")


def _client_values(form: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {name: form.get(name, "").strip() for name in CLIENT_FIELDS}
    data["primary_contact"] = {n: form.get(f"primary_contact.{n}", "").strip() for n in CONTACT_FIELDS}
    return data


@router.get("", response_class=HTMLResponse)
def home(
    request: Request,
    user: ConsoleUser,
    clients: ClientServiceDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> Response:
    """The client list with a search box; an htmx search swaps only the results."""
    page = clients.search(q, 25, cursor)
    name = "sales/_client_rows.html" if request.headers.get("hx-request") else "sales/home.html"
    return render(request, name, user, page=page, q=q or "")


@router.get("/clients/new", response_class=HTMLResponse)
def new_client(request: Request, user: ConsoleUser) -> Response:
    """The empty client form."""
    return render(request, "sales/client_form.html", user, client=None, values={}, problems={})


@router.post("/clients", response_class=HTMLResponse)
def create_client(
    request: Request, user: ConsoleClientWriter, form: ConsoleForm, clients: ClientServiceDep, session: SessionDep
) -> Response:
    """Create a client; a bad or duplicate entry re-renders the form with what to fix."""
    values = _client_values(form)
    try:
        client = clients.create(user, ClientDraft.model_validate(values))
    except ValidationError as exc:
        return _client_refused(request, user, session, None, form, validation_problems(exc), None)
    except UndersignError as exc:
        return _client_refused(request, user, session, None, form, error_problems(exc), exc.detail)
    return RedirectResponse(f"/console/sales/clients/{client.id}?created=1", status_code=status.HTTP_303_SEE_OTHER)


def _client_refused(
    request: Request,
    user: Any,
    session: Any,
    client: Any,
    form: dict[str, str],
    problems: dict[str, str],
    message: str | None,
) -> Response:
    session.rollback()  # nothing of a refused form is kept
    return render(
        request,
        "sales/client_form.html",
        user,
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        client=client,
        values=form,
        problems=problems,
        message=message or "Some fields need changing before the client can be saved.",
    )


@router.get("/clients/{client_id}", response_class=HTMLResponse)
def client_page(
    request: Request,
    client_id: str,
    user: ConsoleUser,
    clients: ClientServiceDep,
    documents: DocumentServiceDep,
    envelopes: EnvelopeServiceDep,
) -> Response:
    """A client: its details (editable), its documents and its envelopes."""
    client = clients.get(client_id)
    return render(
        request,
        "sales/client.html",
        user,
        client=client,
        values=_stored_client_values(client),
        problems={},
        documents=documents.search(DocumentFilter(client_id=client_id), 50, None).items,
        envelopes=envelopes.search(EnvelopeFilter(client_id=client_id), 50),
        created=request.query_params.get("created") == "1",
        status_words=status_words,
    )


def _stored_client_values(client: Any) -> dict[str, str]:
    values = {name: str(getattr(client, name) or "") for name in CLIENT_FIELDS}
    for name in CONTACT_FIELDS:
        values[f"primary_contact.{name}"] = str(getattr(client.primary_contact, name) or "")
    return values


@router.post("/clients/{client_id}", response_class=HTMLResponse)
def change_client(
    request: Request,
    client_id: str,
    user: ConsoleClientWriter,
    form: ConsoleForm,
    clients: ClientServiceDep,
    session: SessionDep,
) -> Response:
    """Save a client's changed details (every field of the form is sent)."""
    current = clients.get(client_id)
    try:
        clients.change(user, client_id, ClientPatch.model_validate(_client_values(form)))
    except ValidationError as exc:
        return _client_refused(request, user, session, current, form, validation_problems(exc), None)
    except UndersignError as exc:
        return _client_refused(request, user, session, current, form, error_problems(exc), exc.detail)
    return RedirectResponse(f"/console/sales/clients/{client_id}", status_code=status.HTTP_303_SEE_OTHER)


# -- contracts ----------------------------------------------------------------------------------------


@router.get("/contracts/new", response_class=HTMLResponse)
def new_contract(
    request: Request,
    user: ConsoleUser,
    catalog: TemplateCatalogDep,
    clients: ClientServiceDep,
    client_id: Annotated[str, Query(max_length=36)],
    template: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Pick MSA, SLA schedule or Order for a client, then fill the form generated from its schema."""
    client = clients.get(client_id)
    choices = [catalog.get(t) for t in CONTRACT_TEMPLATES]
    if template is None:
        return render(request, "sales/contract_pick.html", user, client=client, choices=choices)
    if template not in CONTRACT_TEMPLATES:
        raise InvalidInput("Pick one of the listed contracts.", errors=[FieldError("query:template", "not offered")])
    return _contract_form(request, user, catalog, client, template, {}, {})


def _contract_form(
    request: Request,
    user: Any,
    catalog: Any,
    client: Any,
    template: str,
    values: dict[str, str],
    problems: dict[str, str],
    *,
    status_code: int = 200,
    message: str | None = None,
    document: Any = None,
) -> Response:
    manifest = catalog.get(template)
    response = render(
        request,
        "sales/contract_form.html",
        user,
        status_code=status_code,
        client=client,
        manifest=manifest,
        form=schema_form_for(manifest, NOT_ASKED),
        values=values,
        problems=problems,
        message=message,
        document=document,
    )
    response.headers["Content-Security-Policy"] += "; frame-src 'self'"
    return response


def _answers(manifest: Any, form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    answers = read_form(schema_form_for(manifest, NOT_ASKED).items, form)
    return answers.variables, {p.pointer: p.reason for p in answers.problems}


def _contract_answers(
    form: dict[str, str], catalog: Any, clients: Any
) -> tuple[Any, Any, dict[str, Any], dict[str, str]]:
    """Return the client, the template and the variables a contract form gives, with reading problems."""
    if form.get("template", "") not in CONTRACT_TEMPLATES:
        raise InvalidInput("Pick one of the listed contracts.", errors=[FieldError("/template", "not offered")])
    client = clients.get(form.get("client_id", ""))
    manifest = catalog.get(form["template"])
    variables, problems = _answers(manifest, form)
    return client, manifest, variables, problems


# The preview is a whole document shown in a frame of the contract page: its own styles are inline,
# which the console's policy forbids on its pages, so it gets a policy of its own (no scripts, nothing
# fetched, framed only by the console itself).
PREVIEW_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; frame-ancestors 'self'"
    ),
    "X-Frame-Options": "SAMEORIGIN",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


@router.post("/contracts/preview", response_class=HTMLResponse)
def preview_contract(
    request: Request,
    user: ConsoleDocumentWriter,
    form: ConsoleForm,
    catalog: TemplateCatalogDep,
    clients: ClientServiceDep,
    documents: DocumentServiceDep,
) -> Response:
    """Render the contract as HTML from the form's answers, storing nothing (shown in the preview frame).

    Only those who may draw up contracts preview them: an auditor's POST is refused like any write.

    The form's Preview button submits into the frame (no JavaScript needed); ``pages.js`` submits it
    again a moment after each change, so the preview follows the form.
    """
    template = form.get("template", "")
    client, manifest, variables, problems = _contract_answers(form, catalog, clients)
    message = "Some answers need changing before the contract can be shown."
    try:
        if not problems:
            validate_variables(manifest.schema, variables)
            return HTMLResponse(documents.preview(template, client.id, variables), headers=PREVIEW_HEADERS)
    except UndersignError as exc:
        problems, message = {e.pointer: e.reason for e in exc.errors}, exc.detail
    response = render(request, "sales/preview_problems.html", user, message=message, problems=problems)
    response.headers.update(PREVIEW_HEADERS)
    return response


@router.post("/contracts", response_class=HTMLResponse)
def create_contract(
    request: Request,
    user: ConsoleDocumentWriter,
    form: ConsoleForm,
    catalog: TemplateCatalogDep,
    clients: ClientServiceDep,
    documents: DocumentServiceDep,
    session: SessionDep,
) -> Response:
    """Create the contract as version 1 (PDF and DOCX filed) and go to its page."""
    template = form.get("template", "")
    client, _manifest, variables, problems = _contract_answers(form, catalog, clients)
    try:
        if problems:
            raise InvalidInput("Some answers need changing before the contract can be created.")
        document, _version = documents.create(user, template, client.id, variables, ["pdf", "docx"])
    except UndersignError as exc:
        redraw = partial(_contract_form, request, user, catalog, client, template, form)
        return redraw_refused(session, exc, redraw, problems=problems)
    return RedirectResponse(f"/console/sales/documents/{document.id}", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/documents/{document_id}", response_class=HTMLResponse)
def document_page(
    request: Request,
    document_id: str,
    user: ConsoleUser,
    documents: DocumentServiceDep,
    clients: ClientServiceDep,
    envelopes: EnvelopeServiceDep,
    catalog: TemplateCatalogDep,
) -> Response:
    """A document's versions, the form for the next version, the redline form and the send form."""
    return _document_page(request, user, document_id, documents, clients, envelopes, catalog)


def _document_page(
    request: Request,
    user: Any,
    document_id: str,
    documents: Any,
    clients: Any,
    envelopes: Any,
    catalog: Any,
    *,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    message: str | None = None,
    send_values: dict[str, str] | None = None,
    send_problems: dict[str, str] | None = None,
    send_message: str | None = None,
) -> Response:
    document = documents.get(document_id)
    client = clients.get(document.client_id)
    manifest = catalog.get(document.template_id)
    form = schema_form_for(manifest, NOT_ASKED)
    latest = documents.version(document_id, document.latest_version)
    contact = client.primary_contact
    return render(
        request,
        "sales/document.html",
        user,
        status_code=status_code,
        document=document,
        client=client,
        manifest=manifest,
        form=form,
        values=values if values is not None else form_values(form.items, latest.variables),
        problems=problems or {},
        message=message,
        envelopes=[
            e for e in envelopes.search(EnvelopeFilter(client_id=client.id), 50) if e.document_id == document.id
        ],
        send_values=send_values
        or {
            "client_name": contact.name,
            "client_title": contact.title,
            "client_email": contact.email,
            "msp_name": getattr(user, "display_name", "") or "",
        },
        send_problems=send_problems or {},
        send_message=send_message,
        status_words=status_words,
    )


@router.post("/documents/{document_id}/versions", response_class=HTMLResponse)
def create_version(
    request: Request,
    document_id: str,
    user: ConsoleDocumentWriter,
    form: ConsoleForm,
    documents: DocumentServiceDep,
    clients: ClientServiceDep,
    envelopes: EnvelopeServiceDep,
    catalog: TemplateCatalogDep,
    session: SessionDep,
) -> Response:
    """Render the changed answers as the next version; earlier versions stay as they were."""
    document = documents.get(document_id)
    variables, problems = _answers(catalog.get(document.template_id), form)
    try:
        if problems:
            raise InvalidInput("Some answers need changing before the new version can be made.")
        documents.add_version(user, document_id, variables, ["pdf", "docx"])
    except UndersignError as exc:
        redraw = partial(_document_page, request, user, document_id, documents, clients, envelopes, catalog)
        return redraw_refused(session, exc, redraw, problems=problems, values=form)
    return RedirectResponse(f"/console/sales/documents/{document_id}", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/documents/{document_id}/compare", response_class=HTMLResponse)
def compare_versions(
    request: Request,
    document_id: str,
    user: ConsoleUser,
    documents: DocumentServiceDep,
    old: Annotated[int, Query(ge=1, le=100000)],
    new: Annotated[int, Query(ge=1, le=100000)],
) -> Response:
    """The clause-level redline from version ``old`` to version ``new`` (the API's ``/diff``)."""
    document = documents.get(document_id)
    changes = documents.diff(document_id, new, old)
    name = "sales/_redline.html" if request.headers.get("hx-request") else "sales/compare.html"
    return render(request, name, user, document=document, redline=changes.html(), old=old, new=new, changes=changes)


@router.post("/documents/{document_id}/send", response_class=HTMLResponse)
def send_document(
    request: Request,
    document_id: str,
    user: ConsoleEnvelopeWriter,
    form: ConsoleForm,
    documents: DocumentServiceDep,
    clients: ClientServiceDep,
    envelopes: EnvelopeServiceDep,
    catalog: TemplateCatalogDep,
    session: SessionDep,
) -> Response:
    """Send the latest version for signature: the client's signer first, then the MSP's."""
    document = documents.get(document_id)
    try:
        signers = [
            SignerSpec(
                name=_required(form, "client_name", 120),
                title=_optional(form, "client_title", 120),
                email=_required(form, "client_email", 254),
                role=SignerRole.CLIENT,
                order=1,
            ),
            SignerSpec(
                name=_required(form, "msp_name", 120),
                title=_optional(form, "msp_title", 120),
                email=_required(form, "msp_email", 254),
                role=SignerRole.MSP,
                order=2,
            ),
        ]
        envelope = envelopes.create(
            user,
            EnvelopeRequest(
                document_id=document.id,
                version=document.latest_version,
                signers=signers,
                message=_optional(form, "message", 2000),
            ),
        )
    except UndersignError as exc:
        # The send form sits below the answers form on the same page: its refusal is drawn there.
        def redraw(status_code: int, problems: dict[str, str], message: str | None) -> Response:
            return _document_page(
                request,
                user,
                document_id,
                documents,
                clients,
                envelopes,
                catalog,
                status_code=status_code,
                send_values=form,
                send_problems=problems,
                send_message=message,
            )

        return redraw_refused(session, exc, redraw, problems=_signer_problems(exc))
    return RedirectResponse(f"/console/sales/envelopes/{envelope.id}", status_code=status.HTTP_303_SEE_OTHER)


def _required(form: dict[str, str], name: str, limit: int) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise InvalidInput("Some signer details are missing.", errors=[FieldError(name, "is required")])
    if len(value) > limit:
        raise InvalidInput(
            "Some signer details are too long.", errors=[FieldError(name, f"at most {limit} characters")]
        )
    return value


def _optional(form: dict[str, str], name: str, limit: int) -> str:
    value = form.get(name, "").strip()
    if len(value) > limit:
        raise InvalidInput(
            "Some signer details are too long.", errors=[FieldError(name, f"at most {limit} characters")]
        )
    return value


def _signer_problems(exc: UndersignError) -> dict[str, str]:
    problems: dict[str, str] = {}
    for error in exc.errors:
        # The service names signers by position (/signers/0/email); the form by side (client_email).
        parts = error.pointer.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "signers" and parts[1] in ("0", "1"):
            problems[f"{'client' if parts[1] == '0' else 'msp'}_{parts[2]}"] = error.reason
        else:
            problems[error.pointer] = error.reason
    return problems


@router.get("/envelopes/{envelope_id}", response_class=HTMLResponse)
def envelope_page(request: Request, envelope_id: str, user: ConsoleUser, envelopes: EnvelopeServiceDep) -> Response:
    """An envelope's status, each signer's progress and every event, refreshed by htmx while it is open."""
    envelope = envelopes.get(envelope_id)
    name = "sales/_envelope_status.html" if request.headers.get("hx-request") else "sales/envelope.html"
    return render(
        request,
        name,
        user,
        envelope=envelope,
        events=envelopes.events(envelope_id),
        event_words=event_words,
        status_words=status_words,
    )


@router.get("/documents/{document_id}/versions/{number}/file.{extension}", response_class=Response)
def version_file(
    document_id: str,
    number: Annotated[int, Path(ge=1, le=100000)],
    extension: Literal["pdf", "docx"],
    _user: ConsoleUser,
    documents: DocumentServiceDep,
) -> Response:
    """Download exactly the stored PDF or DOCX of a version."""
    stored, data = documents.file(document_id, number, FileFormat(extension))
    return Response(
        content=data,
        media_type=stored.content_type,
        headers={"Content-Disposition": f'attachment; filename="{document_id}-v{number}.{extension}"'},
    )


@router.get("/envelopes/{envelope_id}/sealed.pdf", response_class=Response)
def sealed_copy(envelope_id: str, _user: ConsoleUser, envelopes: EnvelopeServiceDep) -> Response:
    """Download exactly the sealed copy filed on completion."""
    _record, data = envelopes.sealed_copy(envelope_id)
    return Response(
        content=data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{envelope_id}-sealed.pdf"'},
    )
