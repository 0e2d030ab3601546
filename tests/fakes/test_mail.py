"""The recording mailer keeps the contract of ``domain.ports.mail``: a receipt per accepted mail, a refusal raises."""

from __future__ import annotations

import pytest

from domain.errors import MailUnavailable
from domain.ports import Mailer, OutgoingMail
from tests.fakes.mail import RecordingMailer


class TestRecordingMailer:
    def test_accepted_mail_is_recorded_with_its_message_id(self) -> None:
        """A sent mail is kept and its receipt carries the mail's own Message-ID."""
        fake = RecordingMailer()
        port: Mailer = fake
        receipt = port.send(OutgoingMail(to=("ap@x.example",), subject="S", text="T", message_id="<m1@x>"))
        assert receipt.message_id == "<m1@x>" and receipt.accepted == ("ap@x.example",)
        assert fake.to("ap@x.example")[0].subject == "S"

    def test_a_refused_mail_raises_and_is_not_sent(self) -> None:
        """While failing, send raises MailUnavailable and records the mail as refused, not sent."""
        fake = RecordingMailer()
        fake.fail_next = 1
        mail = OutgoingMail(to=("ap@x.example",), subject="S", text="T")
        with pytest.raises(MailUnavailable):
            fake.send(mail)
        assert (fake.sent, fake.refused) == ([], [mail])
        fake.send(mail)
        assert fake.sent == [mail]
