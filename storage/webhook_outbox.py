"""The transactional outbox: a webhook message written in the same transaction as the change.

``SqlAuditTrail.record`` calls ``record_webhook_message`` after appending an audit event. If the
event is one undersign announces and some enabled endpoint subscribes to it, the message and one
pending delivery per endpoint are inserted in the caller's session: they commit with the change
or not at all, so no event is lost when the process dies after the commit, and none is sent for
a change that rolled back. Sending is the delivery worker's job, never the request's.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from domain.audit.event import AuditEvent
from domain.webhooks.endpoints import DeliveryStatus
from domain.webhooks.events import event_for
from storage.tables_integrations import webhook_deliveries, webhook_endpoints, webhook_messages


def new_message_id() -> str:
    """Return a message id (the ``webhook-id`` header), unique and stable across retries."""
    return f"msg_{uuid.uuid4().hex}"


def new_delivery_id() -> str:
    """Return a delivery id."""
    return f"dlv_{uuid.uuid4().hex}"


def record_webhook_message(
    session: Session, event: AuditEvent, subjects: Mapping[str, str], payload: Mapping[str, Any] | None
) -> str | None:
    """Write the webhook message an audit event announces, with its deliveries; return its id (or ``None``)."""
    announced = event_for(event.action, subjects, payload)
    if announced is None:
        return None
    rows = session.execute(
        select(webhook_endpoints.c.id, webhook_endpoints.c.event_types).where(webhook_endpoints.c.enabled == 1)
    ).all()
    targets = [endpoint_id for endpoint_id, types in rows if announced.type in types]
    if not targets:
        return None
    message_id = new_message_id()
    session.execute(
        insert(webhook_messages).values(
            id=message_id,
            event_type=announced.type,
            payload={"ids": announced.ids, "path": announced.path},
            audit_seq=event.seq,
            created_at=event.at,
        )
    )
    for endpoint_id in targets:
        session.execute(
            insert(webhook_deliveries).values(
                id=new_delivery_id(),
                message_id=message_id,
                endpoint_id=endpoint_id,
                status=DeliveryStatus.PENDING.value,
                attempts=0,
                next_attempt_at=event.at,
                created_at=event.at,
            )
        )
    return message_id
