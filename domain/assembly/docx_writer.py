"""The DOCX writer: the same clause token stream as the PDF, written as Word paragraphs, runs and tables.

The layout ``templates/_shared/base.docx`` is rendered by docxtpl in the XML-autoescaping sandbox
(``markup_environment``) with the header/footer/title context only. Its paragraph ``[[undersign:body]]``
is then replaced by python-docx objects built from the token stream: text goes into runs through
python-docx (lxml escapes it), never through Jinja or docxtpl's string post-processing, so a value
such as ``</w:t>`` or ``{{ 7*7 }}`` lands in the file as those characters.

The output is deterministic: core properties take the document version's timestamp and the ZIP entries
get a fixed date, so the same version yields the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx.document import Document as WordDocument
from docx.enum.table import WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate
from jinja2 import TemplateError
from markdown_it.token import Token

from domain.assembly.assemble import AssembledDocument
from domain.assembly.docx_numbering import WordNumbering, number_paragraph
from domain.assembly.html_writer import DRAFT_MARK, notice_sender
from domain.assembly.markdown import inline_text
from domain.assembly.sandbox import format_date, markup_environment
from domain.errors import FieldError, TemplateInvalid

BODY_MARKER = "[[undersign:body]]"
_ALIGN = {
    "text-align:right": WD_ALIGN_PARAGRAPH.RIGHT,
    "text-align:center": WD_ALIGN_PARAGRAPH.CENTER,
    "text-align:left": WD_ALIGN_PARAGRAPH.LEFT,
}


@dataclass(frozen=True)
class DocxRenderer:
    """The DOCX layout (bytes of base.docx); build once and reuse."""

    layout: bytes = field(repr=False)

    @classmethod
    def from_file(cls, path: Path) -> DocxRenderer:
        """Load the layout from ``path`` (normally templates/_shared/base.docx)."""
        return cls(layout=path.read_bytes())


@dataclass
class _Cell:
    inline: Token | None = None
    header: bool = False
    align: str | None = None


class _BodyWriter:
    """Writes block tokens as Word objects placed before the marker paragraph."""

    def __init__(self, doc: WordDocument, marker: Paragraph) -> None:
        self.doc = doc
        self.marker = marker
        self.numbering = WordNumbering(doc)

    def paragraph(self, style: str | None = None) -> Paragraph:
        paragraph = self.doc.add_paragraph(style=style)
        self.marker._p.addprevious(paragraph._p)
        return paragraph

    def table(self, rows: int, cols: int) -> Table:
        table = self.doc.add_table(rows=rows, cols=cols)
        table.style = "Table Grid"
        self.marker._p.addprevious(table._tbl)
        return table

    def draft_banner(self) -> None:
        # Outside the numbered clauses, so clause numbers do not change when counsel approves the text.
        paragraph = self.paragraph()
        mark = paragraph.add_run(f"{DRAFT_MARK}. ")
        mark.bold = True
        mark.font.color.rgb = RGBColor(0xA6, 0x1B, 0x1B)
        paragraph.add_run(
            "A plain-language starting point from a template library, not legal advice: "
            "have counsel review it before use."
        )

    def clause(self, number: int, title: str, tokens: tuple[Token, ...]) -> None:
        self.paragraph("Heading 2").add_run(f"{number}. {title}")
        self.blocks(list(tokens))

    def blocks(self, tokens: list[Token]) -> None:
        # One Word list instance per Markdown list; the item's first paragraph carries the number
        # (numPr), later paragraphs of the same item are indented to the text.
        lists: list[int] = []
        pending_item = False
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token.type in ("ordered_list_open", "bullet_list_open"):
                ordered = token.type == "ordered_list_open"
                lists.append(self.numbering.start_list(ordered, int(token.attrGet("start") or 1)))
            elif token.type in ("ordered_list_close", "bullet_list_close"):
                lists.pop()
            elif token.type == "list_item_open":
                pending_item = True
            elif token.type == "heading_open":
                write_runs(self.paragraph("Heading 3"), tokens[index + 1])
                index += 2
            elif token.type == "paragraph_open":
                if lists:
                    paragraph = self.paragraph("List Paragraph")
                    if pending_item:
                        number_paragraph(paragraph, lists[-1], len(lists) - 1)
                        pending_item = False
                    else:
                        paragraph.paragraph_format.left_indent = Mm(7 * len(lists))
                else:
                    paragraph = self.paragraph()
                write_runs(paragraph, tokens[index + 1])
                index += 2
            elif token.type == "table_open":
                index = self._table(tokens, index)
            index += 1

    def _table(self, tokens: list[Token], start: int) -> int:
        rows: list[list[_Cell]] = []
        index = start
        while tokens[index].type != "table_close":
            token = tokens[index]
            if token.type == "tr_open":
                rows.append([])
            elif token.type in ("th_open", "td_open"):
                style = token.attrGet("style")
                rows[-1].append(_Cell(header=token.type == "th_open", align=str(style) if style else None))
            elif token.type == "inline" and rows and rows[-1]:
                rows[-1][-1].inline = token
            index += 1
        cols = max((len(r) for r in rows), default=0)
        if rows and cols:
            table = self.table(len(rows), cols)
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    paragraph = table.cell(r, c).paragraphs[0]
                    if cell.align in _ALIGN:
                        paragraph.alignment = _ALIGN[cell.align]
                    if cell.inline is not None:
                        write_runs(paragraph, cell.inline, bold=cell.header)
        return index

    def sender(self, sender: dict[str, str] | None, msp_name: str) -> None:
        if sender is None:
            return
        self.paragraph().add_run("Yours sincerely,")
        self.paragraph()
        self.paragraph().add_run(sender["name"]).bold = True
        for line in (sender["title"], msp_name, sender["contact_line"]):
            if line:
                self.paragraph().add_run(line)

    def signatures(self, document: AssembledDocument) -> None:
        # A table a lawyer can edit: one column per signer, a tall empty cell to sign in, and
        # labelled rows for name, title and date (no typed underscores).
        if not document.signers:
            return
        parties = {"client": document.client.legal_name, "msp": document.branding.msp_name}
        self.paragraph()
        captions = ("Signature", "Name", "Title", "Date")
        table = self.table(1 + len(captions), len(document.signers))
        for column, signer in enumerate(document.signers):
            head = table.cell(0, column).paragraphs[0]
            head.add_run(signer.label).bold = True
            head.add_run().add_break()
            head.add_run(parties[signer.role])
            for row, caption in enumerate(captions, start=1):
                cell = table.cell(row, column).paragraphs[0]
                cell.add_run(caption).font.size = Pt(7.5)
        for line, height in zip(table.rows[1:], (24, 8, 8, 8), strict=True):
            line.height, line.height_rule = Mm(height), WD_ROW_HEIGHT_RULE.AT_LEAST


def write_runs(paragraph: Paragraph, inline: Token, *, bold: bool = False) -> None:
    """Append the inline token's children to ``paragraph`` as runs carrying bold/italic/strike."""
    strong = 1 if bold else 0
    emphasis = strike = 0
    for child in inline.children or []:
        if child.type == "strong_open":
            strong += 1
        elif child.type == "strong_close":
            strong -= 1
        elif child.type == "em_open":
            emphasis += 1
        elif child.type == "em_close":
            emphasis -= 1
        elif child.type == "s_open":
            strike += 1
        elif child.type == "s_close":
            strike -= 1
        elif child.type == "hardbreak":
            paragraph.add_run().add_break()
        elif child.type in ("text", "softbreak"):
            text = child.content if child.type == "text" else " "
            run = paragraph.add_run(text)
            run.bold = strong > 0 or None
            run.italic = emphasis > 0 or None
            run.font.strike = strike > 0 or None
        elif child.children:
            paragraph.add_run(inline_text(child))


