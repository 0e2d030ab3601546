"""The edges the webhook use cases reach through: the stored outbox and the HTTP sender."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.webhooks.endpoints import Attempt, Delivery, DeliveryStatus, Endpoint, Message, SendResult


class WebhookRepository(Protocol):
    """Endpoints, messages, deliveries and attempts; implementations never commit."""

    def add_endpoint(self, endpoint: Endpoint) -> None:
        """Insert a new endpoint."""
        ...

    def save_endpoint(self, endpoint: Endpoint) -> None:
        """Store every field of an endpoint."""
        ...

    def endpoint(self, endpoint_id: str) -> Endpoint | None:
        """Return the endpoint, or ``None``."""
        ...

    def endpoints(self) -> list[Endpoint]:
        """Return every endpoint, oldest first."""
        ...

    def message(self, message_id: str) -> Message | None:
        """Return a message of the outbox, or ``None``."""
        ...

    def delivery(self, delivery_id: str) -> Delivery | None:
        """Return a delivery, or ``None``."""
        ...

    def add_delivery(self, delivery: Delivery) -> None:
        """Insert a delivery (a replay)."""
        ...

    def save_delivery(self, delivery: Delivery) -> None:
        """Store a delivery's status, counters and times."""
        ...

    def deliveries(self, endpoint_id: str, status: DeliveryStatus | None, limit: int) -> list[Delivery]:
        """Return an endpoint's deliveries, newest first."""
        ...

    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[tuple[Delivery, Message, Endpoint]]:
        """Take up to ``limit`` due deliveries of enabled endpoints, leasing them until ``lease_until``."""
        ...

    def add_attempt(self, attempt: Attempt) -> None:
        """Log one request of a delivery."""
        ...

    def attempts(self, endpoint_id: str, limit: int) -> list[Attempt]:
        """Return an endpoint's delivery log, newest first."""
        ...


class WebhookSender(Protocol):
    """Signs and posts one message to one URL; never raises for a receiver's failure."""

    def send(self, url: str, message_id: str, timestamp: datetime, body: bytes, secrets: list[str]) -> SendResult:
        """POST ``body`` signed with every secret in ``secrets``; return what came back."""
        ...


class AddressResolver(Protocol):
    """Resolves a host name to its addresses (for the SSRF check)."""

    def __call__(self, host: str, port: int) -> list[str]:
        """Return every address ``host`` resolves to."""
        ...
