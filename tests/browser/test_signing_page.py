"""The signing page in a real browser: Debian's headless Chromium driven by Playwright over a real server.

Each signer opens the link exactly as it arrived by e-mail (read from the loopback SMTP server),
consents, and signs: the first on a phone-sized screen by drawing on the canvas with mouse moves,
the second on a desktop by typing. The sealed copy mailed afterwards must validate with pyHanko and
with poppler's ``pdfsig``, and a single flipped byte must make both reject it.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn

from api.app import create_app
from domain.sealing.verify import verify_sealed_pdf
from storage.database import make_engine
from tests.api.envelope_support import attachment, link_for, mails_to, send_msa
from tests.conftest import Api
from tests.support.databases import missing, truncate_all
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import Runtime
from undersign.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CLIENT, MSP = "dana@northwind.example", "sam@msp.example"
T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def database_url(postgres_url: str) -> Iterator[str]:
    """Return a PostgreSQL database: the browser loads every page image at once, as a real signer's does.

    The production database serves those requests side by side; the database layer itself is covered on
    both backends by the API tests.
    """
    yield postgres_url
    engine = make_engine(postgres_url)
    truncate_all(engine)
    engine.dispose()


@pytest.fixture
def smtp() -> Iterator[LoopbackSmtpServer]:
    """A real SMTP server on loopback."""
    server = LoopbackSmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def port() -> int:
    """The port the signing server listens on."""
    return _free_port()


@pytest.fixture
def settings(settings: Settings, smtp: LoopbackSmtpServer, port: int) -> Settings:
    """Mail through the loopback SMTP server; links point at the loopback signing server."""
    mail = settings.mail.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "starttls": False})
    server = settings.server.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
    return settings.model_copy(update={"mail": mail, "server": server})


@pytest.fixture
def server(runtime: Runtime, port: int) -> Iterator[str]:
    """The app served by uvicorn on loopback, in a thread."""
    config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless (never downloaded: `playwright install` cannot run here)."""
    if not CHROMIUM.exists():
        missing(f"Chromium is not installed at {CHROMIUM} (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _consent(page: Any, url: str) -> None:
    # Generous timeouts: the machine's two cores are shared with other test runs; nothing here measures speed.
    page.set_default_timeout(120_000)
    page.goto(url)
    page.get_by_label("I have read the disclosure and agree to do business electronically.").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_selector("#sign-form")
    # Pages after the second load lazily, only near the viewport: bring each into view, as a reader scrolling
    # would, then poll (wait_for_function evaluates a string in the page, which our CSP forbids, as it should).
    images = page.locator(".pages img")
    for index in range(images.count()):
        images.nth(index).scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, 0)")
    deadline = time.monotonic() + 120
    while not page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"):
        assert time.monotonic() < deadline, "the page images did not load"
        time.sleep(0.1)


def _fill(page: Any, name: str, title: str) -> None:
    page.get_by_label("Your full name").fill(name)
    page.get_by_label("Your title").fill(title)
    page.get_by_label("I am authorised to sign on behalf of").check()


def _off_loop(func: Callable[..., T], *args: Any) -> T:
    """Run ``func`` in another thread: Playwright's sync API keeps an event loop running in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(func, *args).result()


def _pdfsig_ok(path: Path, home: Path) -> bool:
    home.mkdir(exist_ok=True)
    out = subprocess.run(
        ["pdfsig", "-no-ocsp", str(path)], capture_output=True, text=True, env={"HOME": str(home)}, check=False
    )
    text = out.stdout + out.stderr
    return "Signature Validation: Signature is Valid." in text and "Total document signed" in text


class TestSigningPageInChromium:
    def test_emailed_links_draw_and_type_then_sealed_copy_validates(
        self, api: Api, server: str, browser: Any, smtp: LoopbackSmtpServer, runtime: Runtime, tmp_path: Path
    ) -> None:
        """Two signers sign in Chromium from their e-mailed links; the mailed sealed copy validates, a flip fails."""
        envelope = send_msa(api)
        phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        _consent(phone, server + link_for(smtp, CLIENT))
        assert phone.locator(".pages img").count() >= 2
        _fill(phone, "Dana Wu", "Owner")
        phone.get_by_label("Draw my signature").check()
        pad = phone.locator("#pad")
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        assert box is not None
        phone.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
        phone.mouse.down()
        for step in range(1, 30):
            x = box["x"] + 20 + step * (box["width"] - 40) / 30
            y = box["y"] + box["height"] * (0.3 if step % 2 else 0.7)
            phone.mouse.move(x, y, steps=3)
        phone.mouse.up()
        phone.get_by_role("button", name="Sign", exact=True).click()
        phone.wait_for_selector("#done")
        assert "you have signed" in phone.content()

        desktop = browser.new_page(viewport={"width": 1280, "height": 900})
        _consent(desktop, server + link_for(smtp, MSP))
        _fill(desktop, "Sam Provider", "Director")
        assert desktop.locator("#typed-preview").inner_text() == "Sam Provider"
        desktop.get_by_role("button", name="Sign", exact=True).click()
        desktop.wait_for_selector("#done")

        deadline = time.monotonic() + 180
        while api.get(f"/v1/envelopes/{envelope['id']}").json()["status"] != "completed":
            assert time.monotonic() < deadline, "the envelope was not sealed in time"
            time.sleep(0.25)
        state = api.get(f"/v1/envelopes/{envelope['id']}").json()
        methods = {s["email"]: s["signature_method"] for s in state["signers"]}
        assert methods == {CLIENT: "drawn", MSP: "typed"}
        assert all(s["consent_version"] == "esign-consent-2" for s in state["signers"])

        completed = [m for m in mails_to(smtp, CLIENT) if "Completed" in str(m["Subject"])]
        sealed = attachment(completed[0])
        assert sealed is not None
        roots = runtime.kit.key.trust_roots()
        verdict = _off_loop(verify_sealed_pdf, sealed, roots)
        assert verdict.ok, verdict.problems
        good, bad = tmp_path / "sealed.pdf", tmp_path / "flipped.pdf"
        good.write_bytes(sealed)
        flipped = bytearray(sealed)
        flipped[len(sealed) // 3] ^= 0x01
        bad.write_bytes(bytes(flipped))
        assert _pdfsig_ok(good, tmp_path / "nss")
        assert not _pdfsig_ok(bad, tmp_path / "nss")
        assert not _off_loop(verify_sealed_pdf, bytes(flipped), roots).ok

    def test_page_is_labelled_and_fits_a_phone(
        self, api: Api, server: str, browser: Any, smtp: LoopbackSmtpServer
    ) -> None:
        """Every form control has an accessible label and nothing scrolls sideways on a 360 px screen."""
        send_msa(api)
        page = browser.new_page(viewport={"width": 360, "height": 740})
        _consent(page, server + link_for(smtp, CLIENT))
        unlabelled = page.evaluate(
            """Array.from(document.querySelectorAll('input:not([type=hidden]), textarea, canvas'))
               .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.id)"""
        )
        assert unlabelled == []
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.goto(server + "/sign/not-a-real-token-but-long-enough-000000")
        assert "This link cannot be used" in page.content()
