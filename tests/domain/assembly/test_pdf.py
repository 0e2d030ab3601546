"""Tests of PDF rendering: validity, PDF/A-3 with the JSON attachment, determinism, signature boxes, budget."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pypdf
import pytest
from PIL import Image
from weasyprint.images import RasterImage, SVGImage

from adapters.template_library import TemplateLibrary
from domain.assembly import AssembledDocument, AssemblyContext, PdfRenderer, TemplateManifest, render_pdf
from domain.assembly.assemble import assemble
from domain.assembly.pdf import ATTACHMENT_NAME, ImageCache, pdf_identifier
from domain.errors import RenderBudgetExceeded, TemplateInvalid

from .support import SHARED, pdf_text, qpdf_check

_MM = 72 / 25.4


class TestOutput:
    def test_qpdf_accepts_the_file(
        self, assembled: AssembledDocument, pdf_renderer: PdfRenderer, tmp_path: Path
    ) -> None:
        """Qpdf finds no syntax or stream errors."""
        if shutil.which("qpdf") is None:
            pytest.skip("qpdf is not installed")
        result = qpdf_check(render_pdf(assembled, pdf_renderer).data, tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "No syntax or stream encoding errors" in result.stdout

    def test_text_of_every_clause_is_in_the_pdf(self, assembled: AssembledDocument, pdf_renderer: PdfRenderer) -> None:
        """Each clause's number, title and paragraph text can be extracted from the PDF."""
        text = pdf_text(render_pdf(assembled, pdf_renderer).data)
        for clause in assembled.clauses:
            assert f"{clause.number}. {clause.title}" in text
        assert "This Agreement is governed by the laws of the State of New York." in text
        assert "Page 1 of 2" in text and "DOC-2026-0007 · version 3" in text

    def test_pdfa3_with_input_json_attached(self, assembled: AssembledDocument, pdf_renderer: PdfRenderer) -> None:
        """The PDF declares PDF/A-3 and embeds the input record as a JSON attachment."""
        data = render_pdf(assembled, pdf_renderer).data
        reader = pypdf.PdfReader(io.BytesIO(data))
        trailer: Any = reader.trailer
        xmp = trailer["/Root"]["/Metadata"].get_object().get_data().decode()
        assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
        attachments = reader.attachments
        assert list(attachments) == [ATTACHMENT_NAME]
        assert json.loads(attachments[ATTACHMENT_NAME][0]) == assembled.record()

    def test_metadata_dates_come_from_the_document_version(
        self, assembled: AssembledDocument, pdf_renderer: PdfRenderer
    ) -> None:
        """Creation and modification dates are the version's date, not the time of rendering."""
        reader = pypdf.PdfReader(io.BytesIO(render_pdf(assembled, pdf_renderer).data))
        metadata: Any = reader.metadata
        trailer: Any = reader.trailer
        assert metadata is not None
        assert metadata["/CreationDate"].startswith("D:20260301000000")
        assert metadata["/ModDate"].startswith("D:20260301000000")
        assert trailer["/ID"][0] == pdf_identifier(assembled).decode()


class TestDeterminism:
    def test_same_version_renders_byte_identical(self, assembled: AssembledDocument, pdf_renderer: PdfRenderer) -> None:
        """Rendering the same version twice, even with a fresh renderer, gives the same bytes."""
        first = render_pdf(assembled, pdf_renderer)
        second = render_pdf(assembled, PdfRenderer.from_directory(SHARED))
        assert first.data == second.data
        assert first.sha256 == second.sha256

    def test_another_version_gets_another_identifier(
        self, agreement: TemplateManifest, us_variables: dict[str, object], context: AssemblyContext
    ) -> None:
        """The identifier follows the document version."""
        other = dataclasses.replace(context, document=dataclasses.replace(context.document, version=4))
        first = assemble(agreement, us_variables, context)
        second = assemble(agreement, us_variables, other)
        assert pdf_identifier(first) != pdf_identifier(second)


class TestSignatureBoxes:
    def test_each_signer_box_is_recorded_where_it_landed(
        self, assembled: AssembledDocument, pdf_renderer: PdfRenderer
    ) -> None:
        """Every signature box is located: its page holds the signer's caption and it has the layout's size."""
        rendered = render_pdf(assembled, pdf_renderer)
        reader = pypdf.PdfReader(io.BytesIO(rendered.data))
        assert [(b.id, b.role) for b in rendered.signature_boxes] == [("sig-client-1", "client"), ("sig-msp-1", "msp")]
        for box, caption in zip(rendered.signature_boxes, ("For the Client", "For the Provider"), strict=True):
            page = reader.pages[box.page_index]
            assert caption in page.extract_text()
            width, height = box.x2 - box.x1, box.y2 - box.y1
            assert width == pytest.approx(78 * _MM + 1, abs=1.5)  # 78 mm plus the 0.5 pt borders
            assert height == pytest.approx(28 * _MM + 1, abs=1.5)
            assert 0 <= box.x1 < box.x2 <= float(page.mediabox.width)
            assert 0 <= box.y1 < box.y2 <= float(page.mediabox.height)
        client, msp = rendered.signature_boxes
        assert client.x2 < msp.x1  # side by side, client first
        assert client.as_dict()["box"] == [client.x1, client.y1, client.x2, client.y2]

    def test_missing_signature_box_in_layout_is_a_template_error(self, assembled: AssembledDocument) -> None:
        """A layout that does not draw a signer's box cannot produce a signable PDF."""
        layout = (SHARED / "base.html.j2").read_text().replace('id="{{ signer.box_id }}"', "")
        renderer = PdfRenderer(
            layout_source=layout, stylesheet_source=(SHARED / "print.css").read_text(), allowed_root=SHARED
        )
        with pytest.raises(TemplateInvalid):
            render_pdf(assembled, renderer)


