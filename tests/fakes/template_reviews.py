"""An in-memory ``TemplateReviewRepository``, and a template catalog whose templates a test can edit."""

from __future__ import annotations

from dataclasses import replace

from domain.assembly.manifest import TemplateManifest
from domain.errors import Conflict
from domain.ports import TemplateCatalog
from domain.template_reviews import TemplateReview


class FakeTemplateReviewRepository:
    """Reviews in a list, with the database's one-review-per-text rule."""

    def __init__(self) -> None:
        """Start with no reviews."""
        self.rows: list[TemplateReview] = []

    def add(self, review: TemplateReview) -> None:
        """Store a review; a second one of the same text is a ``Conflict``."""
        if self.for_content(review.template_id, review.content_sha256) is not None:
            raise Conflict("This version of the template is already marked reviewed.")
        self.rows.append(review)

    def for_content(self, template_id: str, content_sha256: str) -> TemplateReview | None:
        """Return the review of this exact text, or ``None``."""
        found = [r for r in self.rows if (r.template_id, r.content_sha256) == (template_id, content_sha256)]
        return found[0] if found else None

    def latest(self) -> dict[str, TemplateReview]:
        """Return each template's newest review."""
        newest: dict[str, TemplateReview] = {}
        for review in sorted(self.rows, key=lambda r: r.reviewed_at):
            newest[review.template_id] = review
        return newest


class EditableCatalog:
    """The shipped library, except for the clause texts a test has changed (as an MSP editing a template)."""

    def __init__(self, library: TemplateCatalog) -> None:
        """Serve ``library``'s templates until one is edited."""
        self._library = library
        self._edited: dict[str, TemplateManifest] = {}

    def edit_clause(self, template_id: str, clause_id: str, body: str) -> None:
        """Replace one clause's text of ``template_id`` (its hash changes as the file's would)."""
        manifest = self.get(template_id)
        clause = manifest.clauses[clause_id]
        clauses = {**manifest.clauses, clause_id: replace(clause, body=body, sha256="0" * 64)}
        self._edited[template_id] = replace(manifest, clauses=clauses)

    def get(self, template_id: str) -> TemplateManifest:
        """Return the template, as edited if it was."""
        return self._edited.get(template_id) or self._library.get(template_id)

    def list(self) -> list[TemplateManifest]:
        """Return every template, edited ones as edited."""
        return [self._edited.get(m.id, m) for m in self._library.list()]
