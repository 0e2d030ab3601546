"""Review status is not a clause: an unreviewed document is marked DRAFT on every page, outside the numbering."""

from __future__ import annotations

import io
import subprocess
from typing import Any

import docx
import pytest

from adapters.renderers import InlineRenderer
from adapters.template_library import TemplateLibrary
from domain.assembly.context import sample_context
from domain.documents import FileFormat
from domain.render_job import RenderJob, RenderResult
from undersign.settings import REPO_ROOT

LIBRARY = TemplateLibrary(REPO_ROOT / "templates")
MARK = "DRAFT \u2013 not reviewed by counsel"


def render(template_id: str, sample: str, reviewed: bool) -> RenderResult:
    """Render a shipped sample with counsel_reviewed set as asked (PDF and DOCX)."""
    variables: dict[str, Any] = next(s.variables for s in LIBRARY.samples(template_id) if s.name == sample)
    variables = {**variables, "counsel_reviewed": reviewed}
    job = RenderJob(template_id, variables, sample_context(variables), (FileFormat.PDF, FileFormat.DOCX))
    return InlineRenderer(LIBRARY).render(job)


def pages_text(pdf: bytes) -> list[str]:
    """Return the text of each page, extracted by pdftotext."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return [page for page in out.stdout.decode("utf-8").split("\f") if page.strip()]


@pytest.mark.parametrize(
    ("template_id", "sample"),
    [
        ("msa/msa", "us-tx-monthly"),
        ("notices/official-notice", "day-21"),
        ("waivers/decline-of-service", "no-baa-refusal"),
    ],
)
class TestDraftMarks:
    def test_unreviewed_pages_all_carry_the_mark_and_clause_one_is_real(self, template_id: str, sample: str) -> None:
        """Every page of an unreviewed PDF says DRAFT; clause 1 is the template's first real clause, not a note."""
        result = render(template_id, sample, reviewed=False)
        pages = pages_text(result.files[FileFormat.PDF])
        assert len(pages) == result.page_count
        assert all(MARK in page for page in pages)
        assert "counsel" not in result.clauses[0].title.lower() and "counsel-note" not in result.clauses[0].id
        word = "\n".join(p.text for p in docx.Document(io.BytesIO(result.files[FileFormat.DOCX])).paragraphs)
        assert word.startswith(MARK) or f"\n{MARK}" in word

    def test_reviewed_has_no_mark_and_the_same_numbering(self, template_id: str, sample: str) -> None:
        """A reviewed document carries no DRAFT mark anywhere, and its clauses are numbered as the draft's were."""
        reviewed = render(template_id, sample, reviewed=True)
        draft = render(template_id, sample, reviewed=False)
        assert not any(MARK in page for page in pages_text(reviewed.files[FileFormat.PDF]))
        word = "\n".join(p.text for p in docx.Document(io.BytesIO(reviewed.files[FileFormat.DOCX])).paragraphs)
        assert MARK not in word
        numbering = [(c.number, c.id) for c in reviewed.clauses]
        assert numbering == [(c.number, c.id) for c in draft.clauses]
