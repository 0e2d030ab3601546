"""``SqlTemplateReviewRepository``: counsel's reviews of template texts in the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.errors import Conflict
from domain.template_reviews import TemplateReview
from storage.tables_templates import template_reviews


def _review(row: Row[Any]) -> TemplateReview:
    m = row._mapping
    return TemplateReview(
        id=m["id"],
        template_id=m["template_id"],
        template_version=m["template_version"],
        content_sha256=m["content_sha256"],
        reviewed_by=m["reviewed_by"],
        reviewed_at=m["reviewed_at"],
        note=m["note"],
    )


class SqlTemplateReviewRepository:
    """Reviews stored with SQLAlchemy (added, never changed); it never commits."""

    def __init__(self, session: Session) -> None:
        """Work in ``session``."""
        self._session = session

    def add(self, review: TemplateReview) -> None:
        """Store a review; a second review of the same text is a ``Conflict``."""
        try:
            with self._session.begin_nested():
                self._session.execute(
                    insert(template_reviews).values(
                        id=review.id,
                        template_id=review.template_id,
                        template_version=review.template_version,
                        content_sha256=review.content_sha256,
                        reviewed_by=review.reviewed_by,
                        reviewed_at=review.reviewed_at,
                        note=review.note,
                    )
                )
        except IntegrityError as exc:
            raise Conflict("This version of the template is already marked reviewed.") from exc

    def for_content(self, template_id: str, content_sha256: str) -> TemplateReview | None:
        """Return the review of this exact template text, or ``None``."""
        row = self._session.execute(
            select(template_reviews).where(
                template_reviews.c.template_id == template_id, template_reviews.c.content_sha256 == content_sha256
            )
        ).first()
        return _review(row) if row else None

    def latest(self) -> dict[str, TemplateReview]:
        """Return each template's most recent review, by template id."""
        newest = (
            select(template_reviews.c.template_id, func.max(template_reviews.c.reviewed_at).label("at"))
            .group_by(template_reviews.c.template_id)
            .subquery()
        )
        rows = self._session.execute(
            select(template_reviews)
            .join(
                newest,
                (newest.c.template_id == template_reviews.c.template_id)
                & (newest.c.at == template_reviews.c.reviewed_at),
            )
            .order_by(template_reviews.c.id)
        )
        return {review.template_id: review for review in map(_review, rows)}
