"""``/docs`` and ``/redoc`` in a real browser with no network beyond this server.

Debian's headless Chromium loads the pages from a real uvicorn server; every request to another host
is recorded and refused, as it would fail on a machine without internet. The pages must render
anyway (Swagger UI lists the operations and offers the Authorize button for the bearer key; ReDoc
shows the reference), and the browser must not even have tried to reach another host.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from domain.roles import Role
from services.api_keys import ApiKeyService
from storage.api_key_repository import SqlApiKeyRepository
from storage.audit_trail import SqlAuditTrail
from storage.database import unit_of_work
from tests.browser.test_signing_page import browser, port, server  # noqa: F401  (the same fixtures)
from undersign.runtime import Runtime

# Generous: the machine's two cores are shared with other test runs; nothing here measures speed.
TIMEOUT_MS = 60_000


@pytest.fixture
def offline_page(browser: Any, server: str) -> Iterator[tuple[Any, list[str]]]:  # noqa: F811
    """A browser page that may reach only the test server; other hosts are refused and listed."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    own = urlsplit(server).netloc
    elsewhere: list[str] = []

    def gate(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).netloc == own:
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort("internetdisconnected")

    page.route("**/*", gate)
    yield page, elsewhere
    context.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
class TestApiDocsOffline:
    def test_swagger_ui_renders_with_authorize_and_no_request_off_host(
        self,
        offline_page: tuple[Any, list[str]],
        server: str,  # noqa: F811
        runtime: Runtime,
        tmp_path: Any,
    ) -> None:
        """Swagger UI lists the operations offline; a key entered under Authorize makes "Try it out" answer 200."""
        with unit_of_work(runtime.sessions) as session:
            keys = ApiKeyService(SqlApiKeyRepository(session), runtime.clock, SqlAuditTrail(session, runtime.clock))
            _record, key = keys.create("docs-reader", Role.AUDITOR)
        page, elsewhere = offline_page
        page.goto(f"{server}/docs", timeout=TIMEOUT_MS)
        page.wait_for_selector(".swagger-ui .info .title", timeout=TIMEOUT_MS)
        assert "undersign" in page.inner_text(".swagger-ui .info .title")
        page.wait_for_selector(".opblock", timeout=TIMEOUT_MS)
        assert page.locator(".opblock").count() > 20
        page.click("button.authorize", timeout=TIMEOUT_MS)
        dialog = page.wait_for_selector(".auth-container", timeout=TIMEOUT_MS)
        assert dialog is not None
        text = dialog.inner_text()
        assert "bearerAuth" in text and "Bearer" in text
        page.fill(".auth-container input", key)
        page.click(".auth-container button.authorize")
        page.click("button.btn-done")
        operation = page.locator("#operations-clients-search_clients_v1_clients_get")
        operation.locator(".opblock-summary").click()
        operation.locator("button.try-out__btn").click()
        operation.locator("button.execute").click()
        status = operation.locator(".live-responses-table .response .response-col_status").first
        status.wait_for(timeout=TIMEOUT_MS)
        assert status.inner_text().strip().startswith("200")
        page.screenshot(path=str(tmp_path / "docs.png"))
        assert elsewhere == []

    def test_redoc_renders_with_no_request_off_host(
        self,
        offline_page: tuple[Any, list[str]],
        server: str,  # noqa: F811
    ) -> None:
        """ReDoc shows the API reference (title, operations, the problem schema) without any other host."""
        page, elsewhere = offline_page
        page.goto(f"{server}/redoc", timeout=TIMEOUT_MS)
        page.wait_for_selector(".api-info h1", timeout=TIMEOUT_MS)
        assert "undersign" in page.inner_text(".api-info h1")
        page.locator("h2", has_text="Create Client").first.wait_for(state="visible", timeout=TIMEOUT_MS)
        page.locator("h2", has_text="Get Sealed Copy").first.wait_for(state="attached", timeout=TIMEOUT_MS)
        assert elsewhere == []
