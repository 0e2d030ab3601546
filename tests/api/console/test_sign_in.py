"""Signing in to the console through its forms: invitation, password, lockout, CSRF, sessions, the second factor.

Each test drives the real app (httpx ``TestClient``, one per browser) over the real database, reads
the invitation from a real SMTP server on loopback, and checks what was stored and audited.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from sqlalchemy import select

from domain.roles import Role
from storage.tables import audit_events
from storage.tables_users import console_sessions, users
from tests.api.console.conftest import Browser
from tests.api.envelope_support import text_of
from tests.fakes.clock import FixedClock
from tests.support.console import create_user, csrf_from, page_csrf, post_form, sign_in
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import Runtime
from undersign.settings import Settings

LINK = re.compile(r"https?://[^\s/]+(/console/set-password/[A-Za-z0-9_\-]+)")
PASSWORD = "a long and unguessable phrase"


@pytest.fixture
def smtp() -> Iterator[LoopbackSmtpServer]:
    """A real SMTP server on loopback, where invitations go."""
    server = LoopbackSmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, smtp: LoopbackSmtpServer) -> Settings:
    """The test settings with mail going to the loopback SMTP server."""
    mail = settings.mail.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "starttls": False})
    return settings.model_copy(update={"mail": mail})


def invitation_link(smtp: LoopbackSmtpServer, address: str) -> str:
    """Return the set-password path of the last invitation mailed to ``address``."""
    for received in reversed(smtp.received):
        if address in received.recipients:
            text = text_of(received.message)
            found = LINK.search(text)
            assert found is not None, text
            return found.group(1)
    raise AssertionError(f"no mail to {address}")


def actions(runtime: Runtime) -> list[tuple[str, str, Any]]:
    """Return (action, actor kind, payload) of every audit event, oldest first."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(audit_events.c.action, audit_events.c.actor_kind, audit_events.c.payload).order_by(
                audit_events.c.seq
            )
        ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def admin_browser(runtime: Runtime, browser: Browser) -> Any:
    """Create an admin and return a browser signed in as them."""
    create_user(runtime, "ada@msp.example", [Role.ADMIN], name="Ada Admin", title="Operations Director")
    client = browser()
    assert sign_in(client, "ada@msp.example").status_code == 303
    return client


