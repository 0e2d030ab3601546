"""A ``DocumentRenderer`` that assembles for real but lays out a plain text PDF, and can be told to fail.

Assembly (clause choice, Jinja in the sandbox, variable checks) is the real ``assemble``: cheap and
what decides a document's content. Only the WeasyPrint layout is replaced, by a small PDF written
here whose text is the title and every clause, so a test can still read the notice a client got
(``pdftotext`` or pypdf) without a render worker.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from html import escape

from domain.assembly.assemble import AssembledDocument, assemble
from domain.documents import FileFormat
from domain.ports import TemplateCatalog
from domain.render_job import RenderJob, RenderResult

_LINES_PER_PAGE = 60
_WIDTH = 95


def _escape(line: str) -> bytes:
    # PDF literal strings: backslash and parentheses are escaped; Helvetica here speaks Latin-1 only.
    text = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return text.encode("latin-1", errors="replace")


def text_pdf(lines: list[str]) -> bytes:
    """Return a valid PDF with ``lines`` as text (Helvetica 10 pt, A4, as many pages as needed)."""
    pages = [lines[i : i + _LINES_PER_PAGE] for i in range(0, len(lines), _LINES_PER_PAGE)] or [[]]
    objects: list[bytes] = [b"", b""]  # 1: catalog, 2: page tree; filled in below
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    page_ids: list[int] = []
    for page in pages:
        body = b"BT /F1 10 Tf 12 TL 50 800 Td\n" + b"".join(b"(" + _escape(line) + b") Tj T*\n" for line in page)
        body += b"ET"
        objects.append(b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream")
        content_id = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents %d 0 R >>" % content_id
        )
        page_ids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    objects[1] = b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % len(page_ids)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def document_lines(document: AssembledDocument) -> list[str]:
    """Return the text lines the fake PDF shows: title, then each clause's number, title and text."""
    lines = [document.title, ""]
    for clause in document.clauses:
        lines.append(f"{clause.number}. {clause.title}")
        for paragraph in clause.text.splitlines():
            lines.extend(textwrap.wrap(paragraph, _WIDTH) or [""])
        lines.append("")
    return lines


class FakeRenderer:
    """Renders with real assembly and a text PDF; ``fail_with`` (any exception) makes renders raise it.

    ``fail_when`` limits the failure to the jobs it answers ``True`` for (one client, one template).
    Every job is kept in ``jobs``.
    """

    def __init__(self, templates: TemplateCatalog) -> None:
        self._templates = templates
        self.jobs: list[RenderJob] = []
        self.fail_with: Exception | None = None
        self.fail_when: Callable[[RenderJob], bool] | None = None

    def render(self, job: RenderJob) -> RenderResult:
        """Assemble ``job`` and return it as a text PDF (the only format this fake makes)."""
        self.jobs.append(job)
        if self.fail_with is not None and (self.fail_when is None or self.fail_when(job)):
            raise self.fail_with
        manifest = self._templates.get(job.template_id)
        document = assemble(manifest, job.variables, job.context)
        lines = document_lines(document)
        pdf = text_pdf(lines)
        files = {FileFormat.PDF: pdf}
        if FileFormat.DOCX in job.formats:
            # Word files need the real docx writer; a fake one would pass for a file no one checked.
            raise ValueError("FakeRenderer makes PDFs only; render DOCX with adapters.renderers.InlineRenderer")
        return RenderResult(
            template_version=manifest.version,
            clauses=tuple(clause.record() for clause in document.clauses),
            files=files,
            page_count=max(1, -(-len(lines) // _LINES_PER_PAGE)),
            signature_boxes=(),
            library_versions={"fake-renderer": "1"},
        )

    def html(self, document: AssembledDocument) -> str:
        """Return the document's lines as a minimal HTML page."""
        body = "".join(f"<p>{escape(line)}</p>" for line in document_lines(document))
        return f"<!doctype html><html><head><title>{escape(document.title)}</title></head><body>{body}</body></html>"
