"""Tables that connect undersign to the MSP's other systems.

Idempotency keys (a retried POST replays its first answer), clients' ids in the PSA and the
accounting package, and the webhook outbox: endpoints, the messages written in the same
transaction as the change they announce, one delivery per message and endpoint, and the log of
every attempt.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, LargeBinary, String, Table, Text

from storage.tables import UtcDateTime, metadata

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    # The key is scoped by who sent it (a hash of the bearer key): two callers may pick the same key.
    Column("owner", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("method", String(8), nullable=False),
    Column("path", String(500), nullable=False),
    Column("state", String(12), nullable=False),
    Column("response_status", Integer, nullable=True),
    Column("response_headers", JSON, nullable=True),
    Column("response_body", LargeBinary, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("completed_at", UtcDateTime(), nullable=True),
    Index(None, "created_at"),
)

client_external_ids = Table(
    "client_external_ids",
    metadata,
    Column("system", String(20), primary_key=True),
    Column("external_id", String(200), primary_key=True),
    # Case-folded id: accounting exports do not keep a customer name's case reliably.
    Column("external_key", String(200), nullable=False),
    Column("client_id", String(36), ForeignKey("clients.id"), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index(None, "system", "external_key", unique=True),
    Index(None, "client_id"),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("description", String(200), nullable=False),
    Column("event_types", JSON, nullable=False),
    # Signing secrets, newest first; an old one keeps signing until it expires (rotation without a gap).
    Column("secrets", JSON, nullable=False),
    Column("owner_email", String(320), nullable=True),
    Column("enabled", Integer, nullable=False),
    Column("disabled_at", UtcDateTime(), nullable=True),
    Column("disabled_reason", Text, nullable=True),
    Column("failing_since", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

webhook_messages = Table(
    "webhook_messages",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("event_type", String(60), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("audit_seq", BigInteger, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index(None, "created_at"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("message_id", String(40), ForeignKey("webhook_messages.id"), nullable=False),
    Column("endpoint_id", String(40), ForeignKey("webhook_endpoints.id"), nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=True),
    Column("last_attempt_at", UtcDateTime(), nullable=True),
    Column("delivered_at", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index(None, "status", "next_attempt_at"),
    Index(None, "endpoint_id", "created_at"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("delivery_id", String(40), ForeignKey("webhook_deliveries.id"), nullable=False),
    Column("endpoint_id", String(40), nullable=False),
    Column("attempted_at", UtcDateTime(), nullable=False),
    Column("request_headers", JSON, nullable=False),
    Column("response_status", Integer, nullable=True),
    Column("response_body", Text, nullable=True),
    Column("duration_ms", Integer, nullable=False),
    Column("error", Text, nullable=True),
    Index(None, "endpoint_id", "attempted_at"),
    Index(None, "delivery_id"),
)
