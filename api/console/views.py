"""Rendering of the console's role pages, and the template form with its variants explained.

The role modules (``sales``, ``technician``, ``billing``, ``auditor``) return ``render(...)``; the
page layout, navigation and CSRF field come from the console's base template. A refused form is
answered by ``redraw_refused``: the request's writes are rolled back and the page is drawn again
with the reason and the fields to fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.console import templating
from domain.assembly.manifest import TemplateManifest
from domain.errors import UndersignError
from domain.schema_form import FormItem, FormRows, FormVariant, form_items, row_count


def render(request: Request, name: str, user: Any, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a console page (in the console's frame, with its headers) for the signed-in ``user``."""
    return templating.render(request, name, status=status_code, user=user, **context)


def redraw_refused(
    session: Any,
    exc: UndersignError,
    redraw: Callable[..., Response],
    *,
    keep: tuple[int, ...] | None = None,
    problems: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    """Undo the request's writes and draw the page again with the refusal's message and its field problems.

    ``redraw`` is called with ``status_code``, ``problems`` (by pointer, unless given) and ``message``, plus
    ``context``. With ``keep``, a refusal of another status is raised again (the console's error page
    answers it) and a kept one is answered with its own status; without it every refusal is a 422.
    """
    if keep is not None and exc.status not in keep:
        raise exc
    session.rollback()  # nothing of a refused form is kept
    return redraw(
        status_code=exc.status if keep is not None else 422,
        problems=problems or {e.pointer: e.reason for e in exc.errors},
        message=exc.detail,
        **context,
    )


@dataclass(frozen=True)
class ClausePick:
    """A clause a variant's choice puts in the document (for "what this choice changes")."""

    clause: str
    title: str


@dataclass(frozen=True)
class SchemaForm:
    """A template's form: its items, and per variant choice the clauses that choice picks."""

    items: tuple[FormItem, ...]
    picks: dict[str, tuple[ClausePick, ...]]

    def rows(self, item: FormRows, values: dict[str, str]) -> range:
        """Return the row indexes to draw for an array of objects."""
        return range(row_count(item, values))


def _picks(manifest: TemplateManifest, items: tuple[FormItem, ...]) -> dict[str, tuple[ClausePick, ...]]:
    """Return, per ``<variant name>=<choice>``, the clauses whose condition names that choice."""
    picks: dict[str, tuple[ClausePick, ...]] = {}
    for item in items:
        if not isinstance(item, FormVariant):
            continue
        for choice in item.choices:
            test = re.compile(
                rf"\b{re.escape(item.name)}\.{re.escape(item.discriminator)}\s*==\s*'{re.escape(choice.value)}'"
            )
            found = [
                ClausePick(v.clause, manifest.clauses[v.clause].title if v.clause in manifest.clauses else v.clause)
                for slot in manifest.slots
                for v in slot.variants
                if v.when and test.search(v.when)
            ]
            picks[f"{item.name}={choice.value}"] = tuple(found)
    return picks


_FORMS: dict[tuple[str, str, frozenset[str]], SchemaForm] = {}


def schema_form_for(manifest: TemplateManifest, skip: frozenset[str] = frozenset()) -> SchemaForm:
    """Return the form for a template (kept per template version: a version's schema never changes)."""
    key = (manifest.id, manifest.version, skip)
    if key not in _FORMS:
        items = form_items(manifest.schema, skip=skip)
        _FORMS[key] = SchemaForm(items=items, picks=_picks(manifest, items))
    return _FORMS[key]