class TestInvitation:
    def test_invite_set_password_and_sign_in(
        self, runtime: Runtime, browser: Browser, smtp: LoopbackSmtpServer
    ) -> None:
        """An admin invites by e-mail; the link sets a password once; the user signs in and sees their name."""
        admin = admin_browser(runtime, browser)
        invited = post_form(
            admin,
            "/console/admin/users",
            {"email": "Sam@MSP.example", "display_name": "Sam Sales", "title": "Account Manager", "roles": ["sales"]},
            token_from="/console/admin/users",
        )
        assert invited.status_code == 303, invited.text
        assert "sam@msp.example" in admin.get("/console/admin/users").text

        sam = browser()
        link = invitation_link(smtp, "sam@msp.example")
        form = sam.get(link)
        assert form.status_code == 200 and "Sam Sales" in form.text
        short = sam.post(link, data={"password": "short", "confirm": "short", "csrf_token": csrf_from(form.text)})
        assert short.status_code == 422 and "at least 12 characters" in short.text
        done = sam.post(
            link,
            data={"password": PASSWORD, "confirm": PASSWORD, "csrf_token": csrf_from(form.text)},
            follow_redirects=False,
        )
        assert done.status_code == 303 and done.headers["location"] == "/console/sign-in"
        with runtime.engine.connect() as conn:
            stored = conn.execute(select(users.c.password_hash).where(users.c.email == "sam@msp.example")).scalar_one()
        assert stored.startswith("$argon2id$") and PASSWORD not in stored

        again = sam.get(link)
        assert again.status_code == 404 and "used or has expired" in again.text

        signed_in = sign_in(sam, "sam@msp.example", PASSWORD)
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console"
        cookie = next(h for h in signed_in.headers.get_list("set-cookie") if h.startswith("undersign_console="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
        assert "Secure" not in cookie  # plain http in this test; the https test below checks Secure
        home = sam.get("/console")
        assert home.status_code == 200 and "Welcome, Sam Sales" in home.text
        assert [a for a, _, _ in actions(runtime) if a.startswith("user.")][-3:] == [
            "user.link_issued",
            "user.password_set",
            "user.signed_in",
        ]

    def test_an_expired_link_sets_nothing(
        self, runtime: Runtime, browser: Browser, clock: FixedClock, smtp: LoopbackSmtpServer
    ) -> None:
        """A link older than the invitation lifetime is refused and the user still has no password."""
        admin = admin_browser(runtime, browser)
        post_form(
            admin,
            "/console/admin/users",
            {"email": "late@msp.example", "display_name": "Late", "roles": ["tech"]},
            token_from="/console/admin/users",
        )
        link = invitation_link(smtp, "late@msp.example")
        clock.advance(hours=runtime.settings.console.invite_hours, seconds=1)
        late = browser()
        assert late.get(link).status_code == 404
        refused = late.post(link, data={"password": PASSWORD, "confirm": PASSWORD, "csrf_token": page_csrf(late)})
        assert refused.status_code == 404
        with runtime.engine.connect() as conn:
            assert (
                conn.execute(select(users.c.password_hash).where(users.c.email == "late@msp.example")).scalar_one()
                is None
            )


class TestLockout:
    def test_five_wrong_passwords_lock_the_account_for_a_bounded_time(
        self, runtime: Runtime, browser: Browser, clock: FixedClock
    ) -> None:
        """Five failures in a row lock the account (even the right password is refused) until the lock ends."""
        create_user(runtime, "tess@msp.example", [Role.TECH], PASSWORD)
        client = browser()
        for attempt in range(1, 6):
            wrong = sign_in(client, "tess@msp.example", f"wrong password {attempt}")
            assert wrong.status_code == 401 and "e-mail address or password is wrong" in wrong.text
        locked = sign_in(client, "tess@msp.example", PASSWORD)
        assert locked.status_code == 403 and "locked" in locked.text
        assert "undersign_console=" not in locked.headers.get("set-cookie", "")
        recorded = [a for a, _, _ in actions(runtime)]
        assert recorded.count("user.sign_in_failed") == 5
        assert recorded.count("user.locked") == 1 and "user.sign_in_refused" in recorded

        clock.advance(minutes=runtime.settings.console.lock_minutes, seconds=1)
        assert sign_in(client, "tess@msp.example", PASSWORD).status_code == 303

    def test_an_unknown_address_gets_the_same_answer_as_a_wrong_password(
        self, runtime: Runtime, browser: Browser
    ) -> None:
        """The form does not reveal which addresses have accounts."""
        create_user(runtime, "tess@msp.example", [Role.TECH], PASSWORD)
        client = browser()
        unknown = sign_in(client, "nobody@msp.example", PASSWORD)
        wrong = sign_in(client, "tess@msp.example", "not the password")
        assert unknown.status_code == wrong.status_code == 401
        assert (
            "e-mail address or password is wrong" in unknown.text
            and "e-mail address or password is wrong" in wrong.text
        )


class TestCsrf:
    def test_a_form_without_its_token_is_refused_and_changes_nothing(self, runtime: Runtime, browser: Browser) -> None:
        """An admin's invitation posted without (or with a wrong) CSRF token gets 403 and creates no user."""
        admin = admin_browser(runtime, browser)
        fields = {"email": "x@msp.example", "display_name": "X", "roles": ["sales"]}
        missing = admin.post("/console/admin/users", data=fields)
        wrong = admin.post("/console/admin/users", data={**fields, "csrf_token": "a" * 43})
        assert missing.status_code == wrong.status_code == 403
        assert "did not come from this site" in missing.text
        with runtime.engine.connect() as conn:
            assert conn.execute(select(users.c.id).where(users.c.email == "x@msp.example")).first() is None

    def test_htmx_sends_the_token_in_a_header(self, runtime: Runtime, browser: Browser) -> None:
        """The page's ``hx-headers`` token in ``X-CSRF-Token`` is accepted in place of the form field."""
        admin = admin_browser(runtime, browser)
        page = admin.get("/console/admin/users").text
        header = re.search(r'hx-headers=\'\{"X-CSRF-Token": "([^"]+)"\}\'', page)
        assert header is not None and header.group(1) == csrf_from(page)
        sent = admin.post(
            "/console/admin/users",
            data={"email": "h@msp.example", "display_name": "H", "roles": ["sales"]},
            headers={"X-CSRF-Token": header.group(1), "HX-Request": "true"},
            follow_redirects=False,
        )
        assert sent.status_code == 303

    def test_the_sign_in_form_needs_its_token_too(self, runtime: Runtime, browser: Browser) -> None:
        """A sign-in posted from another site (no pre-sign-in token) is refused before the password is checked."""
        create_user(runtime, "tess@msp.example", [Role.TECH], PASSWORD)
        client = browser()
        forged = client.post("/console/sign-in", data={"email": "tess@msp.example", "password": PASSWORD})
        assert forged.status_code == 403
        assert "user.sign_in_failed" not in [a for a, _, _ in actions(runtime)]


class TestSessions:
    def test_sign_in_issues_a_new_session_and_sign_out_ends_it(self, runtime: Runtime, browser: Browser) -> None:
        """Each sign-in gets a fresh session id; after sign-out the old cookie opens nothing."""
        create_user(runtime, "tess@msp.example", [Role.TECH], PASSWORD)
        client = browser()
        client.cookies.set("undersign_console", "planted-by-an-attacker", domain="testserver.local", path="/console")
        sign_in(client, "tess@msp.example", PASSWORD)
        first = client.cookies.get("undersign_console", path="/console")
        assert first and first != "planted-by-an-attacker"
        post_form(client, "/console/sign-out")
        sign_in(client, "tess@msp.example", PASSWORD)
        second = client.cookies.get("undersign_console", path="/console")
        assert second and second != first

        stale = browser()
        stale.cookies.set("undersign_console", first, domain="testserver.local", path="/console")
        assert stale.get("/console", follow_redirects=False).headers["location"] == "/console/sign-in"
        with runtime.engine.connect() as conn:
            ended = conn.execute(select(console_sessions.c.ended_at).order_by(console_sessions.c.created_at)).all()
        assert ended[0][0] is not None and ended[1][0] is None

    def test_cookies_are_secure_over_https(self, runtime: Runtime, console_app: Any) -> None:
        """Over HTTPS the session cookie is also ``Secure``."""
        from fastapi.testclient import TestClient

        create_user(runtime, "tess@msp.example", [Role.TECH], PASSWORD)
        with TestClient(console_app, base_url="https://testserver") as client:
            response = sign_in(client, "tess@msp.example", PASSWORD)
        cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("undersign_console="))
        assert "Secure" in cookie and "HttpOnly" in cookie

    def test_an_idle_session_ends(self, runtime: Runtime, browser: Browser, clock: FixedClock) -> None:
        """A session unused for longer than the idle limit no longer signs the browser in."""
        create_user(runtime, "tess@msp.example", [Role.TECH], PASSWORD)
        client = browser()
        sign_in(client, "tess@msp.example", PASSWORD)
        assert client.get("/console").status_code == 200
        clock.advance(minutes=runtime.settings.console.idle_minutes, seconds=1)
        assert client.get("/console", follow_redirects=False).status_code == 303

    def test_a_page_without_a_session_goes_to_sign_in_and_comes_back(self, runtime: Runtime, browser: Browser) -> None:
        """Opening an admin page signed out leads to the sign-in form, which returns there afterwards."""
        create_user(runtime, "ada@msp.example", [Role.ADMIN], PASSWORD)
        client = browser()
        first = client.get("/console/admin/keys", follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"] == "/console/sign-in?next=/console/admin/keys"
        form = client.get(first.headers["location"])
        done = client.post(
            "/console/sign-in",
            data={
                "email": "ada@msp.example",
                "password": PASSWORD,
                "next": "/console/admin/keys",
                "csrf_token": csrf_from(form.text),
            },
            follow_redirects=False,
        )
        assert done.headers["location"] == "/console/admin/keys"
        elsewhere = sign_in(browser(), "ada@msp.example", PASSWORD)
        assert elsewhere.headers["location"] == "/console"
        evil = browser()
        page = evil.get("/console/sign-in")
        off_site = evil.post(
            "/console/sign-in",
            data={
                "email": "ada@msp.example",
                "password": PASSWORD,
                "next": "//evil.example/",
                "csrf_token": csrf_from(page.text),
            },
            follow_redirects=False,
        )
        assert off_site.headers["location"] == "/console"


class TestSecondFactor:
    def test_enrol_an_authenticator_and_sign_in_with_its_code(
        self, runtime: Runtime, browser: Browser, clock: FixedClock
    ) -> None:
        """After enrolment, the password alone no longer signs in: the app's current code does, a wrong one does not."""
        create_user(runtime, "tess@msp.example", [Role.TECH], PASSWORD)
        client = browser()
        sign_in(client, "tess@msp.example", PASSWORD)
        started = post_form(client, "/console/account/totp/start", token_from="/console/account")
        assert started.status_code == 200 and "<svg" in started.text
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', started.text)
        assert secret is not None
        totp = pyotp.TOTP(secret.group(1))
        bad = post_form(client, "/console/account/totp/confirm", {"code": "000000"}, token_from="/console/account")
        assert bad.status_code == 422
        on = post_form(
            client, "/console/account/totp/confirm", {"code": totp.at(clock.now())}, token_from="/console/account"
        )
        assert on.status_code == 303
        assert "Signing in asks for a code" in client.get("/console/account").text
        post_form(client, "/console/sign-out")

        step = sign_in(client, "tess@msp.example", PASSWORD)
        assert step.status_code == 303 and step.headers["location"].startswith("/console/sign-in/code")
        assert client.get("/console", follow_redirects=False).status_code == 303  # not signed in yet
        page = client.get("/console/sign-in/code")
        wrong = client.post("/console/sign-in/code", data={"code": "123456", "csrf_token": csrf_from(page.text)})
        assert wrong.status_code == 401 and "code is wrong" in wrong.text
        right = client.post(
            "/console/sign-in/code",
            data={"code": totp.at(clock.now()), "csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert right.status_code == 303 and right.headers["location"] == "/console"
        assert client.get("/console").status_code == 200
        signed = [p for a, _, p in actions(runtime) if a == "user.signed_in"]
        assert signed[-1]["method"] == "password+code"
