"""Telling people how an envelope ended: the sender, the signers who still had a link, a decliner's own copy.

Every notice is mailed in the unit of work of the change it reports, and recorded as an envelope
event (and in the audit chain) saying who it went to, or why it did not go. A relay that is down
does not undo a decline, a void or an expiry: the change stands, the event says the mail was not
sent (``envelope.notice_not_mailed``), and the signer's page says only what really happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.actor import SYSTEM, Actor
from domain.envelopes import Envelope, Signer, SignerStatus, party_for
from domain.errors import MailUnavailable
from domain.languages import EnglishOnly, MessageCatalogs
from domain.ports import Mailer, OutgoingMail

if TYPE_CHECKING:
    from services.envelopes import EnvelopeRecorder

#: What each notice is, as recorded in the event's ``notice`` field.
DECLINE_COPY = "decline_copy"
SENDER_DECLINED = "sender_declined"
SENDER_VOIDED = "sender_voided"
SENDER_EXPIRED = "sender_expired"
SENDER_COMPLETED = "sender_completed"
SIGNERS_VOIDED = "signers_voided"
SIGNERS_EXPIRED = "signers_expired"


@dataclass(frozen=True)
class NoticeResult:
    """Who a notice was accepted for (empty when it could not be sent or there was nobody to send it to)."""

    accepted: tuple[str, ...] = ()

    @property
    def sent(self) -> bool:
        """True when the relay (or the outbox) took the message for at least one recipient."""
        return bool(self.accepted)


@dataclass(frozen=True)
class DeclineNotices:
    """What the decline page may truthfully say: whether the signer's copy and the sender's notice went out."""

    copy_to_signer: NoticeResult
    to_sender: NoticeResult


def still_had_a_link(envelope: Envelope) -> list[Signer]:
    """Return the signers who were invited and had not signed or declined: their link just died."""
    return [s for s in envelope.signers if s.status is SignerStatus.INVITED]


class EnvelopeNotices:
    """Mails and records the notices of an envelope's end."""

    def __init__(self, mailer: Mailer, recorder: EnvelopeRecorder, catalogs: MessageCatalogs | None = None) -> None:
        self._mailer = mailer
        self._recorder = recorder
        # Signers read their notices in their own language; the sender's notices are in English.
        self._catalogs = catalogs or EnglishOnly()

    def _send(
        self,
        envelope: Envelope,
        notice: str,
        to: tuple[str, ...],
        subject: str,
        text: str,
        *,
        actor: Actor = SYSTEM,
        signer: Signer | None = None,
    ) -> NoticeResult:
        if not to:
            self._recorder.record(
                envelope,
                "envelope.notice_not_mailed",
                actor,
                signer=signer,
                detail={"notice": notice, "error": "no address to send it to"},
            )
            return NoticeResult()
        try:
            receipt = self._mailer.send(OutgoingMail(to=to, subject=subject, text=text))
        except MailUnavailable as exc:
            self._recorder.record(
                envelope,
                "envelope.notice_not_mailed",
                actor,
                signer=signer,
                detail={"notice": notice, "to": list(to), "error": exc.detail},
            )
            return NoticeResult()
        self._recorder.record(
            envelope,
            "envelope.notice_mailed",
            actor,
            signer=signer,
            detail={
                "notice": notice,
                "to": list(to),
                "accepted": list(receipt.accepted),
                "message_id": receipt.message_id,
                "transport": receipt.transport,
            },
        )
        return NoticeResult(tuple(receipt.accepted))

    def _to_sender(self, envelope: Envelope) -> tuple[str, ...]:
        return (envelope.sender_email,) if envelope.sender_email else ()

    def _greeting(self, envelope: Envelope) -> str:
        return f"Hello {envelope.sender_name},\n\n" if envelope.sender_name else "Hello,\n\n"

    def declined(self, envelope: Envelope, signer: Signer, actor: Actor) -> DeclineNotices:
        """Mail the decliner a copy of their refusal and the sender the refusal with its reason."""
        reason = signer.decline_reason or ""
        _ = self._catalogs.translator(signer.language).gettext
        words = {"name": signer.name, "title": envelope.title, "msp": envelope.msp_name, "id": envelope.id}
        copy = self._send(
            envelope,
            DECLINE_COPY,
            (signer.email,),
            _("You declined to sign: %(title)s") % words,
            _("Hello %(name)s,") % words
            + "\n\n"
            + _('You declined to sign "%(title)s" from %(msp)s.') % words
            + "\n\n"
            + _("The reason you gave:")
            + f"\n{reason}\n\n"
            + _(
                "This e-mail is your copy of that answer; nothing else is needed from you. If this was a mistake, "
                "contact the person who sent you the document."
            )
            + "\n\n"
            + _("Reference: %(id)s") % words
            + "\n",
            actor=actor,
            signer=signer,
        )
        sender = self._send(
            envelope,
            SENDER_DECLINED,
            self._to_sender(envelope),
            f"Declined: {envelope.title}",
            self._greeting(envelope) + f'{signer.name} ({signer.email}) declined to sign "{envelope.title}" '
            f"for {party_for(envelope, signer.role)}.\n\n"
            f"Their reason:\n{reason}\n\nThe envelope is closed: nobody else can sign it, and the document may "
            f"have a new version.\n\nReference: {envelope.id}\n",
            actor=actor,
            signer=signer,
        )
        return DeclineNotices(copy_to_signer=copy, to_sender=sender)

    def voided(self, envelope: Envelope, actor: Actor) -> None:
        """Tell the sender and every signer who still had a link that the envelope was withdrawn."""
        reason = envelope.end_reason or ""
        self._send(
            envelope,
            SENDER_VOIDED,
            self._to_sender(envelope),
            f"Withdrawn: {envelope.title}",
            self._greeting(envelope) + f'"{envelope.title}" was withdrawn from signature.\n\nReason given:\n'
            f"{reason}\n\nEvery signing link has stopped working.\n\nReference: {envelope.id}\n",
            actor=actor,
        )
        for signer in still_had_a_link(envelope):
            _ = self._catalogs.translator(signer.language).gettext
            words = {"name": signer.name, "title": envelope.title, "msp": envelope.msp_name, "id": envelope.id}
            self._send(
                envelope,
                SIGNERS_VOIDED,
                (signer.email,),
                _("No longer needed: %(title)s") % words,
                _("Hello %(name)s,") % words
                + "\n\n"
                + _(
                    '%(msp)s withdrew "%(title)s", so your signature is no longer needed and the signing link you '
                    "were sent no longer works."
                )
                % words
                + "\n\n"
                + _("Their reason:")
                + f"\n{reason}\n\n"
                + _("Reference: %(id)s") % words
                + "\n",
                actor=actor,
                signer=signer,
            )

    def expired(self, envelope: Envelope) -> None:
        """Tell the sender and every signer who still had a link that the envelope ran out of time."""
        waiting = still_had_a_link(envelope)
        names = ", ".join(f"{s.name} ({s.email})" for s in waiting) or "nobody"
        self._send(
            envelope,
            SENDER_EXPIRED,
            self._to_sender(envelope),
            f"Expired unsigned: {envelope.title}",
            self._greeting(envelope) + f'"{envelope.title}" expired before every party signed. Still to sign '
            f"when it expired: {names}.\n\nTo go ahead, send it again.\n\nReference: {envelope.id}\n",
        )
        for signer in waiting:
            _ = self._catalogs.translator(signer.language).gettext
            words = {"name": signer.name, "title": envelope.title, "msp": envelope.msp_name, "id": envelope.id}
            self._send(
                envelope,
                SIGNERS_EXPIRED,
                (signer.email,),
                _("Signing link expired: %(title)s") % words,
                _("Hello %(name)s,") % words
                + "\n\n"
                + _(
                    'The time to sign "%(title)s" from %(msp)s has run out, so the signing link you were sent no '
                    "longer works. If you still mean to sign, ask the person who sent it for a new one."
                )
                % words
                + "\n\n"
                + _("Reference: %(id)s") % words
                + "\n",
                signer=signer,
            )

    def completed(self, envelope: Envelope) -> None:
        """Tell the sender every party signed and the sealed copy is filed."""
        signed = ", ".join(f"{s.signed_name or s.name}" for s in envelope.signers if s.status is SignerStatus.SIGNED)
        self._send(
            envelope,
            SENDER_COMPLETED,
            self._to_sender(envelope),
            f"Signed by everyone: {envelope.title}",
            self._greeting(envelope) + f'"{envelope.title}" has been signed by every party ({signed}). The sealed '
            f"copy is filed and was e-mailed to the signers.\n\nReference: {envelope.id}\n",
        )
