"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) served from files installed with the package.

FastAPI's own pages load their scripts, styles and icon from a CDN, so on a machine without internet
(an air-gapped office, a laptop on a train) ``/docs`` is a blank page. The PyPI package
``fastapi-offline`` ships the same Swagger UI and ReDoc bundles; we serve its files under
``/docs-assets`` and point the pages at them, so the docs need nothing but this server.

Swagger UI's validator badge would send the spec's URL to ``validator.swagger.io``: it is turned off.
ReDoc's bundle still names a logo on ``cdn.redoc.ly``; the pages' Content Security Policy allows
nothing but this server (and ``data:``/``blob:``), so the browser never even asks another host.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
# Files the pages load: each must exist in the package, or the docs would be blank again.
ASSET_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")
SWAGGER_UI_PARAMETERS = {
    "validatorUrl": None,  # no call to validator.swagger.io
    "persistAuthorization": False,  # an API key is not kept in the browser's storage
    "displayRequestDuration": True,
}


# The scripts need inline code and eval (Swagger UI's start-up script, ReDoc's schema compiler) and
# blob: workers (ReDoc's search); what matters here is that nothing is loaded from another host.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def _same_host_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_CSP
    return page


def assets_dir() -> Path:
    """Return the folder of the Swagger UI and ReDoc files installed with ``fastapi-offline``."""
    folder = Path(str(files("fastapi_offline") / "static"))
    missing = [name for name in ASSET_FILES if not (folder / name).is_file()]
    if missing:
        raise RuntimeError(f"the API docs assets {missing} are missing from {folder}: reinstall fastapi-offline")
    return folder


def install_api_docs(app: FastAPI) -> None:
    """Serve the docs pages and their assets (the app must be created with ``docs_url=None, redoc_url=None``)."""
    app.mount(ASSETS_URL, StaticFiles(directory=assets_dir()), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        """The interactive API docs (Swagger UI), with an Authorize button for the bearer key."""
        root = request.scope.get("root_path", "")
        return _same_host_only(
            get_swagger_ui_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{app.title} - API docs",
                oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_URL}",
                swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
                swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
                swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
            )
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        """The page Swagger UI's OAuth2 flow returns to (kept for Swagger UI; keys need no OAuth2)."""
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        """The API reference (ReDoc), without web fonts from a CDN."""
        root = request.scope.get("root_path", "")
        return _same_host_only(
            get_redoc_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{app.title} - API reference",
                redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
                with_google_fonts=False,
            )
        )
