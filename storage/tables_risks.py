"""Tables of the risk register: entries, every lifecycle transition, and the letter versions printed."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Date, Index, Integer, PrimaryKeyConstraint, String, Table, Text

from storage.tables import UtcDateTime, metadata

risks = Table(
    "risks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("record_id", String(20), nullable=False, unique=True),
    Column("client_id", String(36), nullable=False),
    Column("risk", String(40), nullable=False),
    Column("title", String(300), nullable=False),
    Column("recommended_control", Text, nullable=False),
    Column("date_first_recommended", Date, nullable=False),
    Column("consequences", JSON, nullable=False),
    Column("approver_name", String(120), nullable=False),
    Column("approver_title", String(120), nullable=False),
    Column("approver_email", String(254), nullable=True),
    Column("authority", String(300), nullable=False),
    Column("review_on", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("accepted_at", UtcDateTime(), nullable=True),
    Column("refused_at", UtcDateTime(), nullable=True),
    Column("envelope_id", String(36), nullable=True),
    Column("signers", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index(None, "client_id", "status"),
    Index(None, "status", "review_on"),
    Index(None, "risk", "status"),
)

risk_transitions = Table(
    "risk_transitions",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("risk_id", String(36), nullable=False),
    Column("from_status", String(20), nullable=True),
    Column("to_status", String(20), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("envelope_id", String(36), nullable=True),
    Column("document_id", String(36), nullable=True),
    Column("version", Integer, nullable=True),
    Index(None, "risk_id", "id"),
)

risk_documents = Table(
    "risk_documents",
    metadata,
    Column("risk_id", String(36), nullable=False),
    Column("document_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("record_version", Integer, nullable=False),
    PrimaryKeyConstraint("risk_id", "document_id", "version"),
    Index(None, "document_id"),
)
