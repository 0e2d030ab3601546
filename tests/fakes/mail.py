"""A ``Mailer`` that records what it was handed, and can be told the relay is down."""

from __future__ import annotations

import uuid

from domain.errors import MailUnavailable
from domain.ports import MailReceipt, OutgoingMail


class RecordingMailer:
    """Keeps every accepted mail in ``sent``; while ``down`` (or for ``fail_next`` sends) it refuses them.

    A refused mail is not recorded, as a relay that did not answer took nothing. Mail is outside the
    database, so a unit of work that rolls back does not take back what was sent.
    """

    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []
        self.refused: list[OutgoingMail] = []
        self.down = False
        self.fail_next = 0

    def send(self, mail: OutgoingMail) -> MailReceipt:
        """Accept ``mail`` and return a receipt with its Message-ID, or raise ``MailUnavailable``."""
        if self.down or self.fail_next > 0:
            self.fail_next = max(self.fail_next - 1, 0)
            self.refused.append(mail)
            raise MailUnavailable("The mail relay did not accept the message; the step will be retried.")
        self.sent.append(mail)
        message_id = mail.message_id or f"<{uuid.uuid4()}@fake.undersign.local>"
        return MailReceipt(message_id=message_id, accepted=mail.to, transport="outbox", detail="recorded")

    def to(self, address: str) -> list[OutgoingMail]:
        """Return the mails accepted for ``address``, oldest first."""
        return [m for m in self.sent if address in m.to]
