"""The webhook delivery worker: claim due deliveries, send them, log each attempt, retry or give up.

Work goes through the database only (no other broker): a claim leases due deliveries in a short
transaction; each request is then made with no transaction open; its outcome (the attempt log,
the delivery's new state, the endpoint's failure record) commits in one more short transaction.
A worker that dies between the request and that commit leaves the delivery leased; when the
lease runs out it is sent again with the same ``webhook-id``, which receivers use to drop repeats.

Failures retry on the schedule in ``domain.webhooks.schedule`` (exponential backoff with jitter,
three days), then the delivery is marked failed. An endpoint that has not taken a single message
for five days is disabled and its owner mailed; its deliveries wait until it is re-enabled.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import timedelta

from domain.actor import SYSTEM
from domain.errors import MailUnavailable
from domain.ports import AuditTrail, Clock, Mailer, OutgoingMail
from domain.webhooks.endpoints import Attempt, Delivery, DeliveryStatus, Endpoint, Message, SendResult
from domain.webhooks.events import message_body
from domain.webhooks.ports import WebhookRepository, WebhookSender
from domain.webhooks.schedule import next_attempt, should_disable

log = logging.getLogger("undersign.webhooks")
LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class WebhookUnit:
    """What one short transaction of the worker works with."""

    repo: WebhookRepository
    audit: AuditTrail


WebhookUnits = Callable[[], AbstractContextManager[WebhookUnit]]
# Told about every attempt: event type, whether it was taken, seconds it took (for metrics).
AttemptObserver = Callable[[str, bool, float], None]


def body_of(message: Message, base_url: str) -> bytes:
    """Return the exact bytes sent for ``message`` (the same on every attempt)."""
    body = message_body(
        message.event_type,
        message.ids,
        message.path,
        message.created_at.isoformat().replace("+00:00", "Z"),
        base_url,
        message.audit_seq,
    )
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


class WebhookDispatcher:
    """Deliver what is due, once per call of ``run_once``."""

    def __init__(
        self,
        units: WebhookUnits,
        sender: WebhookSender,
        clock: Clock,
        *,
        base_url: str,
        mailer: Mailer | None = None,
        spread: Callable[[], float] = random.random,
        batch: int = 50,
        signing_clock: Clock | None = None,
        observe: AttemptObserver | None = None,
    ) -> None:
        self._units = units
        self._sender = sender
        self._clock = clock
        # Signatures carry the time the request is really made (receivers refuse old timestamps).
        self._signing_clock = signing_clock or clock
        self._base_url = base_url
        self._mailer = mailer
        self._spread = spread
        self._batch = batch
        self._observe = observe

    def run_once(self) -> dict[str, int]:
        """Send every delivery due now; return counts of delivered, retrying, failed and disabled."""
        counts = {"delivered": 0, "retrying": 0, "failed": 0, "disabled": 0}
        now = self._clock.now()
        with self._units() as unit:
            claimed = unit.repo.claim_due(now, now + LEASE, self._batch)
        for delivery, message, endpoint in claimed:
            result = self._sender.send(
                endpoint.url,
                message.id,
                self._signing_clock.now(),
                body_of(message, self._base_url),
                endpoint.signing_secrets(now),
            )
            if self._observe is not None:
                self._observe(message.event_type, result.ok, result.duration_ms / 1000)
            for outcome in self._settle(delivery, message, endpoint, result):
                counts[outcome] += 1
        return counts

    def _settle(self, delivery: Delivery, message: Message, endpoint: Endpoint, result: SendResult) -> Iterator[str]:
        now = self._clock.now()
        with self._units() as unit:
            unit.repo.add_attempt(Attempt(delivery.id, endpoint.id, now, result))
            current = unit.repo.endpoint(endpoint.id) or endpoint
            attempts = delivery.attempts + 1
            if result.ok:
                unit.repo.save_delivery(
                    replace(
                        delivery,
                        status=DeliveryStatus.DELIVERED,
                        attempts=attempts,
                        last_attempt_at=now,
                        delivered_at=now,
                        next_attempt_at=None,
                    )
                )
                if current.failing_since is not None:
                    unit.repo.save_endpoint(replace(current, failing_since=None, updated_at=now))
                yield "delivered"
                return
            retry_at = next_attempt(delivery.created_at, attempts, now, self._spread())
            status = DeliveryStatus.PENDING if retry_at is not None else DeliveryStatus.FAILED
            unit.repo.save_delivery(
                replace(delivery, status=status, attempts=attempts, last_attempt_at=now, next_attempt_at=retry_at)
            )
            yield "retrying" if retry_at is not None else "failed"
            if retry_at is None:
                log.warning("webhook %s to %s failed for good after %d attempts", message.id, endpoint.id, attempts)
            failing_since = current.failing_since or now
            if current.enabled and should_disable(failing_since, now):
                reason = f"every delivery failed since {failing_since.isoformat()}; last: {_describe(result)}"
                unit.repo.save_endpoint(
                    replace(
                        current,
                        enabled=False,
                        disabled_at=now,
                        disabled_reason=reason,
                        failing_since=failing_since,
                        updated_at=now,
                    )
                )
                unit.audit.record(
                    SYSTEM, "webhook.endpoint_disabled", {"webhook_endpoint": endpoint.id}, payload={"reason": reason}
                )
                self._mail_owner(current, reason)
                yield "disabled"
            elif current.failing_since is None:
                unit.repo.save_endpoint(replace(current, failing_since=now, updated_at=now))

    def _mail_owner(self, endpoint: Endpoint, reason: str) -> None:
        if self._mailer is None or not endpoint.owner_email:
            return
        text = (
            f"undersign stopped sending webhooks to {endpoint.url} ({endpoint.description or endpoint.id}).\n\n"
            f"Reason: {reason}.\n\n"
            "Events are kept. Once the receiver works again, re-enable the endpoint "
            f"(PATCH /v1/webhooks/endpoints/{endpoint.id} with enabled: true); "
            "waiting deliveries are then sent, and failed ones can be replayed.\n"
        )
        try:
            self._mailer.send(
                OutgoingMail(
                    to=(endpoint.owner_email,), subject="Webhook endpoint disabled after repeated failures", text=text
                )
            )
        except MailUnavailable as exc:
            log.warning("could not mail the owner of webhook endpoint %s: %s", endpoint.id, exc.detail)


def _describe(result: SendResult) -> str:
    if result.status is not None:
        return f"HTTP {result.status}"
    return result.error or "no answer"
