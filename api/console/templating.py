"""Rendering the console's pages: Jinja2 templates from this package, autoescaped, with the page frame.

Every page gets ``request``, the signed-in ``actor`` (or ``None``), its ``csrf_token``, the
navigation for the actor's roles and the flash message left by the previous response. Templates
write ``{{ csrf_field() }}`` inside every form; the ``<body>`` carries the same token in
``hx-headers`` so that htmx requests send it as ``X-CSRF-Token``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from api.console import cookies
from api.console.navigation import visible_items
from api.console.wording import who_words
from api.console_access import CSRF_FIELD, CSRF_HEADER

TEMPLATES = Path(__file__).parent / "templates"

# Scripts only from our own origin (the vendored htmx), styles only from our stylesheet, no framing.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@pass_context
def csrf_field(context: Context) -> Markup:
    """Return the hidden form field that carries this page's CSRF token (use inside every ``<form>``)."""
    token = context.get("csrf_token") or ""
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">')  # noqa: S704 - escaped


environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.globals["csrf_field"] = csrf_field
environment.globals["CSRF_HEADER"] = CSRF_HEADER
# Who did something, in words (stored labels such as ``user:bea@msp.example(billing)`` are for machines).
environment.globals["who_words"] = who_words


def page_csrf_token(request: Request) -> str:
    """Return the CSRF token for forms on this page: the session's, or the pre-sign-in cookie's."""
    token: str | None = getattr(request.state, "console_csrf", None)
    return token if token else cookies.anonymous_csrf(request)


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a console page with its frame, headers and cookies."""
    actor = getattr(request.state, "console_actor", None)
    flash = cookies.take_flash(request)
    html = environment.get_template(template).render(
        request=request,
        actor=actor,
        csrf_token=page_csrf_token(request),
        nav=visible_items(request.app, actor, request.url.path),
        flash=flash,
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers=page_headers())
    if flash is not None:
        cookies.clear_cookie(request, response, cookies.FLASH)
    cookies.keep_anonymous_csrf(request, response)
    return response


def page_headers() -> dict[str, str]:
    """Return the headers of every console page: no caching of personal pages, no framing, strict CSP."""
    return {
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Content-Security-Policy": CSP,
    }
