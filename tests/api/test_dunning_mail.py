"""The e-mail of a payment notice: multipart text and HTML, a greeting, amount and date, how to pay, whom to ask."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.test_dunning import new_invoice, run_day
from tests.api.test_invoices import make_client
from tests.conftest import Api
from tests.fakes.clock import FixedClock
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import Runtime
from undersign.settings import DunningSettings, MailSettings


@pytest.fixture
def smtp(runtime: Runtime) -> Iterator[LoopbackSmtpServer]:
    """A loopback SMTP server, a real sender and reply-to, and complete billing contact and payment settings."""
    server = LoopbackSmtpServer()
    server.start()
    mail = MailSettings(
        smtp_host="127.0.0.1",
        smtp_port=server.port,
        starttls=False,
        sender="Acme IT <billing@acme.example>",
        reply_to="ar@acme.example",
    )
    dunning = DunningSettings(
        contact_name="Jordan Reyes",
        contact_title="Accounts Receivable Manager",
        contact_email="ar@acme.example",
        contact_phone="+1 604 555 0142",
        portal_url="https://pay.acme.example/",
    )
    runtime.settings = runtime.settings.model_copy(update={"mail": mail, "dunning": dunning})
    yield server
    server.stop()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_reminder_mail_is_multipart_and_helps_the_client_pay(
    api: Api, clock: FixedClock, smtp: LoopbackSmtpServer
) -> None:
    """The day-7 reminder e-mail is text+HTML with greeting, amount, date, portal and contact, from the sender."""
    client_id = make_client(api)
    new_invoice(api, client_id)
    assert run_day(api, clock, 7) == [(7, "reminder-1")]
    [received] = smtp.received
    message = received.message
    assert message["From"] == "Acme IT <billing@acme.example>" and message["Reply-To"] == "ar@acme.example"
    bodies = {
        part.get_content_type(): bytes(part.get_payload(decode=True)).decode(part.get_content_charset() or "utf-8")
        for part in message.walk()
        if not part.get_filename() and not part.is_multipart()
    }
    assert {"text/plain", "text/html"} <= set(bodies)
    for kind in ("text/plain", "text/html"):
        body = " ".join(bodies[kind].split())
        assert "Dear Northwind Dental Clinic Ltd.," in body
        assert "https://pay.acme.example/" in body and "ar@acme.example" in body and "Jordan Reyes" in body
        assert "Total due:" not in body and "CAD." not in body
    assert "$" in bodies["text/plain"] and "March 2026" in bodies["text/plain"]
    [name] = [str(part.get_filename()) for part in message.walk() if part.get_filename()]
    assert name.endswith(".pdf") and "March 2026" in name and "-" in name and "reminder-1" not in name
