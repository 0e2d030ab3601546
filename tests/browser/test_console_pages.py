"""The console's role pages in Debian's Chromium through Playwright, over a real server and database.

A sales user adds a client, fills the MSA form, previews it and sends it; a technician sends a
decline-of-service letter, its named approver and the technician sign it on the signing pages, and the
register shows the entry accepted; billing imports a CSV with one bad line and approves a suspension; an
auditor downloads an evidence bundle that the standalone verifier accepts. Each step is photographed at
390 and 1280 px, and axe-core (tests/browser/axe.py) must find no serious or critical violation.
"""

# ruff: noqa: F811 - the fixtures imported from the signing-page test are parameters here
from __future__ import annotations

import time
import zipfile
from pathlib import Path
from typing import Any

from domain.audit import certificate_fingerprint
from domain.roles import Role
from tests.api.envelope_support import link_for
from tests.api.test_dunning import new_invoice, run_day
from tests.api.test_evidence import clean_verifier
from tests.api.test_invoices import make_client
from tests.browser.axe import serious_violations
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
from tests.conftest import Api
from tests.fakes.clock import FixedClock
from tests.support.console import add_client_in_browser, create_user, fill_msa_form, sign_in
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import Runtime

APPROVER, TECHNICIAN = "dana@northwind.example", "dana.okafor@msp.example"


def check(page: Any, shots: Path, name: str) -> None:
    """Photograph the page at 390 and 1280 px and fail on any serious or critical axe-core violation."""
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    reports = serious_violations(page, name)
    assert reports == [], "\n".join(reports)


def open_as(browser: Any, runtime: Runtime, server: str, role: Role, name: str, title: str) -> Any:
    """Create a user with ``role`` and sign them in on a new page (axe is injected: the page's CSP is bypassed)."""
    email = f"{role.value}@msp.example"
    create_user(runtime, email, [role], name=name, title=title)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(120_000)  # shared, busy cores; nothing here measures speed
    sign_in(page, email, base_url=server)
    return page


