"""Request and response bodies of ``/v1/envelopes``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.bounds import MAX_VERSION
from domain.email_address import EmailAddress
from domain.envelopes import Envelope, EnvelopeEvent
from domain.text import LongText, Name, ShortText


class SignerIn(BaseModel):
    """One signer as the sender names them."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    email: EmailAddress
    title: ShortText = ""
    role: Literal["client", "msp"]
    order: int = Field(default=1, ge=1, le=100)
    language: Literal["en", "fr"] | None = Field(
        default=None,
        description="The language of this signer's signing pages, e-mails and consent disclosure "
        "(en = English, fr = Canadian French); default: the envelope's language",
    )


class EnvelopeCreate(BaseModel):
    """``POST /v1/envelopes``."""

    model_config = ConfigDict(extra="forbid")

    document_id: str = Field(min_length=1, max_length=36)
    version: int = Field(ge=1, le=MAX_VERSION)
    signers: list[SignerIn] = Field(min_length=1, max_length=10)
    message: Annotated[LongText, Field(max_length=4000)] = ""
    expires_in_days: int | None = Field(default=None, ge=1, le=365)
    reminder_every_days: int | None = Field(default=None, ge=0, le=60)
    otp: bool = False
    legal_hold: bool = False
    language: Literal["en", "fr"] = Field(
        default="en", description="The language of every signer who does not name their own (en or fr)"
    )
    allow_unreviewed: bool = Field(
        default=False, description="Send a document whose template text counsel has not reviewed (recorded)"
    )
    sender_email: EmailAddress | None = Field(
        default=None,
        description="Who is told how the envelope ends (declined with the reason, withdrawn, expired, signed); "
        "default: the setting signing.notify_email",
    )
    sender_name: Name | None = Field(default=None, description="The sender's name, greeted in those mails")


class VoidIn(BaseModel):
    """``POST /v1/envelopes/{id}/void``."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[LongText, Field(min_length=1, max_length=2000)]


class SigningUrlIn(BaseModel):
    """``POST /v1/envelopes/{id}/signers/{signer_id}/signing-url``."""

    model_config = ConfigDict(extra="forbid")

    origin: str | None = Field(
        default=None,
        max_length=200,
        description="The portal origin that will frame the page (one of signing.embed_origins; "
        "may be left out when only one is listed)",
    )


class SigningUrlOut(BaseModel):
    """A short-lived signing URL for an iframe of ``origin``."""

    url: str
    envelope_id: str
    signer_id: str
    origin: str
    expires_at: datetime


class SignerOut(BaseModel):
    """A signer's state (no tokens, codes or signature images)."""

    id: str
    name: str
    email: str
    title: str
    role: str
    order: int
    language: str
    status: str
    invited_at: datetime | None
    opened_at: datetime | None
    consented_at: datetime | None
    consent_version: str | None
    viewed_at: datetime | None
    signed_at: datetime | None
    signature_method: str | None
    declined_at: datetime | None
    decline_reason: str | None


class EventOut(BaseModel):
    """One envelope event."""

    at: datetime
    action: str
    actor: str
    signer_id: str | None
    ip: str | None
    user_agent: str | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, event: EnvelopeEvent) -> EventOut:
        """Build from the domain event."""
        return cls(
            at=event.at,
            action=event.action,
            actor=event.actor,
            signer_id=event.signer_id,
            ip=event.ip,
            user_agent=event.user_agent,
            detail=event.detail,
        )


class EnvelopeOut(BaseModel):
    """An envelope, its signers and (on ``GET /v1/envelopes/{id}``) its events."""

    id: str
    document_id: str
    version: int
    client_id: str
    title: str
    status: str
    message: str
    otp: bool
    sent_sha256: str
    created_at: datetime
    created_by: str
    sender_name: str | None = None
    sender_email: str | None = None
    expires_at: datetime
    reminders_sent: int
    completed_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    seal_error: str | None
    signers: list[SignerOut]
    events: list[EventOut] | None = None

    @classmethod
    def of(cls, envelope: Envelope, events: list[EnvelopeEvent] | None = None) -> EnvelopeOut:
        """Build from the domain envelope."""
        return cls(
            id=envelope.id,
            document_id=envelope.document_id,
            version=envelope.version,
            client_id=envelope.client_id,
            title=envelope.title,
            status=envelope.status.value,
            message=envelope.message,
            otp=envelope.otp_required,
            sent_sha256=envelope.sent_sha256,
            created_at=envelope.created_at,
            created_by=envelope.created_by,
            sender_name=envelope.sender_name,
            sender_email=envelope.sender_email,
            expires_at=envelope.expires_at,
            reminders_sent=envelope.reminders_sent,
            completed_at=envelope.completed_at,
            ended_at=envelope.ended_at,
            end_reason=envelope.end_reason,
            seal_error=envelope.seal_error,
            signers=[
                SignerOut(
                    id=s.id,
                    name=s.name,
                    email=s.email,
                    title=s.title,
                    role=s.role.value,
                    order=s.order,
                    language=s.language,
                    status=s.status.value,
                    invited_at=s.invited_at,
                    opened_at=s.opened_at,
                    consented_at=s.consented_at,
                    consent_version=s.consent_version,
                    viewed_at=s.viewed_at,
                    signed_at=s.signed_at,
                    signature_method=s.signature_method,
                    declined_at=s.declined_at,
                    decline_reason=s.decline_reason,
                )
                for s in envelope.signers
            ],
            events=[EventOut.of(e) for e in events] if events is not None else None,
        )
