"""Golden files: every shipped template sample renders to the same PDF text, the DOCX holds it, qpdf accepts it.

Each sample under ``templates/<template>/samples/<sample>.json`` is rendered once per session (in this
process, with the fixed ``sample_context``) to PDF and DOCX. The PDF's text, extracted with
``pdftotext`` (poppler-utils) and normalised (whitespace runs folded, blank lines dropped, page breaks
kept as ``--- page N ---`` lines), must equal ``tests/golden/<template>/<sample>.txt``.

When a template or the layout changes on purpose, regenerate the golden files and review the diff:

    UNDERSIGN_UPDATE_GOLDENS=1 .venv/bin/pytest -p no:cacheprovider tests/adapters/test_goldens.py -q

In update mode the files are rewritten (and stale ones removed) before they are compared.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest

from adapters.renderers import InlineRenderer
from adapters.template_library import TemplateLibrary
from domain.assembly.context import sample_context
from domain.assembly.html_writer import DRAFT_MARK
from domain.documents import FileFormat
from domain.render_job import RenderJob, RenderResult
from undersign.settings import REPO_ROOT

GOLDEN = REPO_ROOT / "tests" / "golden"
UPDATE = os.environ.get("UNDERSIGN_UPDATE_GOLDENS") == "1"
LIBRARY = TemplateLibrary(REPO_ROOT / "templates")
SAMPLES = [(template_id, s.name) for template_id in LIBRARY.ids() for s in LIBRARY.samples(template_id)]
# Under `pytest -n 2 --dist loadgroup` keep this module on one worker, so each sample renders once.
pytestmark = pytest.mark.xdist_group("goldens")


@dataclass(frozen=True)
class Rendered:
    """One rendered sample: the render result and the PDF's normalised text."""

    result: RenderResult
    text: str

    @property
    def pdf(self) -> bytes:
        """The PDF bytes."""
        return self.result.files[FileFormat.PDF]

    @property
    def docx(self) -> bytes:
        """The DOCX bytes."""
        return self.result.files[FileFormat.DOCX]


def normalised_pdf_text(pdf: bytes) -> str:
    """Return the PDF's text via ``pdftotext``: whitespace folded per line, blank lines dropped, pages marked."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")
    lines: list[str] = []
    for number, page in enumerate(out.split("\f")[:-1] if out.endswith("\f") else out.split("\f"), start=1):
        lines.append(f"--- page {number} ---")
        lines.extend(" ".join(line.split()) for line in page.splitlines() if line.strip())
    return "\n".join(lines) + "\n"


def golden_path(template_id: str, sample: str) -> Path:
    """Return the golden file of a sample."""
    return GOLDEN / template_id / f"{sample}.txt"


@pytest.fixture(scope="session")
def rendered() -> Iterator[dict[tuple[str, str], Rendered]]:
    """Every shipped sample rendered once (PDF and DOCX) with the inline renderer."""
    renderer = InlineRenderer(LIBRARY)
    out: dict[tuple[str, str], Rendered] = {}
    for template_id in LIBRARY.ids():
        for sample in LIBRARY.samples(template_id):
            context = sample_context(sample.variables)
            job = RenderJob(template_id, sample.variables, context, (FileFormat.PDF, FileFormat.DOCX))
            result = renderer.render(job)
            out[(template_id, sample.name)] = Rendered(result, normalised_pdf_text(result.files[FileFormat.PDF]))
    yield out


_LIST_MARKER = re.compile(r"^(- |\d+\. )")
_PAGE_FURNITURE = re.compile(r"--- page \d+ ---|Page \d+ of \d+")


def _body_text(text: str) -> str:
    """Drop the running header and footer lines, which interrupt a paragraph that crosses a page."""
    context = sample_context()
    furniture = {
        context.branding.msp_name,
        context.branding.address,
        f"{context.document.id} · version 1",
        DRAFT_MARK,
    }
    return "\n".join(
        line for line in text.splitlines() if line not in furniture and not _PAGE_FURNITURE.fullmatch(line)
    )


def _squeeze(text: str) -> str:
    # pdftotext joins a word broken after a hyphen at a line end and drops that hyphen: compare without any.
    # WeasyPrint's automatic hyphenation breaks words with U+2010 (kept by pdftotext): drop those too.
    return "".join(text.split()).replace("-", "").replace("\u2010", "")


class TestGoldenText:
    @pytest.mark.parametrize(("template_id", "sample"), SAMPLES, ids=[f"{t}/{s}" for t, s in SAMPLES])
    def test_pdf_text_matches_golden(
        self, rendered: dict[tuple[str, str], Rendered], template_id: str, sample: str
    ) -> None:
        """The PDF's extracted text equals the sample's golden file."""
        path = golden_path(template_id, sample)
        text = rendered[(template_id, sample)].text
        if UPDATE:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.is_file(), f"no golden file {path}: run with UNDERSIGN_UPDATE_GOLDENS=1 and review it"
        assert text == path.read_text(encoding="utf-8")

    def test_every_golden_file_belongs_to_a_sample(self) -> None:
        """No golden file is left over from a sample that no longer exists."""
        expected = {golden_path(t, s) for t, s in SAMPLES}
        stale = sorted(p for p in GOLDEN.rglob("*.txt") if p not in expected)
        if UPDATE:
            for path in stale:
                path.unlink()
            stale = []
        assert stale == []


class TestFiles:
    @pytest.mark.parametrize(("template_id", "sample"), SAMPLES, ids=[f"{t}/{s}" for t, s in SAMPLES])
    def test_docx_holds_the_clause_text_and_pdf_passes_qpdf(
        self, rendered: dict[tuple[str, str], Rendered], template_id: str, sample: str, tmp_path: Path
    ) -> None:
        """The DOCX opens with python-docx and holds every clause heading and line; the PDF passes `qpdf --check`."""
        item = rendered[(template_id, sample)]
        document = docx.Document(io.BytesIO(item.docx))
        paragraphs = [p.text.replace("\t", " ") for p in document.paragraphs]
        cells = [" | ".join(c.text for c in row.cells) for t in document.tables for row in t.rows]
        pdf_squeezed = _squeeze(_body_text(item.text))
        for clause in item.result.clauses:
            assert f"{clause.number}. {clause.title}" in paragraphs
            for line in clause.text.splitlines():
                # The plain text marks list items "1. " / "- "; Word numbers them itself (numPr), so the
                # paragraph holds the item's text only.
                marker = _LIST_MARKER.match(line)
                word_line = line[marker.end() :] if marker else line
                assert word_line in (cells if " | " in line else paragraphs), line
                # The same line is in the PDF (table rows cell by cell: the PDF lays cells out apart).
                for part in line[marker.end() if marker else 0 :].split(" | "):
                    assert _squeeze(part) in pdf_squeezed, part
        path = tmp_path / "check.pdf"
        path.write_bytes(item.pdf)
        check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stdout + check.stderr
