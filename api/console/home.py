"""The console's start page: what the signed-in person can do here, by role."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.console.navigation import visible_items
from api.console.templating import render
from api.deps import ConsoleUser


def home(request: Request, actor: ConsoleUser) -> HTMLResponse:
    """Show the start page with a link to each area the person's roles open."""
    areas = [item for item, _current in visible_items(request.app, actor, request.url.path) if item.href != "/console"]
    return render(request, "home.html", title="Start", areas=areas)
