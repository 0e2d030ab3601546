"""Tables of the template library: counsel's reviews, each bound to one exact template text (its digest)."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text, UniqueConstraint

from storage.tables import UtcDateTime, metadata

template_reviews = Table(
    "template_reviews",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("template_id", String(120), nullable=False),
    Column("template_version", String(40), nullable=False),
    # domain.template_reviews.template_digest of the text reviewed: a changed text has no review.
    Column("content_sha256", String(64), nullable=False),
    Column("reviewed_by", String(200), nullable=False),
    Column("reviewed_at", UtcDateTime(), nullable=False),
    Column("note", Text(), nullable=True),
    UniqueConstraint("template_id", "content_sha256", name="uq_template_reviews_template_id_content_sha256"),
    Index("ix_template_reviews_template_id_reviewed_at", "template_id", "reviewed_at"),
)
