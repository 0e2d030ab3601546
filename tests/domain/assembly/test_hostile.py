"""Hostile values render as inert text in PDF and DOCX; the URL fetcher refuses everything but data: and the library."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

import pypdf
import pytest

from domain.assembly import (
    AssemblyContext,
    Branding,
    DocxRenderer,
    PdfRenderer,
    StrictUrlFetcher,
    TemplateManifest,
    render_docx,
    render_pdf,
)
from domain.assembly.assemble import assemble
from domain.assembly.pdf import UrlRefused
from domain.errors import TemplateDataInvalid, TemplateInvalid

from .support import SHARED, docx_text, pdf_text

HOSTILE = [
    "{{ 7*7 }} {{ config }} {% include '/etc/passwd' %}",
    "<script>alert(document.cookie)</script> <img src=x onerror=alert(1)>",
    "</w:t></w:r><w:r><w:t>INJECTED",
    "background: url(file:///etc/passwd); @import url(http://169.254.169.254/latest/meta-data/);",
    "file:///etc/passwd http://169.254.169.254/latest/meta-data/ <http://169.254.169.254/>",
    "![x](file:///etc/passwd) [click](http://169.254.169.254/) [ref]: http://evil.test",
    "**not bold** _not italic_ # not a heading | not | a cell | &amp; &copy; \\* `code`",
    "Smith & <Sons> Ltd \"quoted\" 'single'",
]


def _squeeze(text: str) -> str:
    # U+2010 is the hyphen WeasyPrint adds where hyphens: auto breaks a word at a line end.
    return "".join(text.split()).replace("\u2010", "")


def _render_both(
    agreement: TemplateManifest,
    variables: dict[str, Any],
    context: AssemblyContext,
    pdf_renderer: PdfRenderer,
    docx_renderer: DocxRenderer,
) -> tuple[bytes, bytes]:
    document = assemble(agreement, variables, context)
    return render_pdf(document, pdf_renderer).data, render_docx(document, docx_renderer)


class TestInertValues:
    @pytest.mark.parametrize("value", HOSTILE)
    def test_value_appears_literally_in_pdf_and_docx(
        self,
        value: str,
        agreement: TemplateManifest,
        us_variables: dict[str, Any],
        context: AssemblyContext,
        pdf_renderer: PdfRenderer,
        docx_renderer: DocxRenderer,
    ) -> None:
        """The value is printed character for character, neither evaluated, parsed nor fetched."""
        us_variables["special_terms"] = value
        pdf, docx_bytes = _render_both(agreement, us_variables, context, pdf_renderer, docx_renderer)
        # The PDF may wrap the line anywhere a break is allowed (after "/" too): compare without whitespace.
        expected = f"The parties further agree: {value}"
        assert _squeeze(expected) in _squeeze(pdf_text(pdf))
        assert expected in docx_text(docx_bytes)

    def test_jinja_in_a_value_is_not_evaluated(
        self,
        agreement: TemplateManifest,
        us_variables: dict[str, Any],
        context: AssemblyContext,
    ) -> None:
        """{{ 7*7 }} stays as typed: the clause text never contains 49."""
        us_variables["special_terms"] = "{{ 7*7 }}"
        clause = next(c for c in assemble(agreement, us_variables, context).clauses if c.id == "demo.special-terms")
        assert clause.text == "The parties further agree: {{ 7*7 }}"

    def test_hostile_values_add_no_links_or_files_to_the_pdf(
        self,
        agreement: TemplateManifest,
        us_variables: dict[str, Any],
        context: AssemblyContext,
        pdf_renderer: PdfRenderer,
    ) -> None:
        """No annotation (link) and no attachment other than the input record ends up in the PDF."""
        us_variables["special_terms"] = " ".join(HOSTILE)
        reader = pypdf.PdfReader(io.BytesIO(render_pdf(assemble(agreement, us_variables, context), pdf_renderer).data))
        assert all("/Annots" not in page for page in reader.pages)
        assert list(reader.attachments) == ["undersign-input.json"]

    def test_docx_injection_adds_no_xml(
        self,
        agreement: TemplateManifest,
        us_variables: dict[str, Any],
        context: AssemblyContext,
        docx_renderer: DocxRenderer,
    ) -> None:
        """A value carrying WordprocessingML is stored escaped inside one text node."""
        import zipfile

        us_variables["special_terms"] = "</w:t></w:r><w:r><w:t>INJECTED"
        data = render_docx(assemble(agreement, us_variables, context), docx_renderer)
        xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
        assert "&lt;/w:t&gt;&lt;/w:r&gt;&lt;w:r&gt;&lt;w:t&gt;INJECTED" in xml
        assert "<w:t>INJECTED" not in xml

    @pytest.mark.parametrize("value", ["null\x00byte", "\x1b[2J", "vertical\x0btab", "rlo\u202eexe.pdf"])
    def test_control_characters_are_refused(
        self, value: str, agreement: TemplateManifest, us_variables: dict[str, Any], context: AssemblyContext
    ) -> None:
        """Control characters and bidi overrides are refused with the field's pointer."""
        us_variables["special_terms"] = value
        with pytest.raises(TemplateDataInvalid) as caught:
            assemble(agreement, us_variables, context)
        assert [e.pointer for e in caught.value.errors] == ["/special_terms"]

    def test_megabyte_string_is_refused(
        self, agreement: TemplateManifest, us_variables: dict[str, Any], context: AssemblyContext
    ) -> None:
        """A megabyte string never reaches Jinja or the layout engine."""
        us_variables["special_terms"] = "A" * 1_048_576
        with pytest.raises(TemplateDataInvalid):
            assemble(agreement, us_variables, context)

    def test_string_over_schema_limit_is_refused(
        self, agreement: TemplateManifest, us_variables: dict[str, Any], context: AssemblyContext
    ) -> None:
        """A string over the schema's maxLength but under the global caps is refused by the schema."""
        us_variables["special_terms"] = "A" * 5001
        with pytest.raises(TemplateDataInvalid) as caught:
            assemble(agreement, us_variables, context)
        assert [(e.pointer, e.reason) for e in caught.value.errors] == [
            ("/special_terms", "longer than 5000 characters")
        ]


