"""Tables of the envelopes area: envelopes, their signers, link tokens (hashed) and events."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from storage.tables import UtcDateTime, metadata

envelopes = Table(
    "envelopes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("document_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("client_id", String(36), nullable=False),
    Column("template_id", String(100), nullable=False),
    Column("template_version", String(32), nullable=False),
    Column("document_kind", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("otp_required", Boolean, nullable=False),
    Column("legal_hold", Boolean, nullable=False),
    # The exact bytes the signers are shown: object key, version id and SHA-256 of the sent PDF.
    Column("sent_key", String(1024), nullable=False),
    Column("sent_version_id", String(200), nullable=False),
    Column("sent_sha256", String(64), nullable=False),
    Column("client_name", String(200), nullable=False),
    Column("msp_name", String(200), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(100), nullable=False),
    # Who sent it (the named user when a person did), printed on the certificate of completion.
    Column("sender_user_id", String(36), nullable=True),
    Column("sender_name", String(200), nullable=True),
    Column("sender_title", String(200), nullable=True),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("reminder_every_days", Integer, nullable=False),
    Column("next_reminder_at", UtcDateTime(), nullable=True),
    Column("reminders_sent", Integer, nullable=False),
    Column("last_reminded_at", UtcDateTime(), nullable=True),
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("ended_at", UtcDateTime(), nullable=True),
    Column("end_reason", Text, nullable=True),
    Column("seal_attempts", Integer, nullable=False),
    Column("seal_error", Text, nullable=True),
    Column("sender_email", String(320), nullable=True),
    Index(None, "client_id", "created_at"),
    Index(None, "status", "expires_at"),
    Index(None, "document_id", "version"),
)

envelope_signers = Table(
    "envelope_signers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("envelope_id", String(36), ForeignKey("envelopes.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("title", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("signing_order", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("invited_at", UtcDateTime(), nullable=True),
    Column("opened_at", UtcDateTime(), nullable=True),
    Column("consented_at", UtcDateTime(), nullable=True),
    Column("consent_version", String(64), nullable=True),
    Column("viewed_at", UtcDateTime(), nullable=True),
    # Comma-separated 0-based indexes of the pages whose images were delivered to the signer.
    Column("viewed_pages", Text, nullable=True),
    # Comma-separated whole-document views delivered (reading_view, pdf_download).
    Column("delivered_views", String(100), nullable=True),
    Column("otp_verified_at", UtcDateTime(), nullable=True),
    Column("otp_hash", String(64), nullable=True),
    Column("otp_expires_at", UtcDateTime(), nullable=True),
    Column("otp_attempts", Integer, nullable=False),
    Column("otp_locked", Boolean, nullable=False),
    Column("signed_at", UtcDateTime(), nullable=True),
    Column("signed_name", String(200), nullable=True),
    Column("signed_title", String(200), nullable=True),
    Column("attestation", Text, nullable=True),
    Column("signature_method", String(16), nullable=True),
    Column("typed_text", String(200), nullable=True),
    Column("signature_png", LargeBinary, nullable=True),
    Column("declined_at", UtcDateTime(), nullable=True),
    Column("decline_reason", Text, nullable=True),
    Column("ip", String(64), nullable=True),
    Column("user_agent", String(512), nullable=True),
    # The language of the signer's pages, mails and consent disclosure ("en" or "fr").
    Column("language", String(8), nullable=False, server_default="en"),
    Index(None, "envelope_id", "position"),
)

envelope_tokens = Table(
    "envelope_tokens",
    metadata,
    # SHA-256 of the link token: the token itself is never stored.
    Column("token_hash", String(64), primary_key=True),
    Column("signer_id", String(36), ForeignKey("envelope_signers.id"), nullable=False),
    Column("envelope_id", String(36), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    # Embedded links only: when the link stops working, and the one origin that may frame its pages.
    Column("expires_at", UtcDateTime(), nullable=True),
    Column("frame_origin", String(200), nullable=True),
)

envelope_events = Table(
    "envelope_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("envelope_id", String(36), nullable=False),
    Column("signer_id", String(36), nullable=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("action", String(64), nullable=False),
    Column("actor", String(320), nullable=False),
    Column("ip", String(64), nullable=True),
    Column("user_agent", String(512), nullable=True),
    Column("detail", JSON, nullable=False),
    Index(None, "envelope_id", "id"),
)
