"""FastAPI dependencies: the unit of work, the services, and the acting key.

The request is the unit of work. ``get_session`` commits after the route returns and before the
response is sent (``scope="function"``), so a failed commit is the caller's error response, never a
201 for something that was not stored; any error rolls everything back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from api.auditor_reads import record_auditor_read
from api.client_address import client_ip
from domain.actor import Actor
from domain.ports import TemplateCatalog
from domain.roles import Permission, Role, require
from services.api_keys import ApiKeyService
from services.clients import ClientService
from services.documents import DocumentService
from storage.api_key_repository import SqlApiKeyRepository
from storage.audit_trail import SqlAuditTrail
from storage.client_repository import SqlClientRepository
from storage.database import unit_of_work
from storage.document_repository import SqlDocumentRepository
from undersign.audit_runtime import risk_service
from undersign.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    """Return the process runtime the app factory stored on the app."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep, request: Request) -> Iterator[Session]:
    """Yield the request's session; commit on success, roll back on any error."""
    with unit_of_work(runtime.sessions, read_mostly=request.method in ("GET", "HEAD")) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_actor(request: Request, session: SessionDep, runtime: RuntimeDep) -> Actor:
    """Authenticate the bearer key and return the acting key's identity."""
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    key = presented.strip() if scheme.lower() == "bearer" else None
    service = ApiKeyService(SqlApiKeyRepository(session), runtime.clock, SqlAuditTrail(session, runtime.clock))
    actor = service.authenticate(
        key,
        ip=client_ip(request, runtime.settings.server.trusted_proxies),
        user_agent=request.headers.get("user-agent"),
    )
    request.state.actor = actor.label  # for the access log
    return actor


ActorDep = Annotated[Actor, Depends(get_actor, scope="function")]


def reader(request: Request, actor: ActorDep, session: SessionDep, runtime: RuntimeDep) -> Iterator[Actor]:
    """Require a key that may read (every role may); an auditor's read is recorded in the audit chain.

    The record is appended after the route ran (before the commit), so the chain-head lock is held
    only for that append, not while a long read such as a chain verification runs.
    """
    assert actor.role is not None
    require(actor.role, Permission.READ)
    yield actor
    if actor.role is Role.AUDITOR:
        record_auditor_read(SqlAuditTrail(session, runtime.clock), actor, request)


def permission(needed: Permission) -> object:
    """Return a dependency that requires ``needed`` of the acting key."""

    def check(actor: ActorDep) -> Actor:
        assert actor.role is not None
        require(actor.role, needed)
        return actor

    return Depends(check, scope="function")


ReaderDep = Annotated[Actor, Depends(reader, scope="function")]


def client_service(session: SessionDep, runtime: RuntimeDep) -> ClientService:
    """Return the client service bound to this request's session."""
    return ClientService(SqlClientRepository(session), runtime.clock, SqlAuditTrail(session, runtime.clock))


ClientServiceDep = Annotated[ClientService, Depends(client_service, scope="function")]


def document_service(session: SessionDep, runtime: RuntimeDep) -> DocumentService:
    """Return the document service bound to this request's session."""
    return DocumentService(
        documents=SqlDocumentRepository(session),
        clients=SqlClientRepository(session),
        templates=runtime.templates,
        renderer=runtime.renderer,
        blobs=runtime.blob_store,
        clock=runtime.clock,
        branding=runtime.branding,
        audit=SqlAuditTrail(session, runtime.clock),
        budget=runtime.render_budget,
        listeners=[risk_service(session, runtime)],
    )


DocumentServiceDep = Annotated[DocumentService, Depends(document_service, scope="function")]


def template_catalog(runtime: RuntimeDep) -> TemplateCatalog:
    """Return the template library."""
    return runtime.templates


TemplateCatalogDep = Annotated[TemplateCatalog, Depends(template_catalog)]
