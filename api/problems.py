"""RFC 9457 problem details: the one shape of every error the API returns.

``UndersignError`` subclasses map to their status; request validation errors become a 422 that
lists every bad field with a JSON pointer; anything unexpected is a 500 that carries the request id
(so support can find the logged trace) and never the trace itself.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.error_pages import error_page, is_browser_facing
from domain.errors import FieldError, UndersignError

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://undersign.dev/problems/"
log = logging.getLogger("api")
_BUSY_MARKERS = ("database is locked", "database is busy", "deadlock detected", "could not serialize")


def is_busy(exc: BaseException) -> bool:
    """Return whether ``exc`` (or an error it was raised from) means "busy, retry" rather than a bug.

    A pool whose connections are all in use, or a database that stayed locked past its timeout,
    is a 503 with ``Retry-After``: nothing was changed and the same request will work shortly.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, PoolTimeout):
            return True
        if isinstance(seen, DBAPIError) and any(marker in str(seen).lower() for marker in _BUSY_MARKERS):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def problem_response(
    request: Request,
    status: int,
    title: str,
    detail: str,
    *,
    type_slug: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build a problem+json response for ``request`` (an HTML page when a person's browser asked)."""
    if is_browser_facing(request.url.path, request.headers.get("accept", "")):
        html, page_headers = error_page(status, errors=errors, request_id=getattr(request.state, "request_id", None))
        return HTMLResponse(html, status_code=status, headers={**page_headers, **(headers or {})})
    body: dict[str, Any] = {
        "type": TYPE_BASE + type_slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": getattr(request.state, "request_id", None),
    }
    if errors:
        body["errors"] = [error.as_dict() for error in errors]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _pointer(loc: tuple[Any, ...]) -> str:
    where, *path = loc or ("body",)
    # Pydantic puts the union branch or the validator name into the location; drop those parts.
    parts = [
        str(part) for part in path if not (isinstance(part, str) and ("[" in part or part.startswith("function-")))
    ]
    if where == "body":
        return "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)
    return f"{where}:{'.'.join(parts)}"


def validation_errors(exc: RequestValidationError) -> list[FieldError]:
    """Turn FastAPI's validation error list into field errors with pointers and readable reasons."""
    out: list[FieldError] = []
    for error in exc.errors():
        reason = str(error.get("msg", "is invalid"))
        if reason.startswith("Value error, "):
            reason = reason.removeprefix("Value error, ")
        out.append(FieldError(_pointer(tuple(error.get("loc", ()))), reason))
    return out


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""

    @app.exception_handler(UndersignError)
    async def _undersign_error(request: Request, exc: UndersignError) -> Response:
        headers = {"Retry-After": "5"} if exc.status == 503 else None
        if exc.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        return problem_response(
            request,
            exc.status,
            exc.title,
            exc.detail,
            type_slug=exc.type_slug,
            errors=exc.errors,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = validation_errors(exc)
        named = ", ".join(sorted({e.pointer for e in errors}))
        return problem_response(
            request,
            422,
            "Invalid input",
            f"The request has invalid fields: {named}. Nothing was stored.",
            type_slug="invalid-input",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed"}
        return problem_response(
            request,
            exc.status_code,
            titles.get(exc.status_code, "HTTP error"),
            str(exc.detail),
            type_slug=f"http-{exc.status_code}",
            headers=dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        request_id = getattr(request.state, "request_id", None)
        if is_busy(exc):
            log.warning("busy: %s %s answered 503 (%s)", request.method, request.url.path, type(exc).__name__)
            return problem_response(
                request,
                503,
                "Service busy",
                "The service is busy right now; nothing was changed. Retry in a few seconds.",
                type_slug="busy",
                headers={"Retry-After": "5", "X-Request-ID": str(request_id)},
            )
        log.exception("unexpected error in %s %s (request %s)", request.method, request.url.path, request_id)
        return problem_response(
            request,
            500,
            "Internal error",
            f"Something went wrong on our side. Quote request id {request_id} when reporting it.",
            type_slug="internal",
            # This response is sent by the outermost error middleware, past the request-id middleware.
            headers={"X-Request-ID": str(request_id)},
        )
