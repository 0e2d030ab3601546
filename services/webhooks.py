"""Webhook endpoint use cases: register, change, rotate the secret, read the delivery log, replay.

Only keys that manage the deployment (admins) may change where undersign sends events; every
change is audited. The signing secret is shown once, when it is made; undersign keeps it to sign
with, never shows it again.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Callable
from dataclasses import replace

from domain.actor import Actor
from domain.errors import FieldError, InvalidInput, NotFound
from domain.ports import AuditTrail, Clock
from domain.roles import Permission, require
from domain.webhooks.endpoints import (
    SECRET_OVERLAP,
    Attempt,
    Delivery,
    DeliveryStatus,
    Endpoint,
    EndpointDraft,
    EndpointPatch,
    SigningSecret,
)
from domain.webhooks.ports import AddressResolver, WebhookRepository
from domain.webhooks.targets import TargetRefused, check_addresses, check_url

MAX_LOG = 500


def new_secret() -> str:
    """Return a fresh signing secret: ``whsec_`` and 32 random bytes in base64, as the spec's libraries expect."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookService:
    """Manage endpoints and their deliveries."""

    def __init__(
        self,
        repo: WebhookRepository,
        clock: Clock,
        audit: AuditTrail,
        *,
        allow_private: bool,
        resolver: AddressResolver,
        new_id: Callable[[str], str] = lambda prefix: f"{prefix}_{uuid.uuid4().hex}",
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._audit = audit
        self._allow_private = allow_private
        self._resolver = resolver
        self._new_id = new_id

    def _check_target(self, url: str) -> None:
        try:
            host, port = check_url(url, allow_private=self._allow_private)
            if not self._allow_private:
                check_addresses(host, self._resolver(host, port))
        except TargetRefused as exc:
            raise InvalidInput(str(exc), errors=[FieldError("/url", str(exc))]) from exc

    def register(self, actor: Actor, draft: EndpointDraft) -> tuple[Endpoint, str]:
        """Register an endpoint; return it and its signing secret (shown this once)."""
        _require_admin(actor)
        self._check_target(draft.url)
        now = self._clock.now()
        secret = new_secret()
        endpoint = Endpoint(
            id=self._new_id("ep"),
            url=draft.url,
            description=draft.description,
            event_types=draft.event_types,
            secrets=[SigningSecret(secret=secret, created_at=now)],
            owner_email=str(draft.owner_email) if draft.owner_email else None,
            enabled=True,
            created_at=now,
            updated_at=now,
        )
        self._repo.add_endpoint(endpoint)
        self._audit.record(
            actor,
            "webhook.endpoint_created",
            {"webhook_endpoint": endpoint.id},
            payload={"url": endpoint.url, "event_types": endpoint.event_types},
        )
        return endpoint, secret

    def get(self, endpoint_id: str) -> Endpoint:
        """Return the endpoint or raise ``NotFound``."""
        endpoint = self._repo.endpoint(endpoint_id)
        if endpoint is None:
            raise NotFound(f"No webhook endpoint with id '{endpoint_id}'.")
        return endpoint

    def all(self) -> list[Endpoint]:
        """Return every endpoint."""
        return self._repo.endpoints()

    def change(self, actor: Actor, endpoint_id: str, patch: EndpointPatch) -> Endpoint:
        """Change an endpoint; re-enabling clears its failure record so it gets a fresh start."""
        _require_admin(actor)
        current = self.get(endpoint_id)
        fields = patch.model_fields_set
        changes: dict[str, object] = {}
        if "url" in fields and patch.url is not None:
            self._check_target(patch.url)
            changes["url"] = patch.url
        if "event_types" in fields and patch.event_types is not None:
            changes["event_types"] = patch.event_types
        if "description" in fields and patch.description is not None:
            changes["description"] = patch.description
        if "owner_email" in fields:
            changes["owner_email"] = str(patch.owner_email) if patch.owner_email else None
        if "enabled" in fields and patch.enabled is not None and patch.enabled != current.enabled:
            changes["enabled"] = patch.enabled
            if patch.enabled:
                changes.update(disabled_at=None, disabled_reason=None, failing_since=None)
            else:
                changes.update(disabled_at=self._clock.now(), disabled_reason=f"disabled by {actor.label}")
        if not changes:
            return current
        updated = replace(current, updated_at=self._clock.now(), **changes)  # type: ignore[arg-type]
        self._repo.save_endpoint(updated)
        self._audit.record(
            actor,
            "webhook.endpoint_changed",
            {"webhook_endpoint": endpoint_id},
            payload={k: v for k, v in changes.items() if k in ("url", "event_types", "enabled", "description")},
        )
        return updated

    def rotate_secret(self, actor: Actor, endpoint_id: str) -> tuple[Endpoint, str]:
        """Make a new signing secret; the old ones keep signing beside it for 24 hours."""
        _require_admin(actor)
        current = self.get(endpoint_id)
        now = self._clock.now()
        secret = new_secret()
        kept = [
            replace(s, expires_at=s.expires_at or now + SECRET_OVERLAP)
            for s in current.secrets
            if s.expires_at is None or s.expires_at > now
        ]
        updated = replace(current, secrets=[SigningSecret(secret=secret, created_at=now), *kept], updated_at=now)
        self._repo.save_endpoint(updated)
        self._audit.record(actor, "webhook.secret_rotated", {"webhook_endpoint": endpoint_id})
        return updated, secret

    def deliveries(self, endpoint_id: str, status: DeliveryStatus | None, limit: int) -> list[Delivery]:
        """Return the endpoint's deliveries, newest first."""
        self.get(endpoint_id)
        return self._repo.deliveries(endpoint_id, status, max(1, min(limit, MAX_LOG)))

    def attempts(self, endpoint_id: str, limit: int) -> list[Attempt]:
        """Return the endpoint's delivery log, newest first."""
        self.get(endpoint_id)
        return self._repo.attempts(endpoint_id, max(1, min(limit, MAX_LOG)))

    def replay(self, actor: Actor, delivery_id: str) -> Delivery:
        """Send a delivered or failed message again, as a new delivery with the same ``webhook-id``."""
        _require_admin(actor)
        original = self._repo.delivery(delivery_id)
        if original is None:
            raise NotFound(f"No webhook delivery with id '{delivery_id}'.")
        now = self._clock.now()
        replayed = Delivery(
            id=self._new_id("dlv"),
            message_id=original.message_id,
            endpoint_id=original.endpoint_id,
            status=DeliveryStatus.PENDING,
            attempts=0,
            # A replay gets a fresh three-day window from now.
            created_at=now,
            next_attempt_at=now,
        )
        self._repo.add_delivery(replayed)
        self._audit.record(
            actor,
            "webhook.replayed",
            {"webhook_endpoint": original.endpoint_id},
            payload={"delivery": delivery_id, "replay": replayed.id, "message": original.message_id},
        )
        return replayed

    def replay_failed(self, actor: Actor, endpoint_id: str) -> list[Delivery]:
        """Replay every failed delivery of an endpoint."""
        _require_admin(actor)
        self.get(endpoint_id)
        failed = self._repo.deliveries(endpoint_id, DeliveryStatus.FAILED, MAX_LOG)
        return [self.replay(actor, delivery.id) for delivery in failed]


def _require_admin(actor: Actor) -> None:
    if actor.role is not None:
        require(actor.role, Permission.KEYS_MANAGE)
