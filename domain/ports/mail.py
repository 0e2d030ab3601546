"""The mail port: outgoing messages, attachments and what the relay said."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from domain.blobs import Retention as Retention
from domain.blobs import StoredBlob as StoredBlob


@dataclass(frozen=True)
class Attachment:
    """A file attached to an outgoing mail."""

    filename: str
    content: bytes
    content_type: str = "application/pdf"


@dataclass(frozen=True)
class OutgoingMail:
    """One message to send: who to, what, and any attachments."""

    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    # A stable id makes a retried send recognisable (same Message-ID) instead of a second letter.
    message_id: str | None = None


@dataclass(frozen=True)
class MailReceipt:
    """What the mail relay (or the outbox) said when it took the message."""

    message_id: str
    accepted: tuple[str, ...]
    transport: str  # "smtp" or "outbox"
    detail: str = ""


class Mailer(Protocol):
    """Sends mail; raises ``MailUnavailable`` when the relay cannot take the message."""

    def send(self, mail: OutgoingMail) -> MailReceipt:
        """Hand ``mail`` to the relay (or the outbox) and return its receipt."""
        ...
