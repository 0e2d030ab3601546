"""Console fixtures: one signed-in browser (a ``TestClient`` with its own cookies) per role."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from domain.roles import Role
from tests.conftest import Api

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """Return the CSRF token of the first form on a console page."""
    found = _TOKEN.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


class Staff:
    """The console as each role's signed-in user sees it; posts carry the page's CSRF token unless told not to."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self._tokens: dict[Role, str] = {}

    def get(self, url: str, role: Role, **kw: Any) -> httpx.Response:
        """GET a console page as ``role``."""
        return self.api.get(url, role=role, **kw)

    def token(self, role: Role) -> str:
        """Return ``role``'s CSRF token (read from a page, as a browser would)."""
        if role not in self._tokens:
            page = self.get(f"/console/{_home(role)}", role)
            assert page.status_code == 200, page.text
            self._tokens[role] = csrf_of(page.text)
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
        return self.api.post(url, role=role, data=fields, files=files, headers=headers or {}, follow_redirects=False)


def _home(role: Role) -> str:
    return {Role.SALES: "sales", Role.TECH: "tech", Role.BILLING: "billing", Role.AUDITOR: "audit"}.get(role, "sales")


@pytest.fixture
def staff(api: Api) -> Iterator[Staff]:
    """Signed-in console users of every role."""
    yield Staff(api)
