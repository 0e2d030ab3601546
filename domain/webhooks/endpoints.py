"""Webhook endpoints, messages, deliveries and attempts as undersign keeps them.

An endpoint is a URL subscribed to some event types, with signing secrets. A message is one
event, written to the outbox in the transaction of the change; a delivery is that message on its
way to one endpoint (same ``webhook-id`` on every retry, so a receiver can drop repeats); an
attempt is one HTTP request of a delivery, kept as the endpoint's delivery log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from domain.text import ShortText
from domain.webhooks.events import EVENT_TYPES

# An old secret keeps signing (beside the new one) this long after a rotation, so receivers can switch.
SECRET_OVERLAP = timedelta(hours=24)


def _event_types(values: list[str]) -> list[str]:
    unknown = sorted(set(values) - set(EVENT_TYPES))
    if unknown:
        raise ValueError(f"unknown event type(s): {', '.join(unknown)}; see GET /v1/webhooks/event-types")
    return sorted(set(values))


EventTypes = Annotated[list[str], Field(min_length=1, max_length=len(EVENT_TYPES)), AfterValidator(_event_types)]
Url = Annotated[str, Field(min_length=8, max_length=2000)]


class EndpointDraft(BaseModel):
    """What it takes to register an endpoint."""

    model_config = ConfigDict(extra="forbid")

    url: Url
    event_types: EventTypes
    description: ShortText = ""
    owner_email: EmailStr | None = Field(default=None, description="Mailed when the endpoint is disabled")


class EndpointPatch(BaseModel):
    """A change to an endpoint; ``enabled: true`` re-enables a disabled one."""

    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    event_types: EventTypes | None = None
    description: ShortText | None = None
    owner_email: EmailStr | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class SigningSecret:
    """One signing secret (``whsec_`` + base64) and, once rotated out, when it stops signing."""

    secret: str
    created_at: datetime
    expires_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the stored form."""
        return {
            "secret": self.secret,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }

    @classmethod
    def of(cls, stored: dict[str, Any]) -> SigningSecret:
        """Rebuild from the stored form."""
        expires = stored.get("expires_at")
        return cls(
            secret=stored["secret"],
            created_at=datetime.fromisoformat(stored["created_at"]),
            expires_at=datetime.fromisoformat(expires) if expires else None,
        )


@dataclass(frozen=True)
class Endpoint:
    """A registered receiver."""

    id: str
    url: str
    description: str
    event_types: list[str]
    secrets: list[SigningSecret]
    owner_email: str | None
    enabled: bool
    created_at: datetime
    updated_at: datetime
    disabled_at: datetime | None = None
    disabled_reason: str | None = None
    failing_since: datetime | None = None

    def signing_secrets(self, now: datetime) -> list[str]:
        """Return the secrets that sign now: the newest and any rotated out less than a day ago."""
        return [s.secret for s in self.secrets if s.expires_at is None or s.expires_at > now]


class DeliveryStatus(StrEnum):
    """Where a delivery is."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class Message:
    """One announced event, as written to the outbox."""

    id: str
    event_type: str
    ids: dict[str, str]
    path: str
    audit_seq: int | None
    created_at: datetime


@dataclass(frozen=True)
class Delivery:
    """A message on its way to one endpoint."""

    id: str
    message_id: str
    endpoint_id: str
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True)
class SendResult:
    """What one HTTP request of a delivery got."""

    request_headers: dict[str, str]
    duration_ms: int
    status: int | None = None
    body: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the receiver took the message (any 2xx)."""
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class Attempt:
    """One logged request of a delivery."""

    delivery_id: str
    endpoint_id: str
    attempted_at: datetime
    result: SendResult
    id: int = 0
    event_type: str = field(default="")
