"""The OpenAPI description as the API really behaves: bearer keys, and problem+json for every error.

FastAPI derives the operations from the routes but knows nothing of our authentication (a plain
dependency that reads the ``Authorization`` header) nor of our error handlers, so on its own it
documents no security at all and a 422 in its own shape that the API never sends. This module
completes each operation from what the route actually depends on:

- a route that authenticates the key (``authenticated_actor``) is marked with the ``bearerAuth`` scheme and
  documents ``401``; when it needs more than read access (the key is checked by a write permission,
  not only by ``reading_actor``) it also documents ``403``;
- path parameters mean ``404``; parameters or a body mean ``422``; a body means ``413``; a write
  route means ``409``; a route that uses the database or the object store means ``503`` (with
  ``Retry-After``) and ``500`` (the request id only);
- a route may declare more statuses itself (``responses={429: {...}}``); they get the same schema,
  unless it declares its own body for one (``content`` or ``model``), as ``/readyz`` does for 503.

Every one of those answers is documented with the ``Problem`` schema under
``application/problem+json``, the shape ``api/problems.py`` writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from api.problems import PROBLEM_JSON
from api.providers import authenticated_actor as get_actor
from api.providers import get_runtime
from api.providers import reading_actor as reader
from api.schemas.problems import FieldProblem, Problem

SECURITY_SCHEME = "bearerAuth"
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Plain-language descriptions of each error status, as /docs shows them.
STATUS_TEXT: dict[int, str] = {
    401: "No API key, or the key is unknown or revoked. Send `Authorization: Bearer usk_...`.",
    403: "The key's role may not do this (see the role table in the README).",
    404: "Nothing with that id (or path) exists.",
    409: "The request conflicts with what is stored: a duplicate, or a step the record's state does not allow.",
    413: "The request body is larger than `UNDERSIGN_SERVER__MAX_BODY_BYTES`. Nothing was stored.",
    422: "A value is invalid; `errors` names each field (JSON pointer) and why. Nothing was stored.",
    429: "Asked for too often; wait and try again.",
    500: "Something went wrong on our side; the body carries only the request id to quote.",
    503: "Something the service depends on (database, object store, mail relay, timestamp authority) is down. "
    "Nothing was changed; retry after `Retry-After` seconds.",
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "Always `Bearer`", "schema": {"type": "string"}}},
    503: {"Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}},
}


def _calls(dependant: Dependant) -> Iterator[tuple[Callable[..., Any] | None, Callable[..., Any] | None]]:
    """Yield (parent call, call) for every dependency under ``dependant``, depth first."""
    for sub in dependant.dependencies:
        yield dependant.call, sub.call
        yield from _calls(sub)


def error_statuses(route: APIRoute, methods: set[str]) -> set[int]:
    """Return the error statuses a route can answer, from what it depends on (see the module docstring)."""
    pairs = list(_calls(route.dependant))
    calls = {call for _parent, call in pairs}
    statuses: set[int] = set()
    if get_actor in calls:
        statuses.add(401)
        # A key checked only by `reader` may do it whatever its role (every role reads).
        if any(call is get_actor and parent is not reader for parent, call in pairs):
            statuses.add(403)
            if methods & _WRITE_METHODS:
                statuses.add(409)
    has_params = bool(
        route.dependant.path_params or _all_params(route.dependant, "query_params") or route.body_field is not None
    )
    if route.dependant.path_params:
        statuses.add(404)
    if has_params:
        statuses.add(422)
    if route.body_field is not None:
        statuses.add(413)
    if get_runtime in calls:
        statuses |= {500, 503}
    statuses |= {int(code) for code in route.responses if str(code).isdigit() and int(code) >= 400}
    return statuses


def _all_params(dependant: Dependant, kind: str) -> list[Any]:
    found = list(getattr(dependant, kind))
    for sub in dependant.dependencies:
        found += _all_params(sub, kind)
    return found


def _problem_response(status: int, declared: dict[str, Any] | None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": (declared or {}).get("description") or STATUS_TEXT.get(status, "Error"),
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response


def complete_schema(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    """Add the bearer scheme and the problem+json error answers to every operation of ``schema``."""
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "usk_...",
        "description": "An API key (`undersign keys create --name NAME --role ROLE`), sent as "
        "`Authorization: Bearer usk_...`. Its role decides what it may do.",
    }
    schemas = components.setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    schemas.setdefault("FieldProblem", FieldProblem.model_json_schema())
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not context.include_in_schema:
            continue
        methods = set(context.methods or ())
        operations = schema.get("paths", {}).get(context.path_format, {})
        statuses = error_statuses(route, methods)
        for method in methods:
            operation = operations.get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                declared = route.responses.get(status)
                if declared is not None and ("content" in declared or "model" in declared):
                    # The route answers this status with its own body (e.g. /readyz's report): keep it.
                    responses[str(status)].setdefault("headers", _HEADERS.get(status, {}))
                    continue
                responses[str(status)] = _problem_response(status, declared)
            if 401 in statuses:
                operation["security"] = [{SECURITY_SCHEME: []}]
    # FastAPI's own validation error shapes are never sent: drop them once nothing refers to them.
    text = str(schema.get("paths", {}))
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}" not in text:
            schemas.pop(unused, None)
    return schema


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the completed description (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                webhooks=app.webhooks.routes,
                tags=app.openapi_tags,
                servers=app.servers,
                separate_input_output_schemas=app.separate_input_output_schemas,
            )
            app.openapi_schema = complete_schema(app, schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
