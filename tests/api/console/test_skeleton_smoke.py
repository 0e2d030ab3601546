"""Smoke: the console's sign-in page renders and an admin can sign in and open the admin pages."""

from __future__ import annotations

import pytest

from domain.roles import Role
from tests.api.console.conftest import Browser
from tests.support.console import create_user, sign_in
from undersign.runtime import Runtime


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_admin_signs_in_and_opens_every_admin_page(runtime: Runtime, browser: Browser) -> None:
    """An admin's sign-in leads to the start page, and each admin page answers 200."""
    create_user(runtime, "ada@msp.example", [Role.ADMIN], name="Ada Admin")
    client = browser()
    response = sign_in(client, "ada@msp.example")
    assert response.status_code == 303, response.text
    for path in (
        "/console",
        "/console/admin/users",
        "/console/admin/keys",
        "/console/admin/settings",
        "/console/admin/templates",
        "/console/account",
    ):
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:500])
