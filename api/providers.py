"""The functions behind the API's dependencies: the unit of work, the acting key, and the services.

The request is the unit of work. ``unit_of_work_for_request`` commits after the route returns and
before the response is sent (``scope="function"``), so a failed commit is the caller's error
response, never a 201 for something that was not stored; any error rolls everything back.

Routes do not use these functions directly: they name the ``Annotated`` aliases in ``api.deps``.
Every service is built by ``undersign.service_factory.ServiceFactory``, the same as for the CLI.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from adapters.oidc import OidcClient
from adapters.signing_kit import SigningKit
from api.auditor_reads import record_auditor_read
from api.client_address import client_ip
from api.console_access import (
    ANON_CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    ConsoleRefused,
    ConsoleSignInRequired,
)
from domain.actor import Actor
from domain.errors import Forbidden
from domain.languages import MessageCatalogs
from domain.ports import TemplateCatalog
from domain.roles import Permission, Role
from services.api_keys import ApiKeyService
from services.audit import AuditService
from services.clients import ClientService
from services.documents import DocumentService
from services.dunning import DunningService
from services.dunning_run import RunReport
from services.envelopes import EnvelopeService
from services.external_ids import ExternalIdService
from services.invoice_imports import InvoiceImporter
from services.invoices import InvoiceService
from services.legal_holds import LegalHoldService
from services.retention import RetentionService
from services.risks import RiskService
from services.sign_in import SignInService
from services.signing import Caller, SigningService
from services.template_reviews import TemplateReviewService
from services.users import UserService, user_actor
from services.verification import VerificationService
from services.webhooks import WebhookService
from storage.audit_trail import SqlAuditTrail
from storage.database import unit_of_work
from undersign.evidence_export import EvidenceExporter
from undersign.jobs import run_dunning_for
from undersign.page_images import page_image as stored_page_image
from undersign.runtime import TASKS_ENQUEUED, Runtime
from undersign.service_factory import ServiceFactory


def get_runtime(request: Request) -> Runtime:
    """Return the process runtime the app's lifespan (or the test) put on the app."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def unit_of_work_for_request(runtime: Annotated[Runtime, Depends(get_runtime)], request: Request) -> Iterator[Session]:
    """Yield the request's session; commit on success, roll back on any error; then wake the task workers.

    Tasks enqueued by the request are in its transaction; once it has committed, a worker in this
    process (embedded default) is told to look now rather than at its next poll.
    """
    with unit_of_work(runtime.sessions, read_mostly=request.method in ("GET", "HEAD")) as session:
        yield session
    if session.info.get(TASKS_ENQUEUED):
        runtime.tasks_committed()


_Session = Annotated[Session, Depends(unit_of_work_for_request, scope="function")]
_Runtime = Annotated[Runtime, Depends(get_runtime)]


def service_factory(session: _Session, runtime: _Runtime) -> ServiceFactory:
    """Return the builder of this request's services."""
    return ServiceFactory(session, runtime)


_Factory = Annotated[ServiceFactory, Depends(service_factory, scope="function")]


def authenticated_actor(request: Request, factory: _Factory) -> Actor:
    """Authenticate the bearer key and return the acting key's identity (401 without a valid key)."""
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    key = presented.strip() if scheme.lower() == "bearer" else None
    actor = factory.api_keys().authenticate(
        key,
        ip=client_ip(request, factory.runtime.settings.server.trusted_proxies),
        user_agent=request.headers.get("user-agent"),
    )
    request.state.actor = actor.label  # for the access log
    return actor


_Actor = Annotated[Actor, Depends(authenticated_actor, scope="function")]


def reading_actor(request: Request, actor: _Actor, factory: _Factory) -> Iterator[Actor]:
    """Require a key that may read (every role may); an auditor's read is recorded in the audit chain.

    The record is appended after the route ran (before the commit), so the chain-head lock is held
    only for that append, not while a long read such as a chain verification runs.
    """
    actor.require(Permission.READ)
    yield actor
    if actor.has_role(Role.AUDITOR):
        record_auditor_read(SqlAuditTrail(factory.session, factory.runtime.clock), actor, request)


