"""What the console answers when a page cannot be shown: the sign-in page, or a page that says why.

A request without a live session is sent to the sign-in page (``303``, or ``HX-Redirect`` for an
htmx request, which would otherwise swap the sign-in page into a fragment). A role that may not do
something, or a form without its CSRF token, gets a ``403`` page in plain words: the refusal is made
on the server whatever the page showed.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.templating import render
from api.console_access import ConsoleRefused, ConsoleSignInRequired


def sign_in_url(request: Request) -> str:
    """Return the sign-in page's address, bringing the person back to this page afterwards (GET only)."""
    if request.method != "GET" or request.url.path in ("/console/sign-in", "/console"):
        return "/console/sign-in"
    return f"/console/sign-in?next={quote(request.url.path, safe='/')}"


def error_page(request: Request, status: int, heading: str, message: str) -> HTMLResponse:
    """Return the console's error page."""
    return render(request, "error.html", status=status, title=heading, heading=heading, message=message)


def install_console_errors(app: FastAPI) -> None:
    """Register the console's answers to a missing session and to a refusal."""

    @app.exception_handler(ConsoleSignInRequired)
    async def _sign_in(request: Request, exc: ConsoleSignInRequired) -> Response:
        target = sign_in_url(request)
        if request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(ConsoleRefused)
    async def _refused(request: Request, exc: ConsoleRefused) -> Response:
        return error_page(request, exc.status, exc.heading, exc.message)