class TestUrlFetcher:
    @pytest.fixture
    def root(self, tmp_path: Path) -> Path:
        """A template folder with one image and, outside it, a secret and a symlink to the secret."""
        library = tmp_path / "templates"
        library.mkdir()
        (library / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')
        (tmp_path / "secret.txt").write_text("top secret")
        (library / "link.txt").symlink_to(tmp_path / "secret.txt")
        return library

    @pytest.mark.parametrize(
        "url",
        [
            "file:///etc/passwd",
            "http://169.254.169.254/latest/meta-data/",
            "https://example.com/logo.png",
            "ftp://example.com/x",
            "gopher://x",
            "//169.254.169.254/x",
            "file://otherhost/etc/passwd",
        ],
    )
    def test_refuses_outside_urls(self, url: str, root: Path) -> None:
        """Network URLs and files outside the template folder are refused and recorded."""
        fetcher = StrictUrlFetcher(root)
        with pytest.raises(UrlRefused):
            fetcher.fetch(url)
        assert fetcher.refused == [url]

    def test_refuses_traversal_and_symlinks_out(self, root: Path) -> None:
        """../ and a symlink pointing outside the folder do not escape it."""
        fetcher = StrictUrlFetcher(root)
        with pytest.raises(UrlRefused):
            fetcher.fetch((root / ".." / "secret.txt").as_uri().replace("/secret.txt", "/templates/../secret.txt"))
        with pytest.raises(UrlRefused):
            fetcher.fetch((root / "link.txt").as_uri())

    def test_serves_data_uris_and_files_inside_the_folder(self, root: Path) -> None:
        """data: URIs and files under the folder are served."""
        fetcher = StrictUrlFetcher(root)
        assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
        response = fetcher.fetch((root / "logo.svg").as_uri())
        assert response.read().startswith(b"<svg")
        assert fetcher.refused == []

    def test_layout_asking_for_a_local_file_fails_the_render(
        self, agreement: TemplateManifest, us_variables: dict[str, Any], context: AssemblyContext
    ) -> None:
        """A layout with <img src=file:///etc/passwd> is a template error, and nothing is embedded."""
        layout = (
            (SHARED / "base.html.j2")
            .read_text()
            .replace("<body", '<img src="file:///etc/passwd"><img src="http://169.254.169.254/x.png"><body', 1)
        )
        renderer = PdfRenderer(
            layout_source=layout, stylesheet_source=(SHARED / "print.css").read_text(), allowed_root=SHARED
        )
        with pytest.raises(TemplateInvalid) as caught:
            render_pdf(assemble(agreement, us_variables, context), renderer)
        reasons = [e.reason for e in caught.value.errors]
        assert reasons == ["refused file:///etc/passwd", "refused http://169.254.169.254/x.png"]

    def test_stylesheet_with_remote_url_is_refused(self) -> None:
        """A print stylesheet that imports from the network cannot be loaded."""
        css = "@import url(http://169.254.169.254/evil.css);\nbody { background: url(file:///etc/passwd); }"
        with pytest.raises(TemplateInvalid):
            PdfRenderer(layout_source="<p></p>", stylesheet_source=css, allowed_root=SHARED)


class TestContextValues:
    def test_hostile_client_and_branding_text_is_escaped_in_the_layout(
        self,
        agreement: TemplateManifest,
        us_variables: dict[str, Any],
        context: AssemblyContext,
        pdf_renderer: PdfRenderer,
        docx_renderer: DocxRenderer,
    ) -> None:
        """Names from records that reach the layout (not a clause) print literally too."""
        name = '<img src="file:///etc/passwd"> {{ 7*7 }} & Co'
        ctx = dataclasses.replace(
            context,
            client=dataclasses.replace(context.client, legal_name=name),
            branding=dataclasses.replace(context.branding, msp_name="</title><script>x</script>"),
        )
        pdf, docx_bytes = _render_both(agreement, us_variables, ctx, pdf_renderer, docx_renderer)
        assert _squeeze(f"Client {name}") in _squeeze(pdf_text(pdf))
        assert _squeeze("</title><script>x</script>") in _squeeze(pdf_text(pdf))
        assert f"Client: {name}" in docx_text(docx_bytes)

    @pytest.mark.parametrize("colour", ["red", "#fff; background: url(file:///etc/passwd)", "#12345g"])
    def test_colours_must_be_hex(self, colour: str) -> None:
        """A colour is the only branding value that reaches CSS, so only #rrggbb is accepted."""
        with pytest.raises(ValueError, match="colour"):
            Branding(msp_name="X", primary_colour=colour)

    def test_svg_logo_renders_from_a_data_uri(
        self,
        agreement: TemplateManifest,
        us_variables: dict[str, Any],
        context: AssemblyContext,
        pdf_renderer: PdfRenderer,
    ) -> None:
        """A logo is embedded from bytes without any fetch."""
        logo = b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="10"><rect width="40" height="10"/></svg>'
        ctx = dataclasses.replace(
            context, branding=dataclasses.replace(context.branding, logo=logo, logo_media_type="image/svg+xml")
        )
        assert render_pdf(assemble(agreement, us_variables, ctx), pdf_renderer).page_count == 2

    def test_svg_logo_cannot_pull_local_files(
        self,
        agreement: TemplateManifest,
        us_variables: dict[str, Any],
        context: AssemblyContext,
        pdf_renderer: PdfRenderer,
    ) -> None:
        """An SVG logo referring to file:///etc/passwd fails the render instead of embedding it."""
        logo = (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" '
            b'height="10"><image xlink:href="file:///etc/passwd" width="40" height="10"/></svg>'
        )
        ctx = dataclasses.replace(
            context, branding=dataclasses.replace(context.branding, logo=logo, logo_media_type="image/svg+xml")
        )
        with pytest.raises(TemplateInvalid):
            render_pdf(assemble(agreement, us_variables, ctx), pdf_renderer)
