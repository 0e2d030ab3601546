"""Envelopes, signers, signing events and sealed files.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "envelopes",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("document_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("template_id", sa.String(100), nullable=False),
        sa.Column("template_version", sa.String(32), nullable=False),
        sa.Column("document_kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("otp_required", sa.Boolean(), nullable=False),
        sa.Column("legal_hold", sa.Boolean(), nullable=False),
        sa.Column("sent_key", sa.String(1024), nullable=False),
        sa.Column("sent_version_id", sa.String(200), nullable=False),
        sa.Column("sent_sha256", sa.String(64), nullable=False),
        sa.Column("client_name", sa.String(200), nullable=False),
        sa.Column("msp_name", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("reminder_every_days", sa.Integer(), nullable=False),
        sa.Column("next_reminder_at", UtcDateTime(), nullable=True),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("last_reminded_at", UtcDateTime(), nullable=True),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("seal_attempts", sa.Integer(), nullable=False),
        sa.Column("seal_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_envelopes"),
    )
    op.create_index("ix_envelopes_client_id_created_at", "envelopes", ["client_id", "created_at"])
    op.create_index("ix_envelopes_status_expires_at", "envelopes", ["status", "expires_at"])
    op.create_index("ix_envelopes_document_id_version", "envelopes", ["document_id", "version"])
    op.create_table(
        "envelope_signers",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("envelope_id", sa.String(36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("signing_order", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("invited_at", UtcDateTime(), nullable=True),
        sa.Column("opened_at", UtcDateTime(), nullable=True),
        sa.Column("consented_at", UtcDateTime(), nullable=True),
        sa.Column("consent_version", sa.String(64), nullable=True),
        sa.Column("viewed_at", UtcDateTime(), nullable=True),
        sa.Column("otp_verified_at", UtcDateTime(), nullable=True),
        sa.Column("otp_hash", sa.String(64), nullable=True),
        sa.Column("otp_expires_at", UtcDateTime(), nullable=True),
        sa.Column("otp_attempts", sa.Integer(), nullable=False),
        sa.Column("otp_locked", sa.Boolean(), nullable=False),
        sa.Column("signed_at", UtcDateTime(), nullable=True),
        sa.Column("signed_name", sa.String(200), nullable=True),
        sa.Column("signed_title", sa.String(200), nullable=True),
        sa.Column("attestation", sa.Text(), nullable=True),
        sa.Column("signature_method", sa.String(16), nullable=True),
        sa.Column("typed_text", sa.String(200), nullable=True),
        sa.Column("signature_png", sa.LargeBinary(), nullable=True),
        sa.Column("declined_at", UtcDateTime(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(512), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_envelope_signers"),
        sa.ForeignKeyConstraint(["envelope_id"], ["envelopes.id"], name="fk_envelope_signers_envelope_id_envelopes"),
    )
    op.create_index("ix_envelope_signers_envelope_id_position", "envelope_signers", ["envelope_id", "position"])
    op.create_table(
        "envelope_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("signer_id", sa.String(36), nullable=False),
        sa.Column("envelope_id", sa.String(36), nullable=False),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_envelope_tokens"),
        sa.ForeignKeyConstraint(
            ["signer_id"], ["envelope_signers.id"], name="fk_envelope_tokens_signer_id_envelope_signers"
        ),
    )
    op.create_table(
        "envelope_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("envelope_id", sa.String(36), nullable=False),
        sa.Column("signer_id", sa.String(36), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(512), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_envelope_events"),
    )
    op.create_index("ix_envelope_events_envelope_id_id", "envelope_events", ["envelope_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_envelope_events_envelope_id_id", table_name="envelope_events")
    op.drop_table("envelope_events")
    op.drop_table("envelope_tokens")
    op.drop_index("ix_envelope_signers_envelope_id_position", table_name="envelope_signers")
    op.drop_table("envelope_signers")
    op.drop_index("ix_envelopes_document_id_version", table_name="envelopes")
    op.drop_index("ix_envelopes_status_expires_at", table_name="envelopes")
    op.drop_index("ix_envelopes_client_id_created_at", table_name="envelopes")
    op.drop_table("envelopes")
