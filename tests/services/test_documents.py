"""The document service driven through fakes: what is filed where, what a failure leaves, and who is told."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.template_library import TemplateLibrary
from domain.actor import Actor
from domain.calendar_years import add_years
from domain.document_kind import DocumentKind
from domain.documents import FileFormat
from domain.envelopes import RetentionPolicy
from domain.errors import Conflict, Forbidden, RenderBudgetExceeded, StoreUnavailable, TemplateDataInvalid
from domain.roles import Role
from services.documents import DocumentService
from tests.fakes.documents import RecordingDocumentListener
from tests.services.office import FakeOffice
from undersign.settings import REPO_ROOT

BILLING = Actor(name="billing-desk", role=Role.BILLING)
REMINDER = "notices/reminder"
SAMPLE = REPO_ROOT / "templates" / REMINDER / "samples" / "day-07.json"
LETTER = "waivers/decline-of-service"
LETTER_SAMPLE = REPO_ROOT / "templates" / LETTER / "samples" / "mfa-ra-2026-0042.json"


def variables(**overrides: Any) -> dict[str, Any]:
    """Return the reminder's day-7 sample variables with fields overridden."""
    data: dict[str, Any] = json.loads(SAMPLE.read_text())
    data.update(overrides)
    return data


@pytest.fixture
def office(template_library: TemplateLibrary) -> FakeOffice:
    """A back office over fakes with one client."""
    office = FakeOffice(template_library, at=datetime(2026, 2, 23, 9, tzinfo=UTC))
    office.add_client()
    return office


def client_id(office: FakeOffice) -> str:
    """Return the id of the office's client."""
    [found] = office.clients.rows
    return found


def documents(office: FakeOffice, listener: RecordingDocumentListener | None = None) -> DocumentService:
    """The document service over the office's fakes, telling ``listener``."""
    return office.document_service([listener] if listener else [])


class TestFiling:
    def test_a_new_document_is_filed_as_version_1_and_read_back_exactly(self, office: FakeOffice) -> None:
        """The PDF goes to the blob store under the client's key, the row points at that version, all audited."""
        listener = RecordingDocumentListener()
        document, version = documents(office, listener).create(BILLING, REMINDER, client_id(office), variables(), None)
        [pdf] = version.files
        assert pdf.blob.key == f"documents/{client_id(office)}/{document.id}/v1/reminder.pdf"
        assert office.documents.get_version(document.id, 1) == version
        _stored, data = documents(office).file(document.id, 1, FileFormat.PDF)
        assert data == office.blobs.get(pdf.blob.key, pdf.blob.version_id)
        [event] = office.audit.recorded
        assert (event.action, event.event.document_sha256) == ("document.created", pdf.blob.sha256)
        assert listener.filed == [(document.id, 1)]
        assert version.clauses and version.template_version == office.templates.get(REMINDER).version

    def test_a_notice_is_evidence_on_issue_and_filed_under_the_lock(self, office: FakeOffice) -> None:
        """With an evidence lock, a notice's PDF is filed locked at once; a letter waits for its seal; none without."""
        lock = RetentionPolicy(mode="COMPLIANCE", years_by_kind={DocumentKind.NOTICE: 6})
        locked = office.document_service(evidence_lock=lock)
        _notice, version = locked.create(BILLING, REMINDER, client_id(office), variables(), None)
        [pdf] = version.files
        retention = office.blobs.version(pdf.blob.key, pdf.blob.version_id).retention
        assert retention is not None and retention.mode == "COMPLIANCE"
        assert retention.retain_until == add_years(office.clock.now(), 6)
        tech = Actor(name="tech-desk", role=Role.TECH)
        letter_variables = json.loads(LETTER_SAMPLE.read_text())
        _letter, letter = locked.create(tech, LETTER, client_id(office), letter_variables, ["pdf"])
        [unsealed] = letter.files
        assert office.blobs.version(unsealed.blob.key, unsealed.blob.version_id).retention is None
        _plain, unlocked = documents(office).create(BILLING, REMINDER, client_id(office), variables(), None)
        [free] = unlocked.files
        assert office.blobs.version(free.blob.key, free.blob.version_id).retention is None

    def test_a_new_version_leaves_the_first_as_it_was(self, office: FakeOffice) -> None:
        """Version 2 is filed beside version 1, whose bytes and data do not change; the redline shows the edit."""
        listener = RecordingDocumentListener()
        service = documents(office, listener)
        document, first = service.create(BILLING, REMINDER, client_id(office), variables(), None)
        first_bytes = service.file(document.id, 1, FileFormat.PDF)[1]
        service.add_version(BILLING, document.id, variables(pay_by="2026-03-06"), None)
        assert office.documents.get_version(document.id, 1) == first
        assert service.file(document.id, 1, FileFormat.PDF)[1] == first_bytes
        assert service.file(document.id, 2, FileFormat.PDF)[1] != first_bytes
        stored = office.documents.get(document.id)
        assert stored is not None and stored.latest_version == 2
        assert listener.filed == [(document.id, 1), (document.id, 2)]
        assert office.audit.actions() == ["document.created", "document.version_created"]
        assert service.diff(document.id, 2, 1).changes

    def test_a_frozen_document_takes_no_new_version(self, office: FakeOffice) -> None:
        """While out for signature a new version is a Conflict, and nothing is rendered or written."""
        service = documents(office)
        document, _version = service.create(BILLING, REMINDER, client_id(office), variables(), None)
        office.documents.freeze(document.id, office.clock.now())
        blobs, jobs = office.blobs.count(), len(office.renderer.jobs)
        with pytest.raises(Conflict, match="frozen"):
            service.add_version(BILLING, document.id, variables(), None)
        assert (office.blobs.count(), len(office.renderer.jobs)) == (blobs, jobs)
        assert office.audit.actions() == ["document.created"]


class TestRefusals:
    def test_bad_variables_are_refused_before_any_render(self, office: FakeOffice) -> None:
        """A variable the schema does not know is refused with its pointer; no render, no blob, no row."""
        with pytest.raises(TemplateDataInvalid) as refused:
            documents(office).create(BILLING, REMINDER, client_id(office), variables(surprise=1), None)
        assert refused.value.errors
        assert office.renderer.jobs == [] and office.blobs.count() == 0 and office.documents.documents == {}

    def test_a_render_over_budget_or_a_store_down_files_nothing(self, office: FakeOffice) -> None:
        """A render that runs out of time, or an object store that is down, leaves no row and no audit event."""
        office.renderer.fail_with = RenderBudgetExceeded("The document took too long to lay out.")
        with pytest.raises(RenderBudgetExceeded):
            documents(office).create(BILLING, REMINDER, client_id(office), variables(), None)
        office.renderer.fail_with = None
        office.blobs.down = True
        with pytest.raises(StoreUnavailable):
            documents(office).create(BILLING, REMINDER, client_id(office), variables(), None)
        assert office.documents.documents == {} and office.audit.recorded == [] and office.blobs.objects == {}

    def test_an_auditor_cannot_file_a_notice(self, office: FakeOffice) -> None:
        """An auditor is refused before anything is rendered."""
        with pytest.raises(Forbidden):
            documents(office).create(Actor(name="insurer", role=Role.AUDITOR), REMINDER, client_id(office), {}, None)
        assert office.renderer.jobs == [] and office.documents.documents == {}
