"""Counsel's review of the template library: what each template's current text is, and whether it is reviewed.

An admin marks the template text shown on the console's Templates page as reviewed; the review
names the exact text (its digest, ``domain.template_reviews.template_digest``), so a template edited
afterwards is a draft again until it is reviewed anew. ``DocumentService`` asks :meth:`reviewed`
when it prints a document: a reviewed text prints without the draft mark (``counsel_reviewed``),
unless the request set ``counsel_reviewed`` itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from domain.actor import Actor
from domain.assembly.manifest import TemplateManifest
from domain.errors import Conflict, FieldError, InvalidInput
from domain.ports import AuditTrail, Clock, TemplateCatalog, TemplateReviewRepository
from domain.roles import Permission
from domain.template_reviews import TemplateReview, template_digest
from domain.text import text_problem

NOTE_MAX = 1000
"""The longest note on a review (characters), e.g. who at the law firm reviewed it."""


@dataclass(frozen=True)
class TemplateStatus:
    """One template as the library holds it now, with the review of this text and the latest review of any."""

    manifest: TemplateManifest
    content_sha256: str
    review: TemplateReview | None
    latest: TemplateReview | None

    @property
    def changed_since_review(self) -> bool:
        """Whether an earlier text was reviewed but the current one was not (the template was edited)."""
        return self.review is None and self.latest is not None


class TemplateReviewService:
    """Show the library's review status and record reviews (admins only; every review is audited)."""

    def __init__(
        self, templates: TemplateCatalog, reviews: TemplateReviewRepository, clock: Clock, audit: AuditTrail
    ) -> None:
        """Read templates from ``templates`` and reviews from ``reviews``."""
        self._templates = templates
        self._reviews = reviews
        self._clock = clock
        self._audit = audit

    def library(self) -> list[TemplateStatus]:
        """Return every template with its current digest and review status, by template id."""
        latest = self._reviews.latest()
        found = []
        for manifest in self._templates.list():
            digest = template_digest(manifest)
            found.append(
                TemplateStatus(
                    manifest, digest, self._reviews.for_content(manifest.id, digest), latest.get(manifest.id)
                )
            )
        return found

    def reviewed(self, manifest: TemplateManifest) -> TemplateReview | None:
        """Return the review of ``manifest``'s exact text, or ``None`` when this text is not reviewed."""
        return self._reviews.for_content(manifest.id, template_digest(manifest))

    def mark_reviewed(self, actor: Actor, template_id: str, content_sha256: str, note: str | None) -> TemplateReview:
        """Record that counsel reviewed the text with digest ``content_sha256`` (the one the admin was shown)."""
        actor.require(Permission.TEMPLATES_REVIEW)
        manifest = self._templates.get(template_id)
        digest = template_digest(manifest)
        if content_sha256 != digest:
            # The admin looked at another text than the one the library holds now: review what is current.
            raise Conflict(
                f"The template {template_id} changed since the page was opened; open the Templates page again "
                "and review the current text.",
                errors=[FieldError("content_sha256", f"the current text is {digest[:12]}")],
            )
        note = (note or "").strip() or None
        if note is not None:
            problem = text_problem(note, multi_line=True)
            if problem is None and len(note) > NOTE_MAX:
                problem = f"at most {NOTE_MAX} characters"
            if problem is not None:
                raise InvalidInput("The note cannot be used as it is.", errors=[FieldError("note", problem)])
        review = TemplateReview(
            id=str(uuid.uuid4()),
            template_id=manifest.id,
            template_version=manifest.version,
            content_sha256=digest,
            reviewed_by=actor.label,
            reviewed_at=self._clock.now(),
            note=note,
        )
        self._reviews.add(review)
        self._audit.record(
            actor,
            "template.reviewed",
            {"template": manifest.id},
            payload={"version": manifest.version, "content_sha256": digest, "note": note},
        )
        return review
