"""Mail: a real SMTP relay, or (in development) an outbox folder of ``.eml`` files any mail client opens.

Both build the same RFC 5322 message. SMTP failures become ``MailUnavailable`` at this boundary, so
a caller can keep the work for a retry instead of losing it.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from domain.errors import MailUnavailable
from domain.ports import MailReceipt, OutgoingMail
from undersign.settings import MailSettings


def build_message(mail: OutgoingMail, sender: str, reply_to: str | None = None) -> EmailMessage:
    """Return the MIME message for ``mail`` from ``sender`` (replies to ``reply_to`` when given)."""
    message = EmailMessage()
    message["From"] = sender
    if reply_to:
        # Clients answer notices and invitations: the answer must reach a person, not a no-reply box.
        message["Reply-To"] = reply_to
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = mail.message_id or make_msgid(domain="undersign.local")
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return message


class SmtpMailer:
    """Sends through an SMTP relay (STARTTLS and login when configured)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        timeout: float = 15.0,
        reply_to: str | None = None,
    ) -> None:
        self.reply_to = reply_to
        self.host = host
        self.port = port
        self.sender = sender
        self.user = user
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    def send(self, mail: OutgoingMail) -> MailReceipt:
        """Send ``mail``; a relay that is down or refuses every recipient raises ``MailUnavailable``."""
        message = build_message(mail, self.sender, self.reply_to)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls and smtp.has_extn("starttls"):
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.user:
                    smtp.login(self.user, self.password or "")
                refused = smtp.send_message(message)
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise MailUnavailable(
                f"The mail relay {self.host}:{self.port} did not take the message ({type(exc).__name__}: {exc})."
            ) from exc
        accepted = tuple(address for address in mail.to if address not in refused)
        return MailReceipt(
            message_id=str(message["Message-ID"]),
            accepted=accepted,
            transport="smtp",
            detail=f"{self.host}:{self.port}",
        )


class OutboxMailer:
    """Writes each message as an ``.eml`` file into a folder (development without an SMTP relay)."""

    def __init__(self, folder: Path, *, sender: str, reply_to: str | None = None) -> None:
        self.folder = folder
        self.sender = sender
        self.reply_to = reply_to

    def send(self, mail: OutgoingMail) -> MailReceipt:
        """Write ``mail`` to ``<folder>/<time>-<id>.eml`` and return a receipt naming the file."""
        message = build_message(mail, self.sender, self.reply_to)
        self.folder.mkdir(parents=True, exist_ok=True)
        message_id = str(message["Message-ID"])
        stem = message_id.strip("<>").split("@")[0]
        path = self.folder / f"{stem}.eml"
        try:
            path.write_bytes(bytes(message))
        except OSError as exc:
            raise MailUnavailable(f"The outbox folder {self.folder} cannot be written: {exc}") from exc
        return MailReceipt(message_id=message_id, accepted=mail.to, transport="outbox", detail=str(path))


def mailer_from_settings(settings: MailSettings, outbox_dir: Path) -> SmtpMailer | OutboxMailer:
    """Return the SMTP mailer when a relay is configured, else the outbox of ``.eml`` files."""
    if settings.smtp_host:
        return SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            sender=settings.sender,
            user=settings.smtp_user,
            password=settings.smtp_password.get_secret_value() or None,
            starttls=settings.starttls,
            reply_to=settings.reply_to,
        )
    return OutboxMailer(outbox_dir, sender=settings.sender, reply_to=settings.reply_to)
