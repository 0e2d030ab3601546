"""Generate templates/_shared/base.docx, the Word layout every DOCX is rendered into.

Run with the project's virtualenv: ``.venv/bin/python templates/_shared/make_base_docx.py``.
Every Jinja tag is written as one run so that Word never splits it (``templates check`` verifies this
on the committed file). The paragraph reading ``[[undersign:body]]`` is replaced by the clauses and the
signature blocks; it is plain text, not Jinja, so clause text never passes through the layout's Jinja.
Fonts are referred to by name (DejaVu, as in print.css); nothing is embedded or fetched.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

BODY_MARKER = "[[undersign:body]]"


def _field(paragraph: Paragraph, instruction: str) -> None:
    """Append a simple field (PAGE, NUMPAGES) that Word computes when the document is opened."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def build(target: Path) -> None:
    """Write the layout to ``target``."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin, section.bottom_margin = Mm(28), Mm(22)

    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name = "DejaVu Serif"
    normal.font.size = Pt(10)
    # Heading 1 is the document title, Heading 2 each numbered clause, Heading 3 a sub-heading inside a
    # clause: the same levels as the PDF (h1, h2, and the clause's own headings).
    for name, size in (("Heading 1", 17), ("Heading 2", 11), ("Heading 3", 10)):
        style = styles[name]
        style.font.name = "DejaVu Sans"
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)

    header = section.header.paragraphs[0]
    header.add_run("{{ branding.msp_name }}").bold = True
    header.add_run(" · ")
    header.add_run("{{ branding.address }}")

    footer = section.footer.paragraphs[0]
    footer.paragraph_format.tab_stops.add_tab_stop(Mm(170), WD_TAB_ALIGNMENT.RIGHT)
    footer.add_run("{{ document.id }}")
    footer.add_run(" · version ")
    footer.add_run("{{ document.version }}")
    footer.add_run("\tPage ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")

    doc.add_paragraph("{{ title }}", style="Heading 1")
    meta = doc.add_paragraph()
    meta.add_run("Client: ")
    meta.add_run("{{ client.legal_name }}")
    meta.add_run("    Date: ")
    meta.add_run("{{ date_text }}")
    meta.add_run("    Reference: ")
    meta.add_run("{{ document.id }}")
    meta.add_run(" · version ")
    meta.add_run("{{ document.version }}")
    doc.add_paragraph(BODY_MARKER)

    props = doc.core_properties
    props.title = "{{ title }}"
    props.author = "{{ branding.msp_name }}"
    props.comments = ""
    props.subject = ""
    props.identifier = ""
    props.language = "en"
    doc.save(str(target))


if __name__ == "__main__":
    build(Path(__file__).with_name("base.docx"))
