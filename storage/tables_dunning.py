"""Tables of the dunning area: invoices, the record of every ladder step, per-client ladder overrides."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Date, ForeignKey, Index, String, Table, Text, UniqueConstraint

from storage.tables import UtcDateTime, metadata

invoices = Table(
    "invoices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("client_id", String(36), ForeignKey("clients.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    # Integer minor units (cents): no float ever touches a balance.
    Column("amount_minor", BigInteger, nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("paid_on", Date, nullable=True),
    Column("disputed_since", Date, nullable=True),
    Column("dispute_reason", Text, nullable=True),
    Column("paused_until", Date, nullable=True),
    Column("promise_to_pay_on", Date, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index(None, "client_id", "due_on"),
    Index(None, "paid_on", "due_on"),
)

dunning_steps = Table(
    "dunning_steps",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("invoice_id", String(36), ForeignKey("invoices.id"), nullable=False),
    Column("client_id", String(36), nullable=False),
    Column("step_key", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("handled_on", Date, nullable=False),
    Column("status", String(24), nullable=False),
    Column("template_id", String(100), nullable=True),
    Column("superseded_by", String(64), nullable=True),
    Column("document_id", String(36), nullable=True),
    Column("mail_message_id", String(200), nullable=True),
    Column("facts", JSON, nullable=False),
    Column("decided_by", String(100), nullable=True),
    Column("decided_at", UtcDateTime(), nullable=True),
    Column("decision_note", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    # Once per invoice and step, whatever runs at once: the database refuses a second record.
    UniqueConstraint("invoice_id", "step_key"),
    Index(None, "status", "created_at"),
    Index(None, "client_id", "handled_on"),
)

dunning_policies = Table(
    "dunning_policies",
    metadata,
    Column("client_id", String(36), ForeignKey("clients.id"), primary_key=True),
    Column("override", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(100), nullable=False),
)
