"""The fake renderer keeps the ``domain.ports.templates`` contract: real assembly, a readable PDF, failing on demand."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from adapters.template_library import TemplateLibrary
from domain.assembly.context import AssemblyContext, Branding, ClientContact, ClientInfo, DocumentRef
from domain.documents import FileFormat
from domain.errors import RenderBudgetExceeded, TemplateDataInvalid
from domain.ports import DocumentRenderer
from domain.render_job import RenderJob
from tests.fakes.templates import FakeRenderer, text_pdf

CONTEXT = AssemblyContext(
    branding=Branding(msp_name="Harbour IT Ltd"),
    client=ClientInfo(
        legal_name="Northwind (BC) Ltd",
        short_name="Northwind",
        address="",
        jurisdiction="CA-BC",
        contact=ClientContact(name="Dana Fox"),
    ),
    document=DocumentRef(id="d1", version=1, date=date(2026, 3, 9), created_at=datetime(2026, 3, 9, tzinfo=UTC)),
)


def job(template_library: TemplateLibrary, variables: dict[str, object] | None = None) -> RenderJob:
    """Return a render job of the reminder with its first sample's variables (or ``variables``)."""
    sample = template_library.samples("notices/reminder")[0].variables
    return RenderJob("notices/reminder", dict(sample) if variables is None else variables, CONTEXT, (FileFormat.PDF,))


class TestFakeRenderer:
    def test_renders_the_assembled_clauses_into_a_pdf_others_can_read(self, template_library: TemplateLibrary) -> None:
        """The PDF opens in pypdf and pdftotext shows the title and the client's name; clauses are the real ones."""
        port: DocumentRenderer = FakeRenderer(template_library)
        result = port.render(job(template_library))
        pdf = result.files[FileFormat.PDF]
        assert len(PdfReader(io.BytesIO(pdf)).pages) == result.page_count
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "Payment Reminder" in text and "Northwind (BC) Ltd" in text
        manifest = template_library.get("notices/reminder")
        assert result.template_version == manifest.version and result.clauses
        assert {c.id for c in result.clauses} <= set(manifest.clauses)

    def test_bad_variables_are_refused_as_by_the_real_assembly(self, template_library: TemplateLibrary) -> None:
        """Variables the template's schema refuses fail here too, not only in production."""
        with pytest.raises(TemplateDataInvalid):
            FakeRenderer(template_library).render(job(template_library, {"unexpected": 1}))

    def test_can_be_told_to_fail_for_some_jobs(self, template_library: TemplateLibrary) -> None:
        """fail_with raises for the jobs fail_when picks and renders the others."""
        fake = FakeRenderer(template_library)
        fake.fail_with = RenderBudgetExceeded("too slow")
        fake.fail_when = lambda j: j.context.client.short_name == "Other"
        fake.render(job(template_library))
        fake.fail_when = None
        with pytest.raises(RenderBudgetExceeded):
            fake.render(job(template_library))
        assert len(fake.jobs) == 2

    def test_text_pdf_spans_pages(self) -> None:
        """A long text becomes several pages, every line kept."""
        pdf = text_pdf([f"line {n}" for n in range(130)])
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) == 3 and "line 129" in reader.pages[2].extract_text()
