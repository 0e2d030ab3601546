"""``SqlWebhookRepository``: webhook endpoints, the outbox, deliveries and the delivery log.

Due deliveries are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL and leased (their next
attempt moved past the lease) in the claiming transaction, which commits before any HTTP request
is made: several workers on several hosts never send the same delivery at once, no lock is held
while a receiver is slow, and a worker that dies mid-request only delays that delivery to the end
of its lease.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.orm import Session

from domain.webhooks.endpoints import (
    Attempt,
    Delivery,
    DeliveryStatus,
    Endpoint,
    Message,
    SendResult,
    SigningSecret,
)
from storage.tables_integrations import webhook_attempts as attempts_t
from storage.tables_integrations import webhook_deliveries as deliveries_t
from storage.tables_integrations import webhook_endpoints as endpoints_t
from storage.tables_integrations import webhook_messages as messages_t


def endpoint_from_row(row: Any) -> Endpoint:
    """Rebuild an endpoint from its row."""
    m = row._mapping
    return Endpoint(
        id=m["id"],
        url=m["url"],
        description=m["description"],
        event_types=list(m["event_types"]),
        secrets=[SigningSecret.of(s) for s in m["secrets"]],
        owner_email=m["owner_email"],
        enabled=bool(m["enabled"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        disabled_at=m["disabled_at"],
        disabled_reason=m["disabled_reason"],
        failing_since=m["failing_since"],
    )


def _endpoint_values(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "secrets": [s.as_dict() for s in endpoint.secrets],
        "owner_email": endpoint.owner_email,
        "enabled": 1 if endpoint.enabled else 0,
        "disabled_at": endpoint.disabled_at,
        "disabled_reason": endpoint.disabled_reason,
        "failing_since": endpoint.failing_since,
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
    }


def _delivery(row: Any) -> Delivery:
    m = row._mapping
    return Delivery(
        id=m["id"],
        message_id=m["message_id"],
        endpoint_id=m["endpoint_id"],
        status=DeliveryStatus(m["status"]),
        attempts=m["attempts"],
        created_at=m["created_at"],
        next_attempt_at=m["next_attempt_at"],
        last_attempt_at=m["last_attempt_at"],
        delivered_at=m["delivered_at"],
    )


def _message(row: Any) -> Message:
    m = row._mapping
    payload = m["payload"]
    return Message(
        id=m["id"],
        event_type=m["event_type"],
        ids=dict(payload["ids"]),
        path=payload["path"],
        audit_seq=m["audit_seq"],
        created_at=m["created_at"],
    )


def _delivery_values(delivery: Delivery) -> dict[str, Any]:
    return {
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_attempt_at": delivery.last_attempt_at,
        "delivered_at": delivery.delivered_at,
    }


class SqlWebhookRepository:
    """The webhook tables through SQLAlchemy; it never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add_endpoint(self, endpoint: Endpoint) -> None:
        """Insert a new endpoint."""
        self._session.execute(insert(endpoints_t).values(**_endpoint_values(endpoint)))

    def save_endpoint(self, endpoint: Endpoint) -> None:
        """Store every field of an endpoint."""
        values = _endpoint_values(endpoint)
        del values["id"]
        self._session.execute(update(endpoints_t).where(endpoints_t.c.id == endpoint.id).values(**values))

    def endpoint(self, endpoint_id: str) -> Endpoint | None:
        """Return the endpoint, or ``None``."""
        row = self._session.execute(select(endpoints_t).where(endpoints_t.c.id == endpoint_id)).first()
        return endpoint_from_row(row) if row else None

    def endpoints(self) -> list[Endpoint]:
        """Return every endpoint, oldest first."""
        rows = self._session.execute(select(endpoints_t).order_by(endpoints_t.c.created_at, endpoints_t.c.id))
        return [endpoint_from_row(row) for row in rows]

    def message(self, message_id: str) -> Message | None:
        """Return a message of the outbox, or ``None``."""
        row = self._session.execute(select(messages_t).where(messages_t.c.id == message_id)).first()
        return _message(row) if row else None

    def delivery(self, delivery_id: str) -> Delivery | None:
        """Return a delivery, or ``None``."""
        row = self._session.execute(select(deliveries_t).where(deliveries_t.c.id == delivery_id)).first()
        return _delivery(row) if row else None

    def add_delivery(self, delivery: Delivery) -> None:
        """Insert a delivery."""
        self._session.execute(
            insert(deliveries_t).values(
                id=delivery.id,
                message_id=delivery.message_id,
                endpoint_id=delivery.endpoint_id,
                created_at=delivery.created_at,
                **_delivery_values(delivery),
            )
        )

    def save_delivery(self, delivery: Delivery) -> None:
        """Store a delivery's status, counters and times."""
        self._session.execute(
            update(deliveries_t).where(deliveries_t.c.id == delivery.id).values(**_delivery_values(delivery))
        )

    def deliveries(self, endpoint_id: str, status: DeliveryStatus | None, limit: int) -> list[Delivery]:
        """Return an endpoint's deliveries, newest first."""
        stmt = select(deliveries_t).where(deliveries_t.c.endpoint_id == endpoint_id)
        if status is not None:
            stmt = stmt.where(deliveries_t.c.status == status.value)
        stmt = stmt.order_by(deliveries_t.c.created_at.desc(), deliveries_t.c.id.desc()).limit(limit)
        return [_delivery(row) for row in self._session.execute(stmt)]

    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[tuple[Delivery, Message, Endpoint]]:
        """Take up to ``limit`` due deliveries of enabled endpoints and lease them until ``lease_until``."""
        due = (
            select(deliveries_t.c.id)
            .join(endpoints_t, endpoints_t.c.id == deliveries_t.c.endpoint_id)
            .where(
                deliveries_t.c.status == DeliveryStatus.PENDING.value,
                deliveries_t.c.next_attempt_at <= now,
                endpoints_t.c.enabled == 1,
            )
            .order_by(deliveries_t.c.next_attempt_at, deliveries_t.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=deliveries_t)
        )
        ids = [row[0] for row in self._session.execute(due)]
        if not ids:
            return []
        self._session.execute(
            update(deliveries_t).where(deliveries_t.c.id.in_(ids)).values(next_attempt_at=lease_until)
        )
        rows = self._session.execute(
            select(deliveries_t, messages_t, endpoints_t)
            .join(messages_t, messages_t.c.id == deliveries_t.c.message_id)
            .join(endpoints_t, endpoints_t.c.id == deliveries_t.c.endpoint_id)
            .where(deliveries_t.c.id.in_(ids))
            .order_by(messages_t.c.created_at, deliveries_t.c.id)
        ).all()
        out = []
        for row in rows:
            m = row._mapping
            delivery = _delivery(_Sub(m, deliveries_t))
            message = _message(_Sub(m, messages_t))
            endpoint = endpoint_from_row(_Sub(m, endpoints_t))
            out.append((delivery, message, endpoint))
        return out

    def add_attempt(self, attempt: Attempt) -> None:
        """Log one request of a delivery."""
        result = attempt.result
        self._session.execute(
            insert(attempts_t).values(
                delivery_id=attempt.delivery_id,
                endpoint_id=attempt.endpoint_id,
                attempted_at=attempt.attempted_at,
                request_headers=result.request_headers,
                response_status=result.status,
                response_body=result.body,
                duration_ms=result.duration_ms,
                error=result.error,
            )
        )

    def attempts(self, endpoint_id: str, limit: int) -> list[Attempt]:
        """Return an endpoint's delivery log, newest first, with each attempt's event type."""
        rows = self._session.execute(
            select(attempts_t, messages_t.c.event_type)
            .join(deliveries_t, deliveries_t.c.id == attempts_t.c.delivery_id)
            .join(messages_t, messages_t.c.id == deliveries_t.c.message_id)
            .where(attempts_t.c.endpoint_id == endpoint_id)
            .order_by(attempts_t.c.id.desc())
            .limit(limit)
        )
        out = []
        for row in rows:
            m = row._mapping
            out.append(
                Attempt(
                    id=m["id"],
                    delivery_id=m["delivery_id"],
                    endpoint_id=m["endpoint_id"],
                    attempted_at=m["attempted_at"],
                    event_type=m["event_type"],
                    result=SendResult(
                        request_headers=dict(m["request_headers"]),
                        duration_ms=m["duration_ms"],
                        status=m["response_status"],
                        body=m["response_body"] or "",
                        error=m["error"],
                    ),
                )
            )
        return out


def purge_history(session: Session, before: datetime) -> int:
    """Delete messages older than ``before`` that nothing waits to send, with deliveries and log; return the count."""
    waiting = exists().where(
        deliveries_t.c.message_id == messages_t.c.id, deliveries_t.c.status == DeliveryStatus.PENDING.value
    )
    old = select(messages_t.c.id).where(messages_t.c.created_at < before, ~waiting)
    ids = [row[0] for row in session.execute(old)]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        deliveries = select(deliveries_t.c.id).where(deliveries_t.c.message_id.in_(chunk))
        session.execute(delete(attempts_t).where(attempts_t.c.delivery_id.in_(deliveries)))
        session.execute(delete(deliveries_t).where(deliveries_t.c.message_id.in_(chunk)))
        session.execute(delete(messages_t).where(messages_t.c.id.in_(chunk)))
    return len(ids)


class _Sub:
    """The columns of one table out of a joined row, addressable by column name."""

    def __init__(self, mapping: Any, table: Any) -> None:
        self._mapping = {column.name: mapping[column] for column in table.c}