class TestConsoleInChromium:
    def test_sales_adds_a_client_fills_previews_and_sends_an_msa(
        self, browser: Any, server: str, runtime: Runtime, api: Api, tmp_path: Path
    ) -> None:
        """The sales flow from an empty register to an envelope out for signature, as a person clicks it."""
        page = open_as(browser, runtime, server, Role.SALES, "Sam Seller", "Account Manager")
        page.goto(f"{server}/console/sales")
        add_client_in_browser(page)
        check(page, tmp_path, "sales-client")
        fill_msa_form(page)
        page.get_by_role("button", name="Preview").click()
        frame = page.frame_locator("iframe[name=preview]")
        frame.locator("text=Harbour Dental Group LLC").first.wait_for()
        assert "Texas" in frame.locator("body").inner_text()
        check(page, tmp_path, "sales-contract-form")
        page.get_by_role("button", name="Create the contract").click()
        page.wait_for_selector("text=Send version 1 for signature")
        page.locator("#f-msp_name").fill("Sam Seller")
        page.locator("#f-msp_email").fill("sam@msp.example")
        page.get_by_role("button", name="Send for signature").click()
        page.wait_for_selector("text=Waiting for signatures")
        check(page, tmp_path, "sales-envelope")
        (envelope,) = api.get("/v1/envelopes").json()
        assert envelope["status"] == "sent" and envelope["signers"][0]["email"] == "marcus@harbour.example"

    def test_technician_sends_a_decline_of_service_letter_the_approver_signs_and_the_register_shows_it_accepted(
        self, browser: Any, server: str, runtime: Runtime, api: Api, smtp: LoopbackSmtpServer, tmp_path: Path
    ) -> None:
        """The technician sends the letter, its approver and then the technician sign it; the entry shows accepted."""
        client_id = make_client(api)
        page = open_as(browser, runtime, server, Role.TECH, "Dana Okafor", "Senior Systems Engineer")
        page.goto(f"{server}/console/tech")
        page.get_by_role("link", name="The client declined a recommendation").click()
        page.get_by_label("Multi-factor authentication not enabled").check()
        page.get_by_role("button", name="Continue").click()
        check(page, tmp_path, "tech-letter")
        review_on = page.locator("#f-review_date").input_value()
        page.get_by_label("Systems").fill("Microsoft 365 mailboxes\nRemote desktop gateway")
        page.locator("#f-requesting_technician-email").fill(TECHNICIAN)
        page.get_by_label("Client reason").fill("The owner does not want sign-in prompts on his phone.")
        page.get_by_role("button", name="Send the letter for signature").click()
        page.wait_for_load_state()
        assert "Waiting for signatures" in page.content(), page.locator("main").inner_text()[:3000]
        (entry,) = api.get(f"/v1/risks?client_id={client_id}").json()["items"]
        assert entry["status"] == "sent" and entry["approver"]["name"] == "Dana Wu"
        page.goto(f"{server}/console/tech?client_id={client_id}")
        assert entry["record_id"] in page.content()
        check(page, tmp_path, "tech-register")

        # The approver the letter names signs first (a risk letter refuses any other typed name), then the
        # technician countersigns; both through the mailed links and the real signing pages.
        for email, name, title in ((APPROVER, "Dana Wu", "Office Manager"), (TECHNICIAN, "Dana Okafor", "Engineer")):
            signer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            _consent(signer, server + link_for(smtp, email))
            _fill(signer, name, title)
            signer.get_by_label("Type my name").check()
            signer.get_by_role("button", name="Sign", exact=True).click()
            signer.wait_for_selector("#done")
            signer.context.close()

        # Sealing, and the register's move to accepted, run as a task after the last signature commits.
        register = f"{server}/console/tech?client_id={client_id}"
        deadline = time.monotonic() + 180
        page.goto(register)
        row = page.locator("table.list tbody tr", has_text=entry["record_id"])
        while row.locator(".badge").inner_text().strip() != "Accepted by the client":
            assert time.monotonic() < deadline, page.locator("main").inner_text()[:2000]
            time.sleep(1)
            page.goto(register)
        assert row.locator("time").get_attribute("datetime") == review_on
        check(page, tmp_path, "tech-register-accepted")
        (accepted,) = api.get(f"/v1/risks?client_id={client_id}").json()["items"]
        assert accepted["status"] == "accepted" and accepted["review_on"] == review_on

    def test_billing_imports_a_csv_with_one_bad_line_and_approves_a_suspension(
        self, browser: Any, server: str, runtime: Runtime, api: Api, clock: FixedClock, tmp_path: Path
    ) -> None:
        """The import lists the bad line by number; the suspension waiting for approval is approved on the page."""
        client_id = make_client(api)
        new_invoice(api, client_id)
        for day in (7, 14, 21, 30):
            run_day(api, clock, day)
        run_day(api, clock, 35, approve=False)
        export = tmp_path / "export.csv"
        export.write_text(
            "number,client_id,amount,currency,issued_on,due_on\n"
            f"INV-200,{client_id},900.00,CAD,2026-03-01,2026-03-31\n"
            f"INV-201,{client_id},ninety,CAD,2026-03-01,2026-03-31\n"
        )
        page = open_as(browser, runtime, server, Role.BILLING, "Bea Biller", "Accounts Receivable")
        page.goto(f"{server}/console/billing")
        page.locator("#file").set_input_files(str(export))
        page.get_by_role("button", name="Import").click()
        page.wait_for_selector("text=1 line refused")
        assert "<td>3</td>" in page.inner_html("#import-result")
        check(page, tmp_path, "billing-import")
        page.get_by_role("link", name="Overdue payments and approvals").click()
        assert page.locator("svg.chart").count() == 1
        check(page, tmp_path, "billing-dunning")
        page.get_by_role("button", name="Approve").click()
        page.wait_for_selector("text=Approved: the notice is filed and sent today.")
        assert api.get(f"/v1/clients/{client_id}").json()["suspended_since"] is not None

        # A call marked done by mistake (or to be made again) is reopened from the calls made.
        calls = len(api.get("/v1/dunning/tasks").json())
        page.locator("#calls-h + ul .card").first.get_by_label("How the call went (optional)").fill("Voicemail.")
        page.locator("#calls-h + ul .card").first.get_by_role("button", name="Done").click()
        page.wait_for_selector("text=Marked done: the call is recorded.")
        assert "Voicemail." in page.locator("#made-h + p + ul").inner_text()
        check(page, tmp_path, "billing-calls-made")
        page.get_by_role("button", name="Reopen").first.click()
        page.wait_for_selector("text=Reopened: the call is back on the list of calls to make.")
        assert len(api.get("/v1/dunning/tasks").json()) == calls
        check(page, tmp_path, "billing-call-reopened")

    def test_admin_marks_a_template_reviewed_and_the_library_says_so(
        self, browser: Any, server: str, runtime: Runtime, tmp_path: Path
    ) -> None:
        """The Templates page lists each text's fingerprint; Mark reviewed turns that row to reviewed, noted."""
        page = open_as(browser, runtime, server, Role.ADMIN, "Ada Admin", "Operations Director")
        page.goto(f"{server}/console/admin/templates")
        check(page, tmp_path, "admin-templates")
        row = page.locator("tr", has_text="waivers/decline-of-service")
        row.get_by_label("Note (optional, e.g. who reviewed it)").fill("Lee & Co. LLP")
        row.get_by_role("button", name="Mark reviewed").click()
        page.wait_for_selector(".flash")
        assert "marked reviewed" in page.locator(".flash").inner_text()
        row = page.locator("tr", has_text="waivers/decline-of-service")
        assert "reviewed by counsel" in row.inner_text() and "Lee & Co. LLP" in row.inner_text()
        check(page, tmp_path, "admin-templates-reviewed")

    def test_auditor_downloads_a_bundle_that_verifies(
        self, browser: Any, server: str, runtime: Runtime, api: Api, tmp_path: Path
    ) -> None:
        """One click downloads the client's bundle; tools/verify_audit_chain.py accepts it without undersign."""
        client_id = make_client(api)
        page = open_as(browser, runtime, server, Role.AUDITOR, "Aud Itor", "External Auditor")
        page.goto(f"{server}/console/audit")
        page.get_by_role("link", name="Verify the whole chain").click()
        page.wait_for_selector("text=The chain verifies.")
        check(page, tmp_path, "audit-verify")
        page.goto(f"{server}/console/audit/documents?client_id={client_id}")
        with page.expect_download() as download:
            page.get_by_role("link", name="Download the client\u2019s evidence bundle").click()
        bundle = tmp_path / "bundle.zip"
        download.value.save_as(bundle)
        folder = tmp_path / "bundle"
        zipfile.ZipFile(bundle).extractall(folder)
        result = clean_verifier(folder, certificate_fingerprint(runtime.service_key.certificate), tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        check(page, tmp_path, "audit-documents")
