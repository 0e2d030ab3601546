"""Paper by place: Letter for US and Canadian clients, A4 elsewhere, overridable; checked with pdfinfo."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess

import docx
import pytest

from domain.assembly import AssembledDocument, AssemblyContext, DocxRenderer, PdfRenderer, render_docx, render_pdf
from domain.assembly.assemble import assemble
from domain.assembly.manifest import TemplateManifest
from domain.assembly.paper import Paper, paper_for


def page_size_pt(pdf: bytes) -> tuple[float, float]:
    """Return the first page's (width, height) in points as poppler's pdfinfo reports it."""
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    match = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert match, info
    return float(match.group(1)), float(match.group(2))


def in_jurisdiction(context: AssemblyContext, code: str) -> AssemblyContext:
    """Return ``context`` with the client moved to jurisdiction ``code``."""
    return dataclasses.replace(context, client=dataclasses.replace(context.client, jurisdiction=code))


class TestPaperFor:
    @pytest.mark.parametrize(
        ("jurisdiction", "paper"),
        [
            ("US-TX", Paper.LETTER),
            ("CA-BC", Paper.LETTER),
            ("US", Paper.LETTER),
            ("GB-ENG", Paper.A4),
            ("IE", Paper.A4),
        ],
    )
    def test_jurisdiction_decides(self, jurisdiction: str, paper: Paper) -> None:
        """US and Canadian jurisdictions get Letter; British and Irish ones A4."""
        assert paper_for(jurisdiction) is paper

    def test_override_wins(self) -> None:
        """An explicit paper overrides the jurisdiction."""
        assert paper_for("US-NY", Paper.A4) is Paper.A4


class TestRenderedPaper:
    def test_canadian_client_gets_letter_pdf_and_docx(
        self,
        agreement: TemplateManifest,
        us_variables: dict[str, object],
        context: AssemblyContext,
        pdf_renderer: PdfRenderer,
        docx_renderer: DocxRenderer,
    ) -> None:
        """A CA-BC client's PDF is 612 x 792 pt and its DOCX section is 8.5 x 11 in."""
        document = assemble(agreement, us_variables, in_jurisdiction(context, "CA-BC"))
        rendered = render_pdf(document, pdf_renderer)
        assert page_size_pt(rendered.data) == (612.0, 792.0)
        section = docx.Document(io.BytesIO(render_docx(document, docx_renderer))).sections[0]
        assert section.page_width is not None and section.page_height is not None
        assert (round(section.page_width.inches, 2), round(section.page_height.inches, 2)) == (8.5, 11.0)

    def test_english_client_gets_a4_and_signature_boxes_follow(
        self,
        agreement: TemplateManifest,
        us_variables: dict[str, object],
        context: AssemblyContext,
        pdf_renderer: PdfRenderer,
    ) -> None:
        """A GB client's PDF is A4, and its signature boxes are recorded inside the A4 page, not the Letter one."""
        letter = render_pdf(assemble(agreement, us_variables, in_jurisdiction(context, "US-TX")), pdf_renderer)
        a4 = render_pdf(assemble(agreement, us_variables, in_jurisdiction(context, "GB-ENG")), pdf_renderer)
        width, height = page_size_pt(a4.data)
        assert (round(width), round(height)) == (595, 842)
        for box in a4.signature_boxes:
            assert 0 < box.x1 < box.x2 < width and 0 < box.y1 < box.y2 < height
        # The boxes moved with the page: the same box sits at another height on the taller A4 page.
        assert [b.y2 for b in a4.signature_boxes] != [b.y2 for b in letter.signature_boxes]

    def test_setting_and_request_override(
        self,
        agreement: TemplateManifest,
        us_variables: dict[str, object],
        context: AssemblyContext,
        pdf_renderer: PdfRenderer,
    ) -> None:
        """The MSP's paper setting overrides the jurisdiction; a per-document paper overrides the setting."""
        base = in_jurisdiction(context, "US-TX")
        by_setting = dataclasses.replace(base, branding=dataclasses.replace(base.branding, paper=Paper.A4))
        document: AssembledDocument = assemble(agreement, us_variables, by_setting)
        assert round(page_size_pt(render_pdf(document, pdf_renderer).data)[0]) == 595
        by_request = dataclasses.replace(by_setting, paper=Paper.LETTER)
        document = assemble(agreement, us_variables, by_request)
        assert page_size_pt(render_pdf(document, pdf_renderer).data) == (612.0, 792.0)
