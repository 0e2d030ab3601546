"""Operations: one structured access-log line and one latency observation per request, and ``/metrics``.

The access line names the route template (``/sign/{token}``), never the raw path, so signing-link
tokens and ids typed into URLs do not end up in logs; the query string is not logged at all. It
carries the request id (also bound to every other log line of the request), the acting key once
authentication has named it, the status and the time taken.
"""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response
from undersign.metrics import HTTP_LATENCY, exposition
from undersign.runtime import Runtime
from undersign.tracing import install_tracing

# A standard-library logger: silent until logging is configured (tests, embedding), JSON once it is.
access_log = logging.getLogger("undersign.access")
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def route_of(scope: Scope) -> str:
    """Return the route template the request matched, or ``unmatched`` (never the raw path)."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class AccessLogMiddleware:
    """Log and time every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Bind the request id, run the request, then log and observe it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=state.get("request_id"))
        started = time.perf_counter()
        status = 500

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            elapsed = time.perf_counter() - started
            route = route_of(scope)
            if route != "/metrics":
                HTTP_LATENCY.labels(scope["method"], route, str(status)).observe(elapsed)
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "actor": state.get("actor"),
                    "replayed": state.get("idempotent_replay"),
                },
            )
            structlog.contextvars.clear_contextvars()


def install_observability(app: FastAPI) -> None:
    """Add ``/metrics`` and trace when an exporter is configured (renders are measured by the runtime)."""
    install_tracing(app)

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        """Prometheus text exposition of process and database metrics."""
        runtime: Runtime = request.app.state.runtime
        token = runtime.settings.metrics.bearer_token.get_secret_value()
        if token:
            presented = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(presented.encode(), token.encode()):
                return problem_response(
                    request,
                    401,
                    "Not authenticated",
                    "/metrics needs the bearer token set in UNDERSIGN_METRICS__BEARER_TOKEN.",
                    type_slug="unauthenticated",
                    headers={"WWW-Authenticate": "Bearer"},
                )
        return Response(exposition(runtime.engine, runtime.clock.now()), media_type=PROMETHEUS_TEXT)
