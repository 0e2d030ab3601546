"""The app factory: one FastAPI application over a ``Runtime``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.idempotency import IdempotencyMiddleware
from api.middleware import BodySizeLimitMiddleware, RequestIdMiddleware
from api.observability import AccessLogMiddleware, install_observability
from api.problems import install_problem_handlers
from api.routes import (
    audit,
    client_external_ids,
    clients,
    documents,
    dunning,
    envelopes,
    evidence,
    health,
    invoices,
    risks,
    signing,
    templates,
    verify,
    webhooks,
)
from undersign import __doc__ as package_doc
from undersign.runtime import Runtime

log = logging.getLogger("api")


def create_app(runtime: Runtime) -> FastAPI:
    """Create the API over ``runtime`` (which the caller has migrated and whose bucket it has ensured)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield

    app = FastAPI(
        title="undersign",
        version="0.1.0",
        description=package_doc,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "clients", "description": "The MSP's clients; every document belongs to one."},
            {"name": "templates", "description": "The clause template library and HTML previews."},
            {"name": "documents", "description": "Assembled documents, their versions and stored files."},
            {"name": "invoices", "description": "Invoices and their payment state (paid, disputed, paused, promised)."},
            {"name": "dunning", "description": "The payment escalation ladder: runs, approvals, overview, policy."},
            {"name": "envelopes", "description": "E-signature envelopes, sealed copies and verification."},
            {"name": "health", "description": "Liveness and readiness."},
            {"name": "audit", "description": "The tamper-evident audit chain: verify, search, checkpoints."},
            {
                "name": "webhooks",
                "description": "Signed webhooks: endpoints, delivery log, replay.",
            },
        ],
    )
    app.state.runtime = runtime
    install_problem_handlers(app)
    app.add_middleware(IdempotencyMiddleware)  # innermost: sees the body after the size limit
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=runtime.settings.server.max_body_bytes)
    app.add_middleware(AccessLogMiddleware)  # inside the request id, outside everything that can answer
    app.add_middleware(RequestIdMiddleware)
    install_observability(app, runtime)
    app.include_router(health.router)
    app.include_router(clients.router)
    app.include_router(client_external_ids.router)
    app.include_router(templates.router)
    app.include_router(documents.router)
    app.include_router(audit.router)
    app.include_router(risks.router)
    app.include_router(evidence.router)
    app.include_router(invoices.router)
    app.include_router(dunning.router)
    app.include_router(envelopes.router)
    app.include_router(verify.router)
    app.include_router(signing.router)
    app.include_router(webhooks.router)
    return app
