"""Response shapes of the webhook endpoints API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from domain.webhooks.endpoints import Attempt, Delivery, Endpoint


class EndpointOut(BaseModel):
    """A webhook endpoint (its secrets are never shown again after they are made)."""

    id: str
    url: str
    description: str
    event_types: list[str]
    owner_email: str | None
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, endpoint: Endpoint) -> EndpointOut:
        """Build from the domain endpoint."""
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            description=endpoint.description,
            event_types=endpoint.event_types,
            owner_email=endpoint.owner_email,
            enabled=endpoint.enabled,
            disabled_at=endpoint.disabled_at,
            disabled_reason=endpoint.disabled_reason,
            failing_since=endpoint.failing_since,
            created_at=endpoint.created_at,
        )


class EndpointWithSecretOut(EndpointOut):
    """A new endpoint, or one whose secret was rotated, with the secret shown this once."""

    secret: str = Field(description="whsec_... : verify signatures with it; it is not shown again")


class DeliveryOut(BaseModel):
    """A message on its way to an endpoint."""

    id: str
    message_id: str = Field(description="The webhook-id header the receiver sees")
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        """Build from the domain delivery."""
        return cls(
            id=delivery.id,
            message_id=delivery.message_id,
            status=delivery.status.value,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_attempt_at=delivery.last_attempt_at,
            delivered_at=delivery.delivered_at,
            created_at=delivery.created_at,
        )


class AttemptOut(BaseModel):
    """One request of a delivery: what was sent, what came back, how long it took."""

    delivery_id: str
    event_type: str
    attempted_at: datetime
    request_headers: dict[str, str]
    response_status: int | None
    response_body: str
    duration_ms: int
    error: str | None

    @classmethod
    def of(cls, attempt: Attempt) -> AttemptOut:
        """Build from the domain attempt."""
        return cls(
            delivery_id=attempt.delivery_id,
            event_type=attempt.event_type,
            attempted_at=attempt.attempted_at,
            request_headers=attempt.result.request_headers,
            response_status=attempt.result.status,
            response_body=attempt.result.body,
            duration_ms=attempt.result.duration_ms,
            error=attempt.result.error,
        )
