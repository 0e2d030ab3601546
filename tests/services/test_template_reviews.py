"""Counsel's review of a template text: marked by an admin, audited, bound to the text, lifted by an edit."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.template_library import TemplateLibrary
from domain.actor import Actor
from domain.assembly.assemble import REVIEWED_VARIABLE
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.roles import Role
from domain.template_reviews import template_digest
from services.documents import DocumentService
from services.template_reviews import TemplateReviewService
from tests.fakes.template_reviews import EditableCatalog, FakeTemplateReviewRepository
from tests.fakes.templates import FakeRenderer
from tests.services.office import FakeOffice
from undersign.settings import REPO_ROOT

ADMIN = Actor(name="ada", role=Role.ADMIN)
BILLING = Actor(name="billing-desk", role=Role.BILLING)
REMINDER = "notices/reminder"
SAMPLE = REPO_ROOT / "templates" / REMINDER / "samples" / "day-07.json"


class Library:
    """The office, an editable catalog, the review service and a document service that asks it."""

    def __init__(self, template_library: TemplateLibrary) -> None:
        self.office = FakeOffice(template_library, at=datetime(2026, 2, 23, 9, tzinfo=UTC))
        self.office.add_client()
        self.catalog = EditableCatalog(template_library)
        self.reviews = FakeTemplateReviewRepository()
        self.service = TemplateReviewService(self.catalog, self.reviews, self.office.clock, self.office.audit)
        self.documents = DocumentService(
            documents=self.office.documents,
            clients=self.office.clients,
            templates=self.catalog,
            renderer=FakeRenderer(self.catalog),
            blobs=self.office.blobs,
            clock=self.office.clock,
            branding=self.office.branding,
            audit=self.office.audit,
            reviews=self.reviews,
        )

    def reminder_variables(self) -> dict[str, Any]:
        """Return the reminder sample's variables (they do not set ``counsel_reviewed``)."""
        data: dict[str, Any] = json.loads(SAMPLE.read_text())
        assert REVIEWED_VARIABLE not in data
        return data

    def new_reminder(self, **extra: Any) -> dict[str, Any]:
        """File a reminder and return the variables its version was printed with."""
        [client] = self.office.clients.rows
        _document, version = self.documents.create(
            BILLING, REMINDER, client, {**self.reminder_variables(), **extra}, ["pdf"]
        )
        return dict(version.variables)

    def status(self) -> Any:
        """Return the reminder's row of the library's review status."""
        return next(row for row in self.service.library() if row.manifest.id == REMINDER)


@pytest.fixture
def library(template_library: TemplateLibrary) -> Library:
    """A library with no reviews yet."""
    return Library(template_library)


class TestMarkReviewed:
    def test_reviewed_text_prints_without_the_draft_mark_and_the_review_is_audited(self, library: Library) -> None:
        """Before review a reminder is a draft; after an admin marks this text reviewed it is not; audited."""
        assert library.new_reminder().get(REVIEWED_VARIABLE) is not True
        digest = library.status().content_sha256
        review = library.service.mark_reviewed(ADMIN, REMINDER, digest, "Reviewed by Lee & Co., LLP")
        assert (review.reviewed_by, review.content_sha256) == (ADMIN.label, digest)
        assert library.status().review == review and not library.status().changed_since_review
        assert library.new_reminder()[REVIEWED_VARIABLE] is True
        assert library.new_reminder(counsel_reviewed=False)[REVIEWED_VARIABLE] is False  # the request decides
        [event] = [e for e in library.office.audit.recorded if e.action == "template.reviewed"]
        assert event.payload is not None and event.payload["content_sha256"] == digest
        assert dict(event.subjects) == {"template": REMINDER}

    def test_editing_the_template_text_lifts_the_review(self, library: Library) -> None:
        """A changed clause is a new text: the template is 'changed since review' and prints as a draft again."""
        manifest = library.catalog.get(REMINDER)
        library.service.mark_reviewed(ADMIN, REMINDER, template_digest(manifest), None)
        library.catalog.edit_clause(REMINDER, next(iter(manifest.clauses)), "Please pay at once.")
        status = library.status()
        assert status.review is None and status.changed_since_review
        assert status.content_sha256 != status.latest.content_sha256
        assert library.new_reminder().get(REVIEWED_VARIABLE) is not True

    def test_only_admins_review_only_the_current_text_and_only_once(self, library: Library) -> None:
        """Billing may not mark a review; a stale digest or a second review is a conflict; a bad note is refused."""
        digest = library.status().content_sha256
        with pytest.raises(Forbidden):
            library.service.mark_reviewed(BILLING, REMINDER, digest, None)
        with pytest.raises(Conflict, match="changed since the page was opened"):
            library.service.mark_reviewed(ADMIN, REMINDER, "0" * 64, None)
        with pytest.raises(InvalidInput):
            library.service.mark_reviewed(ADMIN, REMINDER, digest, "bell\x07")
        library.service.mark_reviewed(ADMIN, REMINDER, digest, None)
        with pytest.raises(Conflict, match="already marked reviewed"):
            library.service.mark_reviewed(ADMIN, REMINDER, digest, None)
        assert len(library.reviews.rows) == 1