class TestBudget:
    def test_page_budget_exceeded(self, assembled: AssembledDocument, pdf_renderer: PdfRenderer) -> None:
        """A document longer than the caller's page budget is refused."""
        with pytest.raises(RenderBudgetExceeded) as caught:
            render_pdf(assembled, pdf_renderer, max_pages=1)
        assert "2 pages" in caught.value.detail

    def test_within_budget(self, assembled: AssembledDocument, pdf_renderer: PdfRenderer) -> None:
        """A document exactly at the budget renders."""
        assert render_pdf(assembled, pdf_renderer, max_pages=2).page_count == 2


def _letter(library: TemplateLibrary, context: AssemblyContext) -> AssembledDocument:
    """The fixture reminder letter (a notice with one signer) assembled."""
    sample = library.samples("demo/letter")[0]
    return assemble(library.get("demo/letter"), dict(sample.variables), context)


def _png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 20), colour).save(out, format="PNG")
    return out.getvalue()


class TestNoticeStylesheet:
    def test_a_notice_footer_names_sender_reference_and_page(
        self, library: TemplateLibrary, context: AssemblyContext, pdf_renderer: PdfRenderer
    ) -> None:
        """A notice is laid out with the letter stylesheet: one footer line with sender, reference and page."""
        text = pdf_text(render_pdf(_letter(library, context), pdf_renderer).data)
        assert "Acme IT Services Ltd · DOC-2026-0007 · version 3 · Page 1 of 1" in text
        assert "Client: Globex Corporation" in text

    def test_only_notices_get_the_letter_stylesheet(self, pdf_renderer: PdfRenderer) -> None:
        """Contracts, schedules and waivers keep the shared stylesheet; notices get the lean one."""
        assert pdf_renderer.letter_stylesheet is not None
        assert pdf_renderer.stylesheet_for("notice") is pdf_renderer.letter_stylesheet
        for kind in ("contract", "schedule", "waiver"):
            assert pdf_renderer.stylesheet_for(kind) is pdf_renderer.stylesheet

    def test_a_notice_signature_box_keeps_its_fixed_size(
        self, library: TemplateLibrary, context: AssemblyContext, pdf_renderer: PdfRenderer
    ) -> None:
        """A notice that asks for a signature draws the same 78 x 28 mm box sealing stamps into."""
        (box,) = render_pdf(_letter(library, context), pdf_renderer).signature_boxes
        assert box.x2 - box.x1 == pytest.approx(78 * _MM + 1, abs=1.5)
        assert box.y2 - box.y1 == pytest.approx(28 * _MM + 1, abs=1.5)

    def test_without_a_letter_stylesheet_notices_use_the_shared_one(self, tmp_path: Path) -> None:
        """A template folder with no print-letter.css lays notices out with print.css, as before."""
        for name in ("base.html.j2", "print.css"):
            shutil.copy(SHARED / name, tmp_path / name)
        renderer = PdfRenderer.from_directory(tmp_path)
        assert renderer.letter_stylesheet is None
        assert renderer.stylesheet_for("notice") is renderer.stylesheet


class TestImageCache:
    def test_a_cached_logo_renders_the_same_bytes_as_a_fresh_renderer(
        self, assembled: AssembledDocument, context: AssemblyContext
    ) -> None:
        """A PNG logo is decoded once per renderer, and the document's bytes do not depend on the cache."""
        branding = dataclasses.replace(context.branding, logo=_png((20, 60, 120)), logo_media_type="image/png")
        document = dataclasses.replace(assembled, branding=branding)
        warm = PdfRenderer.from_directory(SHARED)
        first = render_pdf(document, warm).data
        assert any(isinstance(value, RasterImage) for value in warm.image_cache.values())
        assert render_pdf(document, warm).data == first
        assert render_pdf(document, PdfRenderer.from_directory(SHARED)).data == first

    def test_svg_logos_are_never_kept(self, assembled: AssembledDocument, context: AssemblyContext) -> None:
        """An SVG stays out of the cache: what it refers to must be fetched, and refused, in each render."""
        logo = b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="10"><rect width="40" height="10"/></svg>'
        branding = dataclasses.replace(context.branding, logo=logo, logo_media_type="image/svg+xml")
        renderer = PdfRenderer.from_directory(SHARED)
        render_pdf(dataclasses.replace(assembled, branding=branding), renderer)
        assert not any(isinstance(value, SVGImage) for value in renderer.image_cache.values())

    def test_trim_starts_again_past_the_limit(self) -> None:
        """Between renders, a cache grown past its limit is emptied, so a worker's memory stays bounded."""
        cache = ImageCache(limit=2)
        for key in ("a", "b"):
            cache[key] = b"x"
        cache.trim()
        assert len(cache) == 2
        cache["c"] = b"x"
        cache.trim()
        assert len(cache) == 0
