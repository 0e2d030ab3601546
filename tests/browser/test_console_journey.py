"""The console's whole sales journey in Debian's Chromium (Playwright) over a real server, mail and database.

An admin invites a sales user on the users page; the sales user sets a password from the link the
loopback SMTP server received, signs in, adds a client, fills and previews an MSA, and sends it. The
client and then the MSP's signer sign from their mailed links; sealing runs as a task after the last
signature, the sales user's envelope page shows the envelope completed, and the sealed copy downloaded
from that page names the sales user on its certificate of completion (read with ``pdftotext``).
"""

# ruff: noqa: F811 - the fixtures imported from the signing-page test are parameters here
from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from domain.roles import Role
from tests.api.envelope_support import link_for
from tests.browser.test_console import PASSWORD, invitation, new_page
from tests.browser.test_signing_page import (  # noqa: F401 - fixtures shared with the signing-page test
    _consent,
    _fill,
    browser,
    database_url,
    port,
    server,
    settings,
    smtp,
)
from tests.support.console import add_client_in_browser, create_user, fill_msa_form, sign_in
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import Runtime

SALES, CLIENT_SIGNER = "sam@msp.example", "marcus@harbour.example"


def _pdf_text(pdf: bytes) -> str:
    """Return the PDF's text as poppler's pdftotext reads it, white space collapsed."""
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return " ".join(out.decode().split())


class TestConsoleJourneyInChromium:
    def test_invited_sales_user_sends_an_msa_that_completes_and_the_certificate_names_them(
        self,
        server: str,
        browser: Any,
        smtp: LoopbackSmtpServer,
        runtime: Runtime,
        tmp_path: Path,
    ) -> None:
        """Invite, set a password, sign in, add a client, fill, preview and send an MSA; the seal names the sender."""
        create_user(runtime, "ada@msp.example", [Role.ADMIN], PASSWORD, name="Ada Admin", title="Operations Director")
        admin = new_page(browser, 1280)
        sign_in(admin, "ada@msp.example", PASSWORD, base_url=server)
        admin.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
        admin.get_by_label("E-mail address").fill(SALES)
        admin.get_by_label("Name", exact=True).fill("Sam Seller")
        admin.get_by_label("Title").fill("Account Manager")
        admin.locator("#invite-heading + p + form").get_by_label("sales").check()
        admin.get_by_role("button", name="Send the invitation").click()
        admin.wait_for_selector(".flash")
        assert f"Invitation sent to {SALES}" in admin.locator(".flash").inner_text()

        sales = new_page(browser, 1280)
        sales.goto(invitation(smtp, SALES))
        sales.get_by_label("New password").fill(PASSWORD)
        sales.get_by_label("The same password again").fill(PASSWORD)
        sales.get_by_role("button", name="Set password").click()
        sales.wait_for_selector(".flash")
        sign_in(sales, SALES, PASSWORD, base_url=server)
        assert sales.get_by_role("heading", name="Welcome, Sam Seller").is_visible()

        sales.get_by_role("navigation", name="Main").get_by_role("link", name="Sales").click()
        add_client_in_browser(sales, CLIENT_SIGNER)
        fill_msa_form(sales)
        sales.get_by_role("button", name="Preview").click()
        frame = sales.frame_locator("iframe[name=preview]")
        frame.locator("text=Harbour Dental Group LLC").first.wait_for()
        preview = frame.locator("body").inner_text()
        assert "Master Services Agreement" in preview and "Texas" in preview, preview[:2000]
        sales.get_by_role("button", name="Create the contract").click()
        sales.wait_for_selector("text=Send version 1 for signature")
        sales.locator("#f-client_name").fill("Marcus Lee")
        sales.locator("#f-client_title").fill("Owner")
        sales.locator("#f-client_email").fill(CLIENT_SIGNER)
        sales.locator("#f-msp_name").fill("Sam Seller")
        sales.locator("#f-msp_title").fill("Account Manager")
        sales.locator("#f-msp_email").fill(SALES)
        sales.get_by_role("button", name="Send for signature").click()
        sales.wait_for_selector("text=Waiting for signatures")
        envelope_url = sales.url
        assert "/console/sales/envelopes/" in envelope_url

        for email, name, title in ((CLIENT_SIGNER, "Marcus Lee", "Owner"), (SALES, "Sam Seller", "Account Manager")):
            signer = new_page(browser, 1280)
            _consent(signer, server + link_for(smtp, email))
            _fill(signer, name, title)
            signer.get_by_label("Type my name").check()
            assert signer.locator("#typed-preview").inner_text() == name
            signer.get_by_role("button", name="Sign", exact=True).click()
            signer.wait_for_selector("#done")

        # Sealing is a task that runs after the last signature's request commits; wait for the page to say so.
        deadline = time.monotonic() + 180
        sales.goto(envelope_url)
        while "Download the signed copy" not in sales.content():
            assert time.monotonic() < deadline, sales.locator("main").inner_text()[:2000]
            time.sleep(1)
            sales.goto(envelope_url)
        assert sales.locator("#envelope-status .status").inner_text().strip() == "Completed"
        events = sales.locator("ol.events li").all_inner_texts()
        assert "Signed copy sealed" in " ".join(events)
        # Staff read plain words, never an event code such as "document: sealed".
        assert not [e for e in events if any(f"{code}:" in e for code in ("envelope", "document", "signer"))], events
        for width in (390, 1280):
            sales.set_viewport_size({"width": width, "height": 900})
            sales.screenshot(path=str(tmp_path / f"envelope-{width}.png"), full_page=True)

        link = sales.get_by_role("link", name="Download the signed copy")
        sealed = sales.request.get(server + link.get_attribute("href"))
        assert sealed.ok and sealed.headers["content-type"] == "application/pdf"
        text = _pdf_text(sealed.body())
        assert "Certificate of completion" in text, text[-3000:]
        msp = runtime.settings.branding.msp_name
        assert f"Sent by Sam Seller, Account Manager, {msp}" in text, text[-3000:]
        print(f"screenshots in {tmp_path}")
