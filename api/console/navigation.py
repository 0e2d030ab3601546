"""The console's navigation: one entry per area, shown to the roles that may use it.

An entry appears only when its page exists in the application (``visible_items`` checks the
routes), so an area's link shows up with the pages that serve it. Add an area's entry here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute

from domain.actor import Actor
from domain.roles import Role


@dataclass(frozen=True)
class NavItem:
    """A link in the console's navigation and the roles it is shown to (admins see everything)."""

    label: str
    href: str
    roles: frozenset[Role]


_EVERYONE = frozenset(Role)

NAV_ITEMS: list[NavItem] = [
    NavItem("Home", "/console", _EVERYONE),
    NavItem("Sales", "/console/sales", frozenset({Role.SALES})),
    NavItem("Technician", "/console/tech", frozenset({Role.TECH})),
    NavItem("Billing", "/console/billing", frozenset({Role.BILLING})),
    NavItem("Audit", "/console/audit", frozenset({Role.AUDITOR})),
    NavItem("Users", "/console/admin/users", frozenset({Role.ADMIN})),
    NavItem("API keys", "/console/admin/keys", frozenset({Role.ADMIN})),
    NavItem("Settings", "/console/admin/settings", frozenset({Role.ADMIN})),
    NavItem("Templates", "/console/admin/templates", frozenset({Role.ADMIN})),
    NavItem("My account", "/console/account", _EVERYONE),
]


def walk_routes(routes: Iterable[object], prefix: str = "") -> Iterator[tuple[str, str, APIRoute]]:
    """Yield (method, full path, route) for every API route, descending into included routers.

    FastAPI 0.16x keeps an included router as one node with its include prefix (``original_router``).
    """
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            yield from walk_routes(included.routes, prefix + str(getattr(context, "prefix", "")))
            continue
        if isinstance(route, APIRoute):
            for method in sorted(route.methods or ()):
                yield method, prefix + route.path, route


def _served_paths(app: FastAPI) -> frozenset[str]:
    cached: frozenset[str] | None = getattr(app.state, "console_paths", None)
    if cached is None:
        cached = frozenset(path for method, path, _route in walk_routes(app.routes) if method == "GET")
        app.state.console_paths = cached
    return cached


def visible_items(app: FastAPI, actor: Actor | None, current_path: str) -> list[tuple[NavItem, bool]]:
    """Return the entries ``actor`` may see whose page exists, each with whether it is the current page."""
    if actor is None:
        return []
    served = _served_paths(app)
    items = []
    for item in NAV_ITEMS:
        if item.href not in served:
            continue
        if not (actor.has_role(Role.ADMIN) or any(actor.has_role(role) for role in item.roles)):
            continue
        current = current_path == item.href or (item.href != "/console" and current_path.startswith(item.href + "/"))
        items.append((item, current))
    return items