def permitted(*needed: Permission) -> Any:
    """Return a dependency that requires one of ``needed`` of the acting key (``Depends`` marker).

    It runs before the request body is validated, so a caller who may not write gets 403 whatever
    they send. The service checks the exact permission again once it knows what is being written.
    """

    def check(actor: _Actor) -> Actor:
        refusals: list[Forbidden] = []
        for permission in needed:
            try:
                actor.require(permission)
            except Forbidden as refused:
                refusals.append(refused)
            else:
                return actor
        raise refusals[0]

    return Depends(check, scope="function")


def client_service(factory: _Factory) -> ClientService:
    """Return the client register for this request."""
    return factory.clients()


def document_service(factory: _Factory) -> DocumentService:
    """Return document assembly for this request."""
    return factory.documents()


def risk_service(factory: _Factory) -> RiskService:
    """Return the risk register for this request."""
    return factory.risks()


def audit_service(factory: _Factory) -> AuditService:
    """Return the audit chain service for this request."""
    return factory.audit()


def invoice_service(factory: _Factory) -> InvoiceService:
    """Return the invoice service for this request."""
    return factory.invoices()


def dunning_service(factory: _Factory) -> DunningService:
    """Return the ladder service for this request."""
    return factory.dunning()


def envelope_service(factory: _Factory) -> EnvelopeService:
    """Return the envelope service for this request."""
    return factory.envelopes()


def signing_service(factory: _Factory) -> SigningService:
    """Return the signer-facing service for this request."""
    return factory.signing()


def legal_hold_service(factory: _Factory) -> LegalHoldService:
    """Return legal holds for this request."""
    return factory.legal_holds()


def retention_service(factory: _Factory) -> RetentionService:
    """Return retention changes for this request."""
    return factory.retention()


def webhook_service(factory: _Factory) -> WebhookService:
    """Return webhook endpoints for this request."""
    return factory.webhooks()


def external_id_service(factory: _Factory) -> ExternalIdService:
    """Return clients' external ids for this request."""
    return factory.external_ids()


def verification_service(factory: _Factory) -> VerificationService:
    """Return the verification of uploaded PDFs for this request."""
    return factory.verification()


def evidence_exporter(factory: _Factory) -> EvidenceExporter:
    """Return the evidence exporter for this request."""
    return EvidenceExporter(factory.session, factory.runtime)


def signing_kit(runtime: _Runtime) -> SigningKit:
    """Return the process's signing kit (sealing key, page images, script font)."""
    return runtime.kit


def message_catalogs(runtime: _Runtime) -> MessageCatalogs:
    """Return the process's message catalogues (the signing pages' words in each signer's language)."""
    return runtime.catalogs


def signer_caller(request: Request, runtime: _Runtime) -> Caller:
    """Return where this signer request came from (forwarded headers only from trusted proxies)."""
    ip = client_ip(request, runtime.settings.server.trusted_proxies)
    agent = (request.headers.get("user-agent") or "")[:512] or None
    return Caller(ip=ip, user_agent=agent)


def dunning_run_session(session: _Session, actor: Annotated[Actor, permitted(Permission.DUNNING_RUN)]) -> Actor:
    """End the request's own transaction before a dunning run, and return the permitted actor.

    The run commits per invoice in its own units of work; the request's transaction (which only
    authenticated the caller) is committed first so that it holds no lock while the run writes
    (SQLite takes its single write lock when a transaction begins).
    """
    session.commit()
    return actor


DunningRunner = Callable[[Actor, date, bool], RunReport]


def dunning_runner(runtime: _Runtime) -> DunningRunner:
    """Return a function that plans or performs the ladder run for a day, one unit of work per invoice."""
    return lambda actor, as_of, dry_run: run_dunning_for(runtime, actor, as_of, dry_run=dry_run)


def template_catalog(runtime: _Runtime) -> TemplateCatalog:
    """Return the template library."""
    return runtime.templates


PageImages = Callable[[str, int, Caller], tuple[bytes, str]]


def page_images(runtime: _Runtime) -> PageImages:
    """Return a function that gives a signer one stored page image (and its ETag), recording its first delivery.

    A view is evidence only when the page was delivered. The image is read from the object store after
    the database session is closed (no connection is held across store I/O); the delivery is recorded
    in a unit of work of its own that queues for the write lock (browsers fetch several pages at once).
    ``PagesPreparing`` while the images are still being rendered.
    """

    def fetch(token: str, index: int, caller: Caller) -> tuple[bytes, str]:
        with unit_of_work(runtime.sessions, read_mostly=True) as session:
            delivery = ServiceFactory(session, runtime).signing().deliver_page(token, index)
        png = stored_page_image(runtime, delivery.sent_sha256, delivery.index)
        if delivery.first_delivery:
            with unit_of_work(runtime.sessions) as session:
                ServiceFactory(session, runtime).signing().record_page_view(token, index, delivery.page_count, caller)
        return png, f'"{delivery.sent_sha256[:32]}-{delivery.index}"'

    return fetch


