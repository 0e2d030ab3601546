"""axe-core on every state of the signing pages, in Chromium at 390 px and 1280 px.

A signer with a one-time code goes through every page a signer can meet: the plain page for a bad
link, consent, the code step (before and after a code is sent, and with a wrong code), the document
with the typed and the drawn signature, the decline form opened, the page listing refused fields,
and the pages after signing and after declining. axe-core (WCAG 2.0/2.1/2.2 A and AA rules) must find
no serious or critical violation on any of them at either width.
"""

from __future__ import annotations

from typing import Any

from tests.api.envelope_support import code_from, link_for, mails_to, send_msa
from tests.browser.axe import WIDTHS, axe_violations, serious_violations
from tests.browser.test_signing_page import (  # noqa: F401  (the same server, mail and browser fixtures)
    CLIENT,
    MSP,
    browser,
    database_url,
    port,
    server,
    settings,
    smtp,
)
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer


def _open(chromium: Any, width: int) -> Any:
    # axe is injected as a script tag, which the pages' nonce-only CSP would block (see tests/browser/axe.py).
    context = chromium.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(120_000)
    return page


def _enter_code(page: Any, mail: LoopbackSmtpServer, address: str) -> None:
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_selector("[role=status]")
    page.get_by_label("Code from the e-mail").fill(code_from(mails_to(mail, address)[-1]))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_selector("#sign-form")


class TestSigningPagesAxe:
    def test_every_signing_page_state_has_no_serious_violation(
        self,
        api: Api,
        server: str,  # noqa: F811
        browser: Any,  # noqa: F811
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """axe-core finds no serious or critical WCAG 2.2 A/AA violation on any signing page at 390 and 1280 px."""
        send_msa(api, otp=True)
        page = _open(browser, 390)
        reports: list[str] = []

        page.goto(server + "/sign/not-a-real-token-but-long-enough-000000")
        assert page.locator("h1").inner_text() == "This link cannot be used"
        reports += serious_violations(page, "bad link")

        page.goto(server + link_for(smtp, CLIENT))
        page.wait_for_selector("#consent-button")
        reports += serious_violations(page, "consent")
        page.get_by_label("I have read the disclosure and agree to do business electronically.").check()
        page.get_by_role("button", name="Continue").click()

        page.wait_for_selector("#code-button")
        reports += serious_violations(page, "code entry")
        page.get_by_role("button", name="Send me a code").click()
        page.wait_for_selector("[role=status]")
        reports += serious_violations(page, "code sent")
        page.get_by_label("Code from the e-mail").fill("000000")
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_selector("[role=alert]")
        reports += serious_violations(page, "wrong code")
        page.get_by_label("Code from the e-mail").fill(code_from(mails_to(smtp, CLIENT)[-1]))
        page.get_by_role("button", name="Confirm").click()

        page.wait_for_selector("#sign-form")
        reports += serious_violations(page, "document, typed signature")
        page.get_by_label("Draw my signature").check()
        reports += serious_violations(page, "document, drawn signature")
        page.get_by_label("Type my name").check()
        page.locator("details summary").first.click()
        reports += serious_violations(page, "decline form open")

        # A name the server refuses (one letter) brings the page back with the fields to fix announced.
        page.evaluate("document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))")
        page.get_by_label("Your full name").fill("D")
        page.get_by_role("button", name="Sign", exact=True).click()
        page.wait_for_selector("[role=alert]")
        reports += serious_violations(page, "refused fields")

        page.get_by_label("Your full name").fill("Dana Wu")
        page.get_by_label("Your title").fill("Owner")
        page.get_by_label("I am authorised to sign on behalf of").check()
        page.get_by_role("button", name="Sign", exact=True).click()
        page.wait_for_selector("#done")
        reports += serious_violations(page, "signed")

        page.goto(server + link_for(smtp, MSP))
        page.get_by_label("I have read the disclosure and agree to do business electronically.").check()
        page.get_by_role("button", name="Continue").click()
        _enter_code(page, smtp, MSP)
        page.locator("details summary").first.click()
        page.get_by_label("Why do you decline?").fill("The price schedule is not the one we agreed.")
        page.get_by_role("button", name="Decline to sign").click()
        page.wait_for_selector("#done")
        reports += serious_violations(page, "declined")

        assert not reports, "\n\n".join(reports)

    def test_axe_finds_a_planted_violation(
        self,
        server: str,  # noqa: F811
        browser: Any,  # noqa: F811
    ) -> None:
        """The harness is live: an unlabelled field and grey-on-grey text planted in a page are reported."""
        page = _open(browser, WIDTHS[0])
        page.goto(server + "/sign/not-a-real-token-but-long-enough-000000")
        page.evaluate(
            """() => {
              const input = document.createElement('input'); input.type = 'text';
              document.querySelector('main').appendChild(input);
              const p = document.createElement('p'); p.textContent = 'faint';
              p.style.color = '#bbb'; p.style.background = '#ccc';
              document.querySelector('main').appendChild(p);
            }"""
        )
        found = {v["id"]: v["impact"] for v in axe_violations(page)}
        assert found.get("label") == "critical"
        assert found.get("color-contrast") == "serious"
        assert serious_violations(page, "planted")
