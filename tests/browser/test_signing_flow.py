"""The signing flow in Debian's Chromium: reading on a phone, declining before any code, signing inside a portal.

Servers, mail and browser are real: uvicorn on loopback, aiosmtpd, headless Chromium through Playwright.
The portal that embeds signing is a tiny static HTTP server on another loopback port (another origin).
"""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.envelope_support import link_for, mails_to, send_msa, text_of
from tests.browser.test_signing_page import (  # noqa: F401 - fixtures reused by name
    CLIENT,
    _free_port,
    browser,
    database_url,
    port,
    server,
    smtp,
)
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer
from undersign.settings import Settings

SENDER = "contracts@msp.example"
REASON = "We are moving to another provider."
SHOTS = Path("/tmp/signing-flow-shots")


@pytest.fixture
def portal_port() -> int:
    """The port of the portal page that is allowed to embed signing."""
    return _free_port()


@pytest.fixture
def settings(settings: Settings, smtp: LoopbackSmtpServer, port: int, portal_port: int) -> Settings:  # noqa: F811
    """Mail through loopback SMTP; links on the loopback server; the portal's origin may embed signing."""
    mail = settings.mail.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "starttls": False})
    served = settings.server.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
    signing = settings.signing.model_copy(update={"embed_origins": [f"http://127.0.0.1:{portal_port}"]})
    return settings.model_copy(update={"mail": mail, "server": served, "signing": signing})


def _portal(port_number: int, frame_url: str) -> Iterator[str]:
    """Serve one page that frames ``frame_url`` and keeps every message it receives, until the generator ends."""
    page = f"""<!doctype html><html><head><title>MSP portal</title></head><body>
<h1>Client portal</h1>
<iframe id="signing" title="Sign the agreement" src="{frame_url}" style="width:100%;height:700px"></iframe>
<script>
window.received = [];
window.addEventListener('message', function (e) {{ window.received.push({{origin: e.origin, data: e.data}}); }});
</script></body></html>""".encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port_number), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port_number}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _consent(page: Any) -> None:
    page.get_by_label("I have read the disclosure and agree to do business electronically.").check()
    page.get_by_role("button", name="Continue").click()


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _fits(page: Any) -> bool:
    return bool(page.evaluate("document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth"))