def _layout_context(document: AssembledDocument) -> dict[str, Any]:
    return {
        "title": document.title,
        "kind": document.kind,
        "document": document.document,
        "date_text": format_date(document.document.date),
        "branding": document.branding,
        "client": document.client,
    }


def _deterministic_zip(data: bytes, timestamp: tuple[int, int, int, int, int, int]) -> bytes:
    """Rewrite the package with fixed entry dates (python-docx stamps the current time on each entry)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=timestamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def render_docx(document: AssembledDocument, renderer: DocxRenderer) -> bytes:
    """Render ``document`` into the DOCX layout and return the .docx bytes."""
    template = DocxTemplate(io.BytesIO(renderer.layout))
    try:
        # autoescape is already on in markup_environment; passing False keeps docxtpl from mutating it.
        template.render(_layout_context(document), jinja_env=markup_environment(), autoescape=False)
    except TemplateError as exc:
        raise TemplateInvalid("the DOCX layout failed to render", errors=[FieldError("base.docx", str(exc))]) from None
    doc: WordDocument = template.docx
    marker = next((p for p in doc.paragraphs if p.text.strip() == BODY_MARKER), None)
    if marker is None:
        raise TemplateInvalid(
            "the DOCX layout has no body marker",
            errors=[FieldError("base.docx", f"needs a paragraph reading {BODY_MARKER}")],
        )
    width, height = document.paper.size_mm
    for section in doc.sections:
        # Word keeps the page size per section; the margins of base.docx hold for both sizes.
        section.page_width, section.page_height = Mm(width), Mm(height)
    writer = _BodyWriter(doc, marker)
    if not document.reviewed:
        writer.draft_banner()
    for clause in document.clauses:
        writer.clause(clause.number, clause.title, clause.tokens)
    writer.signatures(document)
    writer.sender(notice_sender(document), document.branding.msp_name)
    marker._p.getparent().remove(marker._p)

    timestamp = document.document.timestamp.replace(tzinfo=None)
    props = doc.core_properties
    props.created = props.modified = timestamp
    props.last_printed = timestamp
    props.revision = 1
    props.last_modified_by = document.branding.msp_name
    props.identifier = f"{document.document.id} v{document.document.version}"
    buffer = io.BytesIO()
    doc.save(buffer)
    zip_time = (
        max(timestamp.year, 1980),
        timestamp.month,
        timestamp.day,
        timestamp.hour,
        timestamp.minute,
        timestamp.second,
    )
    return _deterministic_zip(buffer.getvalue(), zip_time)
