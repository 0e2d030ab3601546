"""Helpers for console tests: make a user who can sign in, and sign in through the real form.

``create_user`` goes through the same path as a person: the admin's invitation (here by the system,
without mail) and the one-time link's set-password step, so the stored password is an Argon2id hash
the sign-in form checks. ``sign_in`` fills in the form: with an httpx ``TestClient`` it posts it
with the page's CSRF token; with a Playwright ``Page`` it types and clicks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import httpx

from domain.roles import Role
from storage.database import unit_of_work
from undersign.runtime import Runtime
from undersign.service_factory import ServiceFactory

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def create_user(
    session_or_factory: Runtime | ServiceFactory,
    email: str,
    roles: Iterable[Role | str],
    password: str = "correct horse battery staple",
    *,
    name: str | None = None,
    title: str = "",
) -> str:
    """Create an active user with ``password`` and return their id (committed when given a ``Runtime``)."""
    names = [Role(role).value for role in roles]
    display = name or email.partition("@")[0].replace(".", " ").title()

    def make(factory: ServiceFactory) -> str:
        issued = factory.users().invite(email, display, title, names, send=False)
        token = issued.url.rsplit("/", 1)[1]
        factory.users().set_password(token, password, password)
        return issued.user.id

    if isinstance(session_or_factory, ServiceFactory):
        return make(session_or_factory)
    with unit_of_work(session_or_factory.sessions) as session:
        return make(ServiceFactory(session, session_or_factory))


def csrf_from(html: str) -> str:
    """Return the CSRF token of the first form on a console page."""
    found = _CSRF.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def page_csrf(client: Any, path: str = "/console/sign-in") -> str:
    """Open ``path`` with ``client`` and return its forms' CSRF token."""
    response = client.get(path)
    assert response.status_code == 200, response.text
    return csrf_from(response.text)


def post_form(
    client: Any, path: str, data: dict[str, Any] | None = None, *, token_from: str = "/console"
) -> httpx.Response:
    """POST a console form with the CSRF token of the page ``token_from`` (not following redirects)."""
    fields = {**(data or {}), "csrf_token": page_csrf(client, token_from)}
    response: httpx.Response = client.post(path, data=fields, follow_redirects=False)
    return response


def sign_in(
    client_or_page: Any, email: str, password: str = "correct horse battery staple", *, base_url: str = ""
) -> Any:
    """Sign in through the form: an httpx client gets the response; a Playwright page ends on the next page."""
    if hasattr(client_or_page, "goto"):
        page = client_or_page
        page.goto(f"{base_url}/console/sign-in")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_load_state()
        return page
    client = client_or_page
    return client.post(
        "/console/sign-in",
        data={"email": email, "password": password, "csrf_token": page_csrf(client, "/console/sign-in")},
        follow_redirects=False,
    )


def add_client_in_browser(page: Any, signer_email: str = "marcus@harbour.example") -> None:
    """On the sales page of a Playwright ``page``, add Harbour Dental Group (Texas) with ``signer_email`` as contact."""
    page.get_by_role("link", name="Add a client").click()
    page.get_by_label("Legal name").fill("Harbour Dental Group LLC")
    page.get_by_label("Where the client is").fill("US-TX")
    page.get_by_label("Billing e-mail").fill("ap@harbour.example")
    page.locator("#f-primary_contact-name").fill("Marcus Lee")
    page.locator("#f-primary_contact-title").fill("Owner")
    page.locator("#f-primary_contact-email").fill(signer_email)
    page.get_by_role("button", name="Add the client").click()
    page.wait_for_selector("text=The client was added.")


def fill_msa_form(page: Any) -> None:
    """From a client's page, pick the MSA and answer its form for a Texas client billed monthly (not previewed)."""
    page.get_by_role("link", name="New contract").click()
    page.get_by_label("Master Services Agreement").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Effective date").fill("2026-12-01")
    page.get_by_label("Currency").fill("USD")
    page.get_by_label("United States").check()
    page.locator("select[name='governing_law@US.region']").select_option("TX")
    page.get_by_label("Initial months").fill("36")
    page.get_by_label("Renewal months").fill("12")
    page.get_by_label("Non renewal notice days").fill("90")
    page.get_by_label("Monthly in advance").check()
    page.get_by_label("Net days").fill("15")
    page.locator("input[name='suspension_notice.days']").fill("10")
