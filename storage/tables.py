"""SQLAlchemy table definitions, used for queries.

The schema itself comes only from the Alembic migrations in ``storage/migrations``; a test checks
that these definitions and the migrated schema agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive times and convert aware ones to UTC before storing."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Return stored times as aware UTC datetimes."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


api_keys = Table(
    "api_keys",
    metadata,
    Column("name", String(63), primary_key=True),
    # None for a key that belongs to a user: it acts with that user's roles at the time of each request.
    Column("role", String(16), nullable=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=True),
    Index(None, "user_id"),
)

clients = Table(
    "clients",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("legal_name", String(200), nullable=False),
    # Case-folded legal name: "Acme Ltd" and "ACME LTD" in one jurisdiction are the same company.
    Column("legal_name_key", String(200), nullable=False),
    Column("short_name", String(60), nullable=False),
    Column("address", Text, nullable=False),
    Column("jurisdiction", String(8), nullable=False),
    Column("billing_email", String(320), nullable=False),
    Column("contact_name", String(200), nullable=False),
    Column("contact_title", String(200), nullable=False),
    Column("contact_email", String(320), nullable=False),
    Column("notes", Text, nullable=False),
    Column("suspended_since", Date, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("legal_name_key", "jurisdiction"),
    Index(None, "legal_name", "id"),
)

documents = Table(
    "documents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("client_id", String(36), ForeignKey("clients.id"), nullable=False),
    Column("template_id", String(100), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("latest_version", Integer, nullable=False),
    # Set when the document is sent for signature: a version in an envelope never changes.
    Column("frozen_at", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(100), nullable=False),
    Index(None, "client_id", "created_at"),
    Index(None, "template_id"),
)

document_versions = Table(
    "document_versions",
    metadata,
    Column("document_id", String(36), ForeignKey("documents.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("template_version", String(32), nullable=False),
    Column("document_date", Date, nullable=False),
    Column("variables", JSON, nullable=False),
    # Every clause used: id, version, sha256 of its source, number, title and rendered text.
    Column("clauses", JSON, nullable=False),
    Column("signature_boxes", JSON, nullable=False),
    Column("library_versions", JSON, nullable=False),
    # The client and branding the version was made with (see domain.documents.context_snapshot).
    Column("context", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(100), nullable=False),
    PrimaryKeyConstraint("document_id", "version"),
)

document_files = Table(
    "document_files",
    metadata,
    Column("document_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("format", String(8), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("bucket", String(63), nullable=False),
    Column("key", String(1024), nullable=False),
    Column("version_id", String(200), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    PrimaryKeyConstraint("document_id", "version", "format"),
    ForeignKeyConstraint(["document_id", "version"], ["document_versions.document_id", "document_versions.version"]),
)

audit_events = Table(
    "audit_events",
    metadata,
    # Insertion order, kept apart from seq: reading by id is what reveals a reordered chain.
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("seq", BigInteger, nullable=False, unique=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor_kind", String(16), nullable=False),
    Column("actor_id", String(200), nullable=False),
    Column("actor_role", String(64), nullable=True),
    Column("action", String(100), nullable=False),
    Column("subjects", JSON, nullable=False),
    Column("ip", String(64), nullable=True),
    Column("user_agent", String(512), nullable=True),
    Column("payload", JSON, nullable=True),
    Column("payload_sha256", String(64), nullable=True),
    Column("document_sha256", String(64), nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index(None, "actor_id", "seq"),
    Index(None, "action", "seq"),
    Index(None, "at"),
)

audit_subjects = Table(
    "audit_subjects",
    metadata,
    Column("seq", BigInteger, nullable=False),
    Column("subject_type", String(40), nullable=False),
    Column("subject_id", String(200), nullable=False),
    PrimaryKeyConstraint("seq", "subject_type"),
    Index(None, "subject_type", "subject_id", "seq"),
    Index(None, "subject_id", "seq"),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

signed_documents = Table(
    "signed_documents",
    metadata,
    Column("envelope_id", String(36), primary_key=True),
    Column("document_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("client_id", String(36), nullable=False),
    Column("template_id", String(100), nullable=False),
    Column("signed_at", UtcDateTime(), nullable=False),
    Column("sealed_bucket", String(63), nullable=False),
    Column("sealed_key", String(1024), nullable=False),
    Column("sealed_version_id", String(200), nullable=False),
    Column("sealed_sha256", String(64), nullable=False),
    Column("sealed_size", BigInteger, nullable=False),
    # When the sealed copy needs a fresh archive timestamp (PAdES B-LTA upkeep); NULL = not long-term.
    Column("archive_due_at", UtcDateTime(), nullable=True),
    ForeignKeyConstraint(["document_id", "version"], ["document_versions.document_id", "document_versions.version"]),
    Index(None, "client_id", "template_id", "signed_at"),
)
