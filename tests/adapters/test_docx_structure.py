"""Word files a lawyer can edit: real list numbering, heading levels as in the PDF, a signature table.

LibreOffice must also convert every shipped sample's DOCX to PDF.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from tests.adapters.test_goldens import LIBRARY, SAMPLES, Rendered, rendered  # noqa: F401 - the session fixture

_TYPED_MARKER = re.compile(r"^(\d+\.|•|-)\s")


def _style(paragraph: Paragraph) -> str:
    """Return the name of a paragraph's style ("" when it has none)."""
    style = paragraph.style
    return style.name if style is not None and style.name else ""


def num_id(paragraph: Paragraph) -> str | None:
    """Return the Word list instance a paragraph belongs to (its numPr numId), if any."""
    p_pr = paragraph._p.pPr
    num_pr = p_pr.find(qn("w:numPr")) if p_pr is not None else None
    return num_pr.find(qn("w:numId")).get(qn("w:val")) if num_pr is not None else None


@pytest.mark.parametrize(("template_id", "sample"), SAMPLES, ids=[f"{t}/{s}" for t, s in SAMPLES])
class TestWordStructure:
    def test_lists_are_word_numbering_and_headings_have_levels(
        self,
        rendered: dict[tuple[str, str], Rendered],  # noqa: F811
        template_id: str,
        sample: str,
    ) -> None:
        """Each list item is a numbered paragraph defined in numbering.xml; title is Heading 1, clauses Heading 2."""
        item = rendered[(template_id, sample)]
        document = docx.Document(io.BytesIO(item.docx))
        by_text = {p.text: p for p in document.paragraphs}
        abstract = {
            a.get(qn("w:abstractNumId")): {f.get(qn("w:val")) for f in a.iter(qn("w:numFmt"))}
            for a in document.part.numbering_part.element.findall(qn("w:abstractNum"))
        }
        instances = {
            n.get(qn("w:numId")): n.find(qn("w:abstractNumId")).get(qn("w:val"))
            for n in document.part.numbering_part.element.findall(qn("w:num"))
        }
        for clause in item.result.clauses:
            heading = by_text[f"{clause.number}. {clause.title}"]
            assert _style(heading) == "Heading 2"
            for line in clause.text.splitlines():
                marker = re.match(r"^(\d+\. |- )", line)
                if marker is None or " | " in line:
                    continue
                paragraph = by_text[line[marker.end() :]]
                list_id = num_id(paragraph)
                assert list_id is not None, f"not a Word list item: {line}"
                formats = abstract[instances[list_id]]
                assert ("bullet" in formats) == line.startswith("- ")
        title = LIBRARY.get(template_id).title
        assert [_style(p) for p in document.paragraphs if p.text == title] == ["Heading 1"]
        # Clause headings keep their printed number (notices cite clauses by it); list items must not.
        typed = [
            p.text for p in document.paragraphs if _TYPED_MARKER.match(p.text) and not _style(p).startswith("Heading")
        ]
        assert typed == [], "list markers typed into the text"
        assert not any("____" in p.text for p in document.paragraphs)

    def test_signature_blocks_are_a_table(
        self,
        rendered: dict[tuple[str, str], Rendered],  # noqa: F811
        template_id: str,
        sample: str,
    ) -> None:
        """A template with signers ends in a table with one column per signer and Name, Title and Date rows."""
        item = rendered[(template_id, sample)]
        document = docx.Document(io.BytesIO(item.docx))
        signers = len(item.result.signature_boxes)
        if not signers:
            return
        table = document.tables[-1]
        assert len(table.columns) == signers
        first_column = [row.cells[0].text for row in table.rows]
        assert first_column[-3:] == ["Name", "Title", "Date"]


SOFFICE = shutil.which("soffice")


def test_libreoffice_converts_every_docx(
    rendered: dict[tuple[str, str], Rendered],  # noqa: F811
    tmp_path: Path,
) -> None:
    """`soffice --headless --convert-to pdf` turns every sample's DOCX into a PDF with the clause headings."""
    if SOFFICE is None:
        message = "LibreOffice is not installed (Debian: apt-get install libreoffice-writer-nogui)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    sources = []
    for (template_id, sample), item in rendered.items():
        path = tmp_path / f"{template_id.replace('/', '_')}__{sample}.docx"
        path.write_bytes(item.docx)
        sources.append((path, item))
    profile = (tmp_path / "profile").as_uri()
    result = subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
        ]
        + [str(path) for path, _ in sources],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for path, item in sources:
        pdf = path.with_suffix(".pdf")
        assert pdf.is_file(), f"LibreOffice did not convert {path.name}: {result.stdout} {result.stderr}"
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        first = item.result.clauses[0]
        assert first.title in text
