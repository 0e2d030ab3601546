"""Fixtures of the console tests: the app over the real runtime, and browsers (cookie jars) to open it with."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from domain.roles import Role
from tests.support.console import create_user, page_csrf, sign_in
from undersign.runtime import Runtime

Browser = Callable[[], TestClient]


@pytest.fixture
def console_app(runtime: Runtime) -> FastAPI:
    """The whole app (API and console) over the test runtime."""
    return create_app(runtime)


@pytest.fixture
def browser(console_app: FastAPI) -> Iterator[Browser]:
    """Open a new browser on the app: each has its own cookies, as two people's browsers do."""
    opened: list[TestClient] = []

    def open_browser() -> TestClient:
        client = TestClient(console_app, raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return client

    yield open_browser
    for client in opened:
        client.__exit__(None, None, None)


class Staff:
    """The console as a signed-in user of each role sees it; posts carry the page's CSRF token unless told not to."""

    NAMES = {
        Role.SALES: ("Sam Seller", "Account Manager"),
        Role.TECH: ("Dana Okafor", "Senior Systems Engineer"),
        Role.BILLING: ("Bea Biller", "Accounts Receivable"),
        Role.AUDITOR: ("Aud Itor", "External Auditor"),
        Role.ADMIN: ("Ada Admin", "Operations"),
    }

    def __init__(self, runtime: Runtime, browser: Browser) -> None:
        self._runtime = runtime
        self._browser = browser
        self._clients: dict[Role, TestClient] = {}
        self._tokens: dict[Role, str] = {}

    def client(self, role: Role) -> TestClient:
        """Return the browser of ``role``'s user, signed in through the form on first use."""
        if role not in self._clients:
            email = f"{role.value}@msp.example"
            name, title = self.NAMES[role]
            create_user(self._runtime, email, [role], name=name, title=title)
            client = self._browser()
            assert sign_in(client, email).status_code == 303
            self._clients[role] = client
        return self._clients[role]

    def get(self, url: str, role: Role, **kw: Any) -> httpx.Response:
        """GET a console page as ``role``."""
        return self.client(role).get(url, follow_redirects=False, **kw)

    def token(self, role: Role) -> str:
        """Return ``role``'s CSRF token, read from the console's home page as a browser would."""
        if role not in self._tokens:
            self._tokens[role] = page_csrf(self.client(role), "/console")
        return self._tokens[role]

    def post(
        self,
        url: str,
        role: Role,
        data: dict[str, Any] | None = None,
        *,
        csrf: bool = True,
        files: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST a form as ``role`` (with the CSRF field unless ``csrf`` is false)."""
        fields = dict(data or {})
        if csrf:
            fields["csrf_token"] = self.token(role)
        return self.client(role).post(url, data=fields, files=files, headers=headers or {}, follow_redirects=False)


@pytest.fixture
def staff(runtime: Runtime, browser: Browser) -> Staff:
    """Signed-in console users of every role (created on first use)."""
    return Staff(runtime, browser)