class TestReadingOnAPhone:
    def test_reading_view_is_16px_without_sideways_scrolling_and_pdf_downloads_before_signing(
        self,
        api: Api,
        server: str,  # noqa: F811
        browser: Any,  # noqa: F811
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """At 390 (and 320) px the reading view's text is >= 16 CSS px, nothing scrolls sideways, the PDF downloads."""
        envelope = send_msa(api)
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, accept_downloads=True
        )
        phone = context.new_page()
        phone.set_default_timeout(120_000)
        phone.goto(server + link_for(smtp, CLIENT))
        _consent(phone)
        phone.wait_for_selector("#sign-form")
        assert "The document:" in phone.locator("#doc-tools-heading").inner_text()
        assert _fits(phone)
        _shot(phone, "sign-390")

        phone.click("#reading-link")
        phone.wait_for_selector("#reading")
        sizes = phone.evaluate(
            """Array.from(document.querySelectorAll('#reading p, #reading li, #reading td'))
               .map(e => parseFloat(getComputedStyle(e).fontSize))"""
        )
        assert sizes and min(sizes) >= 16, sizes
        _shot(phone, "read-390")
        wide = phone.evaluate(
            """Array.from(document.querySelectorAll('*')).filter(e => e.getBoundingClientRect().right > 391)
               .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)
                    + ' ' + (e.textContent || '').slice(0, 60))"""
        )
        assert _fits(phone), wide
        phone.locator("#end-of-document").scroll_into_view_if_needed()
        assert phone.locator("#end-of-document").is_visible()
        _shot(phone, "read-390")
        phone.set_viewport_size({"width": 320, "height": 640})
        assert _fits(phone)

        with phone.expect_download() as pending:
            phone.click("#pdf-link")
        pdf = Path(pending.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF-") and hashlib.sha256(pdf).hexdigest() == envelope["sent_sha256"]
        state = api.get(f"/v1/envelopes/{envelope['id']}").json()
        assert state["status"] == "sent" and state["signers"][0]["signed_at"] is None
        views = [e["detail"].get("view") for e in state["events"] if e["action"].startswith("signer.view")]
        # The signing page's images came first (page_image); each whole-document view is recorded once.
        assert views.count("reading_view") == 1 and views.count("pdf_download") == 1 and views[0] == "page_image"
        assert views.index("reading_view") < views.index("pdf_download")

        desktop = browser.new_page(viewport={"width": 1280, "height": 900})
        desktop.set_default_timeout(120_000)
        desktop.goto(server + link_for(smtp, CLIENT) + "/read")
        desktop.wait_for_selector("#reading")
        assert _fits(desktop)
        _shot(desktop, "read-1280")
        desktop.goto(server + link_for(smtp, CLIENT))
        _shot(desktop, "sign-1280")
        context.close()


class TestDeclineBeforeTheCode:
    @pytest.mark.parametrize("width", [390, 1280])
    def test_signer_with_a_code_declines_before_entering_any_and_the_sender_gets_the_reason(
        self,
        api: Api,
        server: str,  # noqa: F811
        browser: Any,  # noqa: F811
        smtp: LoopbackSmtpServer,  # noqa: F811
        width: int,
    ) -> None:
        """With a one-time code on, the signer consents, declines on the code step, and the sender is mailed why."""
        envelope = send_msa(api, otp=True, sender_email=SENDER)
        page = browser.new_page(viewport={"width": width, "height": 844})
        page.set_default_timeout(120_000)
        page.goto(server + link_for(smtp, CLIENT))
        _consent(page)
        page.wait_for_selector("#code")
        page.get_by_text("I do not want to sign").click()
        page.get_by_label("Why do you decline?").fill(REASON)
        _shot(page, f"otp-decline-{width}")
        page.get_by_role("button", name="Decline to sign").click()
        page.wait_for_selector("#done")
        said = page.locator("#done").inner_text()
        assert "The sender was e-mailed your answer and your reason." in said
        assert not any("signing code" in str(m["Subject"]) for m in mails_to(smtp, CLIENT))
        told = mails_to(smtp, SENDER)
        assert len(told) == 1 and str(told[0]["Subject"]).startswith("Declined") and REASON in text_of(told[0])
        assert api.get(f"/v1/envelopes/{envelope['id']}").json()["status"] == "declined"


class TestEmbeddedSigning:
    def test_listed_portal_frames_the_page_and_hears_the_outcome_another_origin_is_refused(
        self,
        api: Api,
        server: str,  # noqa: F811
        browser: Any,  # noqa: F811
        smtp: LoopbackSmtpServer,  # noqa: F811
        portal_port: int,
    ) -> None:
        """In a listed portal's iframe the signer signs and the portal gets undersign.completed; elsewhere no frame."""
        envelope = send_msa(
            api,
            signers=[
                {"name": "Dana Wu", "email": CLIENT, "title": "Owner", "role": "client", "order": 1},
                {"name": "Lee Park", "email": "lee@northwind.example", "title": "CFO", "role": "client", "order": 1},
            ],
        )
        signer_id = envelope["signers"][0]["id"]
        issued = api.post(f"/v1/envelopes/{envelope['id']}/signers/{signer_id}/signing-url", json={})
        assert issued.status_code == 200, issued.text
        url = issued.json()["url"]

        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(120_000)
        for portal in _portal(portal_port, url):
            page.goto(portal)
            frame = page.frame_locator("#signing")
            _consent(frame)
            frame.locator("#sign-form").wait_for()
            frame.get_by_label("I am authorised to sign on behalf of").check()
            frame.get_by_role("button", name="Sign", exact=True).click()
            frame.locator("#done").wait_for()
            deadline = time.monotonic() + 30
            while not page.evaluate("window.received.length"):
                assert time.monotonic() < deadline, "the portal heard nothing"
                time.sleep(0.1)
            received = page.evaluate("window.received")
            _shot(page, "embedded-done-1280")
        assert received == [
            {
                "origin": server,
                "data": {"type": "undersign.completed", "envelope_id": envelope["id"], "signer_id": signer_id},
            }
        ]

        other_id = envelope["signers"][1]["id"]
        other_url = api.post(f"/v1/envelopes/{envelope['id']}/signers/{other_id}/signing-url", json={}).json()["url"]
        refused = browser.new_page(viewport={"width": 1280, "height": 900})
        console: list[str] = []
        refused.on("console", lambda message: console.append(message.text))
        for portal in _portal(_free_port(), other_url):  # an origin that is not listed
            refused.goto(portal)
            deadline = time.monotonic() + 30
            while not any("frame-ancestors" in text for text in console):
                assert time.monotonic() < deadline, f"no CSP refusal was reported: {console}"
                time.sleep(0.1)
            child = next(f for f in refused.frames if f != refused.main_frame)
            assert child.locator("#agree").count() == 0
            assert refused.evaluate("window.received.length") == 0
