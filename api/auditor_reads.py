"""Every read an auditor makes is itself recorded in the audit chain (``auditor.read``).

An auditor's access is evidence too: an insurer or court may ask who looked at which record and
when. The event names the ids in the request path as subjects (``client_id`` -> ``client``) and
keeps the method, route, path and query string in its payload.
"""

from __future__ import annotations

import re

from fastapi import Request

from domain.actor import Actor
from domain.ports import AuditTrail

ACTION = "auditor.read"
_SUBJECT_TYPE = re.compile(r"[a-z][a-z0-9_]{0,39}")
# Path parameters whose name does not say what they point at.
_RENAMED = {"number": "version", "id": "record"}
MAX_QUERY = 2000


def path_subjects(path_params: dict[str, str]) -> dict[str, str]:
    """Return the subjects named by a request's path parameters (``client_id`` -> ``client``)."""
    subjects: dict[str, str] = {}
    for name, value in path_params.items():
        kind = _RENAMED.get(name, name.removesuffix("_id"))
        text = str(value)[:200]
        if _SUBJECT_TYPE.fullmatch(kind) and text and text.isprintable():
            subjects[kind] = text
    return subjects


def record_auditor_read(audit: AuditTrail, actor: Actor, request: Request) -> None:
    """Append an ``auditor.read`` event for ``request`` in the request's unit of work."""
    route = request.scope.get("route")
    template = getattr(route, "path", None)
    audit.record(
        actor,
        ACTION,
        path_subjects(dict(request.path_params)),
        payload={
            "method": request.method,
            "route": str(template) if template is not None else None,
            "path": request.url.path,
            "query": request.url.query[:MAX_QUERY],
        },
    )
