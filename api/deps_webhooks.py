"""Wiring of the webhook endpoints API: the service over the request's session."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from adapters.webhook_sender import resolve_host
from api.deps import RuntimeDep, SessionDep
from services.webhooks import WebhookService
from storage.audit_trail import SqlAuditTrail
from storage.webhook_repository import SqlWebhookRepository


def webhook_service(session: SessionDep, runtime: RuntimeDep) -> WebhookService:
    """Return the webhook service bound to this request's session."""
    return WebhookService(
        SqlWebhookRepository(session),
        runtime.clock,
        SqlAuditTrail(session, runtime.clock),
        allow_private=runtime.settings.webhooks_may_reach_private,
        resolver=resolve_host,
    )


WebhookServiceDep = Annotated[WebhookService, Depends(webhook_service, scope="function")]
