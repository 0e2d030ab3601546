"""Errors on the signing pages are HTML pages a person can act on; the API's errors stay problem+json.

Each case is a real signer flow through the app: a link from the loopback SMTP server, the consent
form, then a refused form, a mail relay that is down, a body over the size limit, a mistyped address.
The page must be HTML with the problem's status (and ``Retry-After`` for an outage), say what to do,
and nothing must be stored: the signer is still unsigned afterwards.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from tests.api.envelope_support import link_for, send_msa
from tests.api.test_role_matrix import settings, smtp  # noqa: F401  (mail goes to the loopback SMTP server)
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer

DANA = "dana@northwind.example"
HTML = "text/html"


def hidden_fields(page: str, action: str) -> dict[str, str]:
    """Return the hidden inputs of the form posting to ``action`` (so any token the page carries is sent back)."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S)
    assert form is not None, f"no form posts to {action}"
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", form.group(1)):
        if 'type="hidden"' in tag:
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            if name:
                fields[name.group(1)] = unescape(value.group(1)) if value else ""
    return fields


def at_sign_step(api: Api, smtp: LoopbackSmtpServer) -> tuple[str, dict[str, Any], dict[str, str]]:  # noqa: F811
    """Send an MSA, open Dana's link, consent; return her link, the envelope, and the sign form's hidden fields."""
    envelope = send_msa(api)
    link = link_for(smtp, DANA)
    page = api.client.get(link).text
    consent = {**hidden_fields(page, f"{link}/consent"), "agree": "yes"}
    assert api.client.post(f"{link}/consent", data=consent, follow_redirects=False).status_code == 303
    page = api.client.get(link).text
    return link, envelope, hidden_fields(page, f"{link}/sign")


def dana_status(api: Api, envelope_id: str) -> str:
    """Return Dana's signer status as the API reports it."""
    envelope = api.get(f"/v1/envelopes/{envelope_id}").json()
    status: str = next(s["status"] for s in envelope["signers"] if s["email"] == DANA)
    return status


def text(page: str) -> str:
    """Return the visible text of an HTML page, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", "", page, flags=re.S))).split())


class TestSigningErrorPages:
    def test_a_field_over_its_limit_is_a_page_naming_the_field_and_nothing_is_stored(
        self,
        api: Api,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """A 300-character name is refused with a 422 HTML page that names "Your full name"; Dana stays unsigned."""
        link, envelope, hidden = at_sign_step(api, smtp)
        form = {**hidden, "full_name": "D" * 300, "title": "Office Manager", "attest": "yes", "method": "typed"}
        response = api.client.post(f"{link}/sign", data=form)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith(HTML)
        shown = text(response.text)
        assert "Your full name" in shown and "200 characters" in shown
        assert "full_name" not in shown and "/full_name" not in shown  # no internal names
        assert response.headers["cache-control"] == "no-store"
        assert dana_status(api, envelope["id"]) != "signed"

    def test_mail_relay_down_while_signing_is_a_page_with_retry_after_and_a_retry_works(
        self,
        api: Api,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """Signing while the relay that invites the next signer is down: a 503 page, nothing kept; later it works."""
        link, envelope, hidden = at_sign_step(api, smtp)
        form = {**hidden, "full_name": "Dana Wu", "title": "Office Manager", "attest": "yes", "method": "typed"}
        smtp.stop()
        try:
            down = api.client.post(f"{link}/sign", data=form)
        finally:
            smtp.restart()
        assert down.status_code == 503
        assert down.headers["content-type"].startswith(HTML)
        assert int(down.headers["retry-after"]) > 0
        assert "Nothing you sent was recorded" in text(down.text)
        assert dana_status(api, envelope["id"]) != "signed"
        page = api.client.get(link).text
        again = api.client.post(f"{link}/sign", data={**form, **hidden_fields(page, f"{link}/sign")})
        assert again.status_code == 200, again.text
        assert dana_status(api, envelope["id"]) == "signed"

    def test_a_body_over_the_size_limit_is_a_413_page(
        self,
        api: Api,
        smtp: LoopbackSmtpServer,  # noqa: F811
        settings: Any,  # noqa: F811
    ) -> None:
        """A form larger than the body limit (a huge drawn signature) gets a 413 page, not JSON; nothing is stored."""
        link, envelope, hidden = at_sign_step(api, smtp)
        huge = "data:image/png;base64," + "A" * (settings.server.max_body_bytes + 10)
        form = {**hidden, "full_name": "Dana Wu", "title": "CEO", "attest": "yes", "method": "drawn", "signature": huge}
        response = api.client.post(f"{link}/sign", data=form)
        assert response.status_code == 413
        assert response.headers["content-type"].startswith(HTML)
        assert "too large" in text(response.text)
        assert dana_status(api, envelope["id"]) != "signed"

    def test_a_mangled_signing_address_or_method_is_a_page(
        self,
        api: Api,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """An unknown path under a signing link is a 404 page; opening a form's address directly is a 405 page."""
        send_msa(api)
        link = link_for(smtp, DANA)
        missing = api.client.get(f"{link}/no-such-page")
        assert missing.status_code == 404 and missing.headers["content-type"].startswith(HTML)
        assert "open the link from your e-mail again" in text(missing.text)
        wrong_method = api.client.get(f"{link}/sign")
        assert wrong_method.status_code == 405 and wrong_method.headers["content-type"].startswith(HTML)


class TestApiErrorsStayProblems:
    def test_api_errors_are_problem_json_even_when_html_is_accepted(self, api: Api) -> None:
        """A browser-like Accept header does not turn an API error into a page: clients parse problem+json."""
        response = api.get("/v1/clients/nope", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")

    def test_an_unknown_address_is_a_page_for_a_browser_and_a_problem_for_a_program(self, api: Api) -> None:
        """Off the API, a browser asking for HTML gets a 404 page; a client that does not gets problem+json."""
        browser = api.client.get("/no-such-page", headers={"Accept": "text/html,*/*;q=0.8"})
        assert browser.status_code == 404 and browser.headers["content-type"].startswith(HTML)
        assert "This page does not exist" in text(browser.text)
        program = api.client.get("/no-such-page", headers={"Accept": "application/json"})
        assert program.status_code == 404
        assert program.headers["content-type"].startswith("application/problem+json")
