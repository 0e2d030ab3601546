"""The staff console in Debian's Chromium (Playwright) over a real server: invitation to sign-in, and a second factor.

An admin invites a colleague on the users page; the colleague opens the link from the e-mail the
loopback SMTP server received, chooses a password, and signs in on a phone-sized screen. Another
person turns on an authenticator app and signs in with its code. Screenshots at 390 and 1280 px are
kept in the test's folder to look at; htmx must be loaded from the package under the page's CSP.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyotp

from domain.roles import Role
from tests.api.envelope_support import text_of
from tests.browser.test_signing_page import (  # noqa: F401 - fixtures reused by name
    browser,
    database_url,
    port,
    server,
    settings,
    smtp,
)
from tests.support.console import create_user, sign_in
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import Runtime

LINK = re.compile(r"https?://[^\s]+/console/set-password/[A-Za-z0-9_\-]+")
PASSWORD = "a long and unguessable phrase"


def invitation(mail: LoopbackSmtpServer, address: str) -> str:
    """Return the set-password link mailed to ``address``."""
    for received in mail.received:
        if address in received.recipients:
            found = LINK.search(text_of(received.message))
            assert found is not None
            return found.group(0)
    raise AssertionError(f"no invitation to {address}")


def new_page(chromium: Any, width: int) -> Any:
    """Open a fresh browser context (its own cookies) with a page ``width`` pixels wide."""
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    # Generous: the machine's two cores are shared with other test runs; nothing here measures speed.
    page.set_default_timeout(60_000)
    return page


class TestConsoleInChromium:
    def test_invited_user_sets_a_password_and_signs_in(
        self,
        server: str,  # noqa: F811
        browser: Any,  # noqa: F811
        smtp: LoopbackSmtpServer,  # noqa: F811
        runtime: Runtime,
        tmp_path: Path,
    ) -> None:
        """Invite on the users page, set the password from the mailed link, sign in on a phone and be greeted."""
        create_user(runtime, "ada@msp.example", [Role.ADMIN], PASSWORD, name="Ada Admin", title="Operations Director")
        admin = new_page(browser, 1280)
        errors: list[str] = []
        admin.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        sign_in(admin, "ada@msp.example", PASSWORD, base_url=server)
        assert admin.url == f"{server}/console"
        assert admin.evaluate("typeof window.htmx") == "object"  # vendored htmx ran under the CSP
        admin.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
        admin.get_by_label("E-mail address").fill("sam@msp.example")
        admin.get_by_label("Name", exact=True).fill("Sam Sales")
        admin.get_by_label("Title").fill("Account Manager")
        admin.locator("#invite-heading + p + form").get_by_label("sales").check()
        admin.get_by_role("button", name="Send the invitation").click()
        admin.wait_for_selector(".flash")
        assert "Invitation sent to sam@msp.example" in admin.locator(".flash").inner_text()
        admin.screenshot(path=str(tmp_path / "users-1280.png"), full_page=True)
        assert errors == []

        phone = new_page(browser, 390)
        phone.goto(invitation(smtp, "sam@msp.example"))
        phone.get_by_label("New password").fill(PASSWORD)
        phone.get_by_label("The same password again").fill(PASSWORD)
        phone.screenshot(path=str(tmp_path / "set-password-390.png"), full_page=True)
        phone.get_by_role("button", name="Set password").click()
        phone.wait_for_selector(".flash")
        assert "Your password is set" in phone.locator(".flash").inner_text()
        phone.screenshot(path=str(tmp_path / "sign-in-390.png"), full_page=True)
        sign_in(phone, "sam@msp.example", PASSWORD, base_url=server)
        assert phone.get_by_role("heading", name="Welcome, Sam Sales").is_visible()
        assert phone.get_by_role("link", name="Users").count() == 0  # no admin pages for sales
        phone.screenshot(path=str(tmp_path / "home-390.png"), full_page=True)

    def test_authenticator_app_enrolment_then_sign_in_with_a_code(
        self,
        server: str,  # noqa: F811
        browser: Any,  # noqa: F811
        runtime: Runtime,
    ) -> None:
        """Turn on the second factor under My account; the next sign-in asks for the app's code and accepts it."""
        create_user(runtime, "tess@msp.example", [Role.TECH], PASSWORD, name="Tess Tech")
        page = new_page(browser, 1280)
        sign_in(page, "tess@msp.example", PASSWORD, base_url=server)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="My account").click()
        page.get_by_role("button", name="Set up an authenticator app").click()
        assert page.locator(".qr svg").is_visible()
        totp = pyotp.TOTP(page.locator("#totp-secret").inner_text())
        page.get_by_label("Code from the app").fill(totp.at(runtime.clock.now()))
        page.get_by_role("button", name="Turn on").click()
        page.wait_for_selector(".flash")
        page.get_by_role("button", name="Sign out").click()

        sign_in(page, "tess@msp.example", PASSWORD, base_url=server)
        assert page.get_by_role("heading", name="Enter your code").is_visible()
        page.get_by_label("The 6-digit code").fill(totp.at(runtime.clock.now()))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Welcome, Tess Tech").is_visible()
