"""The console's routes under each role: a write a role may not do is refused on the server, whatever the page showed.

The tests walk the app's routes, so a console write route added later (by any area) is covered as
soon as it exists: an auditor posting to it, with a valid CSRF token, must get 403 and change nothing.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from api.console.navigation import walk_routes
from domain.roles import Role
from storage.tables import audit_head
from tests.api.console.conftest import Browser
from tests.support.console import create_user, page_csrf, sign_in
from undersign.runtime import Runtime

_PARAM = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")
# Routes a person uses before or while signing in: open to anyone, roles do not apply.
SIGNED_OUT = {"/console/sign-in", "/console/sign-in/code", "/console/set-password/{token}"}
# Routes every signed-in person may post to, whatever their role: their own session and account.
OWN_ACCOUNT = {"/console/sign-out", "/console/account/totp/start", "/console/account/totp/confirm"}


def console_writes(app: object) -> list[str]:
    """Return the path of every console route that takes a POST, PUT, PATCH or DELETE."""
    return sorted(
        {
            path
            for method, path, _route in walk_routes(app.routes)  # type: ignore[attr-defined]
            if path.startswith("/console") and method in {"POST", "PUT", "PATCH", "DELETE"}
        }
    )


def head_seq(runtime: Runtime) -> int:
    """Return the audit chain's head (every change appends to it)."""
    with runtime.engine.connect() as conn:
        seq: int = conn.execute(select(audit_head.c.seq).where(audit_head.c.id == 1)).scalar_one()
    return seq


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
class TestConsoleRoles:
    def test_an_auditor_gets_403_on_every_console_write_route(self, runtime: Runtime, browser: Browser) -> None:
        """Every console write route (but sign-in and one's own account) answers an auditor 403 and records nothing."""
        target = create_user(runtime, "sam@msp.example", [Role.SALES])
        create_user(runtime, "ann@msp.example", [Role.AUDITOR], name="Ann Auditor")
        client = browser()
        assert sign_in(client, "ann@msp.example").status_code == 303
        token = page_csrf(client, "/console")
        writes = [path for path in console_writes(client.app) if path not in SIGNED_OUT | OWN_ACCOUNT]
        assert "/console/admin/users" in writes and "/console/admin/keys/{name}/revoke" in writes
        failures = []
        for path in writes:
            url = _PARAM.sub(lambda m: target if m.group(1) == "user_id" else "test-admin", path)
            before = head_seq(runtime)
            form = {"csrf_token": token, "email": "x@msp.example", "display_name": "X", "roles": ["admin"]}
            response = client.post(url, data=form, follow_redirects=False)
            if response.status_code != 403 or head_seq(runtime) != before:
                failures.append(f"POST {path}: {response.status_code}")
            elif "may not do this" not in response.text:
                failures.append(f"POST {path}: 403 without saying why")
        assert not failures, "\n".join(failures)

    def test_console_writes_need_a_session(self, runtime: Runtime, browser: Browser) -> None:
        """Signed out, every console write other than signing in is refused (CSRF) or sent to sign in."""
        client = browser()
        token = page_csrf(client, "/console/sign-in")
        for path in console_writes(client.app):
            if path in SIGNED_OUT:
                continue
            response = client.post(_PARAM.sub("x", path), data={"csrf_token": token}, follow_redirects=False)
            assert response.status_code in (303, 403), (path, response.status_code)
            if response.status_code == 303:
                assert response.headers["location"].startswith("/console/sign-in"), path

    def test_admin_pages_are_refused_to_other_roles(self, runtime: Runtime, browser: Browser) -> None:
        """A sales user opening an admin page gets the 403 page, and the navigation shows no admin links."""
        create_user(runtime, "sam@msp.example", [Role.SALES])
        client = browser()
        sign_in(client, "sam@msp.example")
        admin_pages = (
            "/console/admin/users",
            "/console/admin/keys",
            "/console/admin/settings",
            "/console/admin/templates",
        )
        for path in admin_pages:
            refused = client.get(path)
            assert refused.status_code == 403 and "may not do this" in refused.text, path
        home = client.get("/console").text
        assert "/console/admin/users" not in home and "/console/account" in home

    def test_the_refusal_is_also_made_by_the_service(self, runtime: Runtime) -> None:
        """Even a route that forgot its check could not invite: the user service requires keys:manage itself."""
        from domain.errors import Forbidden
        from services.users import user_actor
        from storage.database import unit_of_work
        from undersign.service_factory import ServiceFactory

        create_user(runtime, "ann@msp.example", [Role.AUDITOR])
        with unit_of_work(runtime.sessions) as session:
            factory = ServiceFactory(session, runtime)
            auditor = user_actor(factory.users().by_email("ann@msp.example"))
            with pytest.raises(Forbidden):
                factory.users().invite("x@msp.example", "X", "", ["admin"], by=auditor, send=False)
