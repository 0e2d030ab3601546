"""Tables of the staff console: named users, their one-time links and their signed-in sessions.

Only hashes of link tokens and session ids are stored: a copy of the database does not let anyone
set a password or take over a session.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table

from storage.tables import UtcDateTime, metadata

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    # Stored lower-cased (domain.users.normalise_email), so uniqueness ignores case.
    Column("email", String(254), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("title", String(200), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("password_hash", String(200), nullable=True),
    # Sealed (adapters.secret_box): a copy of the table does not give anyone second-factor codes.
    Column("totp_secret", String(255), nullable=True),
    Column("totp_enabled_at", UtcDateTime(), nullable=True),
    Column("failed_attempts", Integer, nullable=False),
    Column("locked_until", UtcDateTime(), nullable=True),
    Column("disabled_at", UtcDateTime(), nullable=True),
    Column("last_sign_in_at", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

user_links = Table(
    "user_links",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime(), nullable=True),
    Index(None, "user_id"),
)

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_seen_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=True),
    Column("ip", String(64), nullable=True),
    Column("user_agent", String(512), nullable=True),
    Index(None, "user_id"),
)
