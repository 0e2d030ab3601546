"""The staff console: server-rendered pages for sales, technicians, billing, auditors and admins.

``router`` is mounted by the app factory; it serves ``/console/...``. Every POST (PUT, PATCH,
DELETE) on it passes ``console_csrf`` first, whichever module added the route: include an area's
router into ``router`` here. Pages use ``ConsoleUser`` (the signed-in user, or a redirect to the
sign-in page) and ``console_permitted(...)`` (a 403 page for a role without the permission), both
from ``api.deps``; templates extend ``base.html`` and put ``{{ csrf_field() }}`` in every form.
htmx is served from this package (``/console/static/htmx.min.js``), never from a CDN.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from api.console import account_pages, admin_pages, audit, billing, home, sales, sign_in_pages, static_files, tech
from api.console.errors import install_console_errors
from api.deps import console_csrf

router = APIRouter(prefix="/console", include_in_schema=False, dependencies=[Depends(console_csrf)])
router.include_router(static_files.router)
router.include_router(sign_in_pages.router)
# The start page is /console itself, which only the parent router (with the prefix) can serve.
router.add_api_route("", home.home, methods=["GET"], response_class=HTMLResponse)
router.include_router(account_pages.router)
router.include_router(admin_pages.router)
# The role pages: one module per area.
router.include_router(sales.router)
router.include_router(tech.router)
router.include_router(billing.router)
router.include_router(audit.router)

__all__ = ["install_console_errors", "router"]
