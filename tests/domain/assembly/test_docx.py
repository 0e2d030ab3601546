"""Tests of DOCX rendering: same clause text as the PDF, tables, layout escaping, determinism, run-split lint."""

from __future__ import annotations

import dataclasses
import io
import re

import docx

from domain.assembly import (
    AssembledDocument,
    AssemblyContext,
    DocxRenderer,
    TemplateManifest,
    find_split_tags,
    render_docx,
)
from domain.assembly.assemble import assemble

from .support import SHARED, docx_text


class TestContent:
    def test_every_clause_line_is_in_the_docx(self, assembled: AssembledDocument, docx_renderer: DocxRenderer) -> None:
        """Each line of each clause's text (the same text the PDF shows) appears in the DOCX."""
        document = docx.Document(io.BytesIO(render_docx(assembled, docx_renderer)))
        paragraphs = [p.text for p in document.paragraphs]
        cells = [" | ".join(c.text for c in row.cells) for t in document.tables for row in t.rows]
        for clause in assembled.clauses:
            assert f"{clause.number}. {clause.title}" in paragraphs
            for line in clause.text.splitlines():
                # List items are numbered by Word (numPr): the paragraph holds the text after the marker.
                text = re.sub(r"^(\d+\. |- )", "", line) if " | " not in line else line
                candidates = cells if " | " in line else [p.replace("\t", " ") for p in paragraphs]
                assert text in candidates, line

    def test_headings_tables_and_emphasis_are_word_objects(
        self, assembled: AssembledDocument, docx_renderer: DocxRenderer
    ) -> None:
        """Clause titles use Heading 2, Markdown tables become Word tables, **x** becomes a bold run."""
        document = docx.Document(io.BytesIO(render_docx(assembled, docx_renderer)))
        headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 2"]
        assert headings[0] == "1. Parties"
        assert [c.text for c in document.tables[0].rows[0].cells] == ["Service", "Monthly price"]
        bold = [r.text for p in document.paragraphs for r in p.runs if r.bold]
        assert "Acme IT Services Ltd" in bold
        italic = [r.text for p in document.paragraphs for r in p.runs if r.italic]
        assert "60 days\u2019" in italic  # typographic apostrophe

    def test_layout_values_are_xml_escaped(
        self,
        agreement: TemplateManifest,
        us_variables: dict[str, object],
        context: AssemblyContext,
        docx_renderer: DocxRenderer,
    ) -> None:
        """A client name with &, <Ltd> and </w:t> survives the docxtpl layout intact."""
        name = "Smith & <Sons> Ltd </w:t><w:t>x"
        ctx = dataclasses.replace(context, client=dataclasses.replace(context.client, legal_name=name))
        data = render_docx(assemble(agreement, us_variables, ctx), docx_renderer)
        document = docx.Document(io.BytesIO(data))
        assert f"Client: {name}" in document.paragraphs[1].text
        assert name in docx_text(data)

    def test_header_and_properties(self, assembled: AssembledDocument, docx_renderer: DocxRenderer) -> None:
        """The header carries the MSP's name and the core properties the document version."""
        document = docx.Document(io.BytesIO(render_docx(assembled, docx_renderer)))
        assert "Acme IT Services Ltd" in document.sections[0].header.paragraphs[0].text
        assert document.core_properties.title == "Demo Services Agreement"
        assert document.core_properties.identifier == "DOC-2026-0007 v3"
        assert document.core_properties.created is not None
        assert document.core_properties.created.date().isoformat() == "2026-03-01"


class TestDeterminism:
    def test_same_version_renders_byte_identical(self, assembled: AssembledDocument) -> None:
        """Two renders of the same version, with separately loaded layouts, give the same bytes."""
        first = render_docx(assembled, DocxRenderer.from_file(SHARED / "base.docx"))
        second = render_docx(assembled, DocxRenderer.from_file(SHARED / "base.docx"))
        assert first == second


class TestSplitTags:
    def test_shipped_layout_has_no_split_tags(self) -> None:
        """Every Jinja tag in base.docx sits in one run."""
        assert find_split_tags((SHARED / "base.docx").read_bytes(), "base.docx") == []

    def test_tag_split_across_runs_is_found(self) -> None:
        """A tag that Word split over two runs, and a stray delimiter, are both reported."""
        document = docx.Document()
        paragraph = document.add_paragraph()
        paragraph.add_run("Dear {{ client.le")
        paragraph.add_run("gal_name }},")
        document.add_paragraph().add_run("Total: {{ amount")
        buffer = io.BytesIO()
        document.save(buffer)
        issues = find_split_tags(buffer.getvalue(), "bad.docx")
        messages = [i.message for i in issues]
        assert messages == ["Jinja tag split across runs: {{ client.legal_name }}", "unbalanced Jinja delimiter '{{'"]
        assert issues[0].where == "word/document.xml paragraph 1"
