"""The app factory: one FastAPI application over a ``Runtime``.

A server process (``undersign serve`` / ``dev``, through ``api.asgi``) passes no runtime: the app's
lifespan builds it from settings when the server starts and closes it (render workers, database
pool) when the server stops. Tests pass a runtime they own and close themselves.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from api import console
from api.admission import AdmissionMiddleware
from api.api_docs import install_api_docs
from api.idempotency import IdempotencyMiddleware
from api.middleware import BodySizeLimitMiddleware, RequestIdMiddleware
from api.observability import AccessLogMiddleware, install_observability
from api.openapi_document import install_openapi
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
    legal_holds,
    risks,
    signing,
    templates,
    verify,
    webhooks,
)
from undersign import __doc__ as package_doc
from undersign.dev_store import use_running_dev_store
from undersign.runtime import Runtime, build_runtime
from undersign.settings import Mode, Settings
from undersign.structured_logging import configure_logging
from undersign.task_worker import start_task_worker
from undersign.webhooks_runtime import run_worker

log = logging.getLogger("api")


def create_app(runtime: Runtime | None = None, *, settings: Settings | None = None) -> FastAPI:
    """Create the API over ``runtime``, or over one built from ``settings`` (default: the environment) at start-up.

    A runtime handed in belongs to the caller, who has migrated its database and ensured its bucket.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if runtime is not None:
            yield
            return
        # A development server finds the embedded object store of `undersign dev` through the data folder.
        chosen = use_running_dev_store(settings or Settings())
        configure_logging(chosen.log_format, chosen.log.level)
        owned = build_runtime(chosen)
        log.info(chosen.retention_notice())
        for problem in chosen.dunning_problems():
            # Production refuses to start (Settings); a development server says what notices will lack.
            log.warning("payment notices are incomplete: %s", problem)
        stop_webhooks = threading.Event()
        try:
            owned.ensure_bucket()
            # Warm before startup completes: /readyz answers (and uvicorn counts the worker started) only
            # once the render workers are up, so the first document does not pay for their start.
            await anyio.to_thread.run_sync(owned.warm)
            app.state.runtime = owned
            start_task_worker(owned)
            if chosen.mode is Mode.DEVELOPMENT:
                # Webhooks are delivered by a thread of the development server (`undersign webhooks worker`
                # in production, where the API processes only write the outbox).
                threading.Thread(target=run_worker, args=(owned, stop_webhooks), daemon=True).start()
            yield
        finally:
            stop_webhooks.set()
            owned.close()

    app = FastAPI(
        title="undersign",
        version="0.1.0",
        description=package_doc,
        lifespan=lifespan,
        # Served by install_api_docs from package files, not from a CDN.
        docs_url=None,
        redoc_url=None,
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
    if runtime is not None:
        app.state.runtime = runtime
    install_problem_handlers(app)
    chosen = runtime.settings if runtime is not None else settings or Settings()
    limits = chosen.server
    app.add_middleware(IdempotencyMiddleware)  # innermost: sees the body after the size limit
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=limits.max_body_bytes)
    # No more requests at work than pooled connections: a burst queues here instead of timing out on the pool.
    pool = chosen.database
    connections = pool.pool_size + pool.max_overflow
    slots = min(limits.concurrent_requests or connections, connections)
    app.add_middleware(AdmissionMiddleware, slots=slots, queue_seconds=limits.queue_seconds)
    app.add_middleware(AccessLogMiddleware)  # inside the request id, outside everything that can answer
    app.add_middleware(RequestIdMiddleware)
    install_observability(app)
    app.include_router(health.router)
    app.include_router(clients.router)
    app.include_router(client_external_ids.router)
    app.include_router(templates.router)
    app.include_router(documents.router)
    app.include_router(audit.router)
    app.include_router(risks.router)
    app.include_router(evidence.router)
    app.include_router(legal_holds.router)
    app.include_router(invoices.router)
    app.include_router(dunning.router)
    app.include_router(envelopes.router)
    app.include_router(verify.router)
    app.include_router(signing.router)
    app.include_router(webhooks.router)
    app.include_router(console.router)
    console.install_console_errors(app)
    install_api_docs(app)
    install_openapi(app)
    return app
