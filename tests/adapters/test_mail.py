"""Mail goes through a real SMTP server on loopback, or into the outbox folder as .eml files."""

from __future__ import annotations

import email
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.mail import OutboxMailer, SmtpMailer
from domain.errors import MailUnavailable
from domain.ports import Attachment, OutgoingMail
from tests.support.smtp import LoopbackSmtpServer

MAIL = OutgoingMail(
    to=("dana@northwind.example",),
    subject="Please sign: Master Services Agreement",
    text="Open your personal link to sign.",
    html="<p>Open your personal link to sign.</p>",
    attachments=(Attachment("msa.pdf", b"%PDF-1.7 test"),),
    message_id="<envelope-1-signer-1@undersign.local>",
)


@pytest.fixture
def smtp_server() -> Iterator[LoopbackSmtpServer]:
    """A real SMTP server on a free loopback port."""
    server = LoopbackSmtpServer()
    server.start()
    yield server
    server.stop()


class TestSmtpMailer:
    def test_message_arrives_with_attachment(self, smtp_server: LoopbackSmtpServer) -> None:
        """The relay receives the message with its recipients, subject, Message-ID and PDF attachment."""
        mailer = SmtpMailer("127.0.0.1", smtp_server.port, sender="undersign <noreply@msp.example>", starttls=False)
        receipt = mailer.send(MAIL)
        assert receipt.accepted == ("dana@northwind.example",)
        (got,) = smtp_server.received
        assert got.recipients == ["dana@northwind.example"]
        assert got.message["Subject"] == MAIL.subject
        assert got.message["Message-ID"] == MAIL.message_id
        parts = [p for p in got.message.walk() if p.get_filename() == "msa.pdf"]
        assert parts[0].get_payload(decode=True) == b"%PDF-1.7 test"

    def test_relay_down_is_mail_unavailable(self) -> None:
        """A relay that does not answer raises MailUnavailable (503), not a socket error."""
        nobody_listens = LoopbackSmtpServer().port  # a free port on which nothing was started
        mailer = SmtpMailer("127.0.0.1", nobody_listens, sender="noreply@msp.example", starttls=False, timeout=2)
        with pytest.raises(MailUnavailable) as info:
            mailer.send(MAIL)
        assert info.value.status == 503


class TestOutboxMailer:
    def test_message_is_written_as_eml(self, tmp_path: Path) -> None:
        """Without a relay the message is an .eml file that parses back to the same message."""
        receipt = OutboxMailer(tmp_path / "outbox", sender="noreply@msp.example").send(MAIL)
        path = Path(receipt.detail)
        assert path.parent == tmp_path / "outbox" and path.suffix == ".eml"
        parsed = email.message_from_bytes(path.read_bytes())
        assert parsed["To"] == "dana@northwind.example"
        assert parsed["Subject"] == MAIL.subject
