"""Invoices and the payment escalation ladder.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invoices",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("disputed_since", sa.Date(), nullable=True),
        sa.Column("dispute_reason", sa.Text(), nullable=True),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("promise_to_pay_on", sa.Date(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_invoices"),
        sa.UniqueConstraint("number", name="uq_invoices_number"),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name="fk_invoices_client_id_clients"),
    )
    op.create_index("ix_invoices_client_id_due_on", "invoices", ["client_id", "due_on"])
    op.create_index("ix_invoices_paid_on_due_on", "invoices", ["paid_on", "due_on"])
    op.create_table(
        "dunning_steps",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("invoice_id", sa.String(36), nullable=False),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("step_key", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("handled_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("template_id", sa.String(100), nullable=True),
        sa.Column("superseded_by", sa.String(64), nullable=True),
        sa.Column("document_id", sa.String(36), nullable=True),
        sa.Column("mail_message_id", sa.String(200), nullable=True),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dunning_steps"),
        sa.UniqueConstraint("invoice_id", "step_key", name="uq_dunning_steps_invoice_id_step_key"),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name="fk_dunning_steps_invoice_id_invoices"),
    )
    op.create_index("ix_dunning_steps_status_created_at", "dunning_steps", ["status", "created_at"])
    op.create_index("ix_dunning_steps_client_id_handled_on", "dunning_steps", ["client_id", "handled_on"])
    op.create_table(
        "dunning_policies",
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("override", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name="pk_dunning_policies"),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name="fk_dunning_policies_client_id_clients"),
    )


def downgrade() -> None:
    op.drop_table("dunning_policies")
    op.drop_index("ix_dunning_steps_client_id_handled_on", table_name="dunning_steps")
    op.drop_index("ix_dunning_steps_status_created_at", table_name="dunning_steps")
    op.drop_table("dunning_steps")
    op.drop_index("ix_invoices_paid_on_due_on", table_name="invoices")
    op.drop_index("ix_invoices_client_id_due_on", table_name="invoices")
    op.drop_table("invoices")