# --- The staff console: the signed-in user, their permissions, and CSRF on every form. ---


@dataclass(frozen=True)
class SignedIn:
    """The console session of this request: who is signed in and the session's CSRF token."""

    actor: Actor
    csrf_token: str


def console_session(request: Request, factory: _Factory) -> SignedIn | None:
    """Return the console session of the request's cookie, or ``None``; remember it for the page frame."""
    found = factory.sign_in().current(request.cookies.get(SESSION_COOKIE))
    if found is None:
        return None
    user, session = found
    actor = user_actor(
        user,
        ip=client_ip(request, factory.runtime.settings.server.trusted_proxies),
        user_agent=request.headers.get("user-agent"),
    )
    request.state.console_actor = actor
    request.state.console_csrf = session.csrf_token
    request.state.actor = actor.label  # for the access log
    return SignedIn(actor=actor, csrf_token=session.csrf_token)


_SignedIn = Annotated[SignedIn | None, Depends(console_session, scope="function")]


def console_user(request: Request, signed_in: _SignedIn, factory: _Factory) -> Iterator[Actor]:
    """Return the signed-in user as an ``Actor``; without a live session, send the browser to sign in.

    An auditor's page view is recorded in the audit chain, as their API reads are.
    """
    if signed_in is None:
        raise ConsoleSignInRequired
    yield signed_in.actor
    if signed_in.actor.has_role(Role.AUDITOR) and request.method in ("GET", "HEAD"):
        record_auditor_read(SqlAuditTrail(factory.session, factory.runtime.clock), signed_in.actor, request)


_ConsoleUser = Annotated[Actor, Depends(console_user, scope="function")]


def console_permitted(*needed: Permission) -> Any:
    """Return a dependency that requires the signed-in user to hold one of ``needed`` (403 page otherwise).

    The same permission names as the API's ``permitted``: a forbidden action is refused on the
    server, whether or not the page showed the button.
    """

    def check(actor: _ConsoleUser) -> Actor:
        if any(actor.may(permission) for permission in needed):
            return actor
        roles = ", ".join(actor.roles)
        raise ConsoleRefused(f"Your role ({roles}) may not do this. Ask an administrator if you need to.")

    return Depends(check, scope="function")


async def console_csrf(request: Request, signed_in: _SignedIn) -> None:
    """Refuse (403) a console POST, PUT, PATCH or DELETE whose CSRF token is missing or wrong.

    The token is the session's (signed in) or the pre-sign-in cookie's; forms send it in the hidden
    field ``csrf_token``, htmx in the ``X-CSRF-Token`` header. Safe methods are not checked.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = signed_in.csrf_token if signed_in is not None else request.cookies.get(ANON_CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise ConsoleRefused(
            "This form has expired or did not come from this site. Go back, reload the page and try again.",
            heading="The form could not be accepted",
        )


def user_service(factory: _Factory) -> UserService:
    """Return the console's user management for this request."""
    return factory.users()


def template_review_service(factory: _Factory) -> TemplateReviewService:
    """Return counsel's reviews of the template library for this request."""
    return factory.template_reviews()


def sign_in_service(factory: _Factory) -> SignInService:
    """Return console sign-in for this request."""
    return factory.sign_in()


def api_key_service(factory: _Factory) -> ApiKeyService:
    """Return API key management for this request."""
    return factory.api_keys()


def oidc_client(runtime: _Runtime) -> OidcClient | None:
    """Return the console's OpenID Connect client, or ``None`` when single sign-on is not set up."""
    return runtime.oidc


async def console_form(request: Request) -> dict[str, str]:
    """Return a console form's text fields (the first value of each name; files are left out)."""
    form = await request.form()
    fields: dict[str, str] = {}
    for name, value in form.multi_items():
        if isinstance(value, str) and name not in fields:
            fields[name] = value
    return fields


def invoice_importer(factory: _Factory) -> InvoiceImporter:
    """Return the CSV importer of invoices and payments for this request."""
    return factory.invoice_importer()
