"""Real Word list numbering for the DOCX writer: numbering definitions and ``numPr`` on list paragraphs.

A list typed as "1." and "•" in the text breaks as soon as a lawyer inserts or deletes an item in Word.
Word numbers a paragraph from its ``w:numPr`` (a list instance ``numId`` and a level ``ilvl``), and a
list instance points at an abstract definition (number format, text, indent per level). This module
adds two abstract definitions (decimal and bullet, nine levels each) to the document's numbering part
and one list instance per Markdown list, so each ordered list starts at its own first number and Word
renumbers it on every edit.
"""

from __future__ import annotations

from docx.document import Document as WordDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.text.paragraph import Paragraph

_LEVELS = 9
_INDENT_TWIPS = 397  # 7 mm per level, as the PDF's list indent
_HANGING_TWIPS = 340  # 6 mm for the number or bullet
_BULLETS = ("\u2022", "\u2013", "\u25e6")


def _element(tag: str, **attributes: str) -> BaseOxmlElement:
    element = OxmlElement(tag)
    for name, value in attributes.items():
        element.set(qn(f"w:{name}"), value)
    return element


def _abstract(abstract_id: int, ordered: bool) -> BaseOxmlElement:
    abstract = _element("w:abstractNum", abstractNumId=str(abstract_id))
    abstract.append(_element("w:multiLevelType", val="hybridMultilevel"))
    for level in range(_LEVELS):
        lvl = _element("w:lvl", ilvl=str(level))
        lvl.append(_element("w:start", val="1"))
        if ordered:
            lvl.append(_element("w:numFmt", val=("decimal", "lowerLetter", "lowerRoman")[level % 3]))
            lvl.append(_element("w:lvlText", val=f"%{level + 1}."))
        else:
            lvl.append(_element("w:numFmt", val="bullet"))
            lvl.append(_element("w:lvlText", val=_BULLETS[level % len(_BULLETS)]))
        lvl.append(_element("w:lvlJc", val="left"))
        paragraph = _element("w:pPr")
        left = _INDENT_TWIPS * (level + 1)
        paragraph.append(_element("w:ind", left=str(left), hanging=str(_HANGING_TWIPS)))
        lvl.append(paragraph)
        abstract.append(lvl)
    return abstract


class WordNumbering:
    """The list definitions of one document being written; ``start_list`` makes a new list instance."""

    def __init__(self, doc: WordDocument) -> None:
        self._numbering = doc.part.numbering_part.element
        existing_abstract = [int(a.get(qn("w:abstractNumId"))) for a in self._numbering.findall(qn("w:abstractNum"))]
        existing_num = [int(n.get(qn("w:numId"))) for n in self._numbering.findall(qn("w:num"))]
        base = max(existing_abstract, default=-1) + 1
        self._next_num = max(existing_num, default=0) + 1
        self._abstract = {True: base, False: base + 1}
        # abstractNum elements must precede every num element in numbering.xml.
        first_num = self._numbering.find(qn("w:num"))
        for ordered in (True, False):
            element = _abstract(self._abstract[ordered], ordered)
            if first_num is not None:
                first_num.addprevious(element)
            else:
                self._numbering.append(element)

    def start_list(self, ordered: bool, start: int = 1) -> int:
        """Return the numId of a new list instance (an ordered list restarts at ``start``)."""
        num_id = self._next_num
        self._next_num += 1
        num = _element("w:num", numId=str(num_id))
        num.append(_element("w:abstractNumId", val=str(self._abstract[ordered])))
        if ordered:
            override = _element("w:lvlOverride", ilvl="0")
            override.append(_element("w:startOverride", val=str(start)))
            num.append(override)
        self._numbering.append(num)
        return num_id


def number_paragraph(paragraph: Paragraph, num_id: int, level: int) -> None:
    """Make ``paragraph`` an item of list ``num_id`` at ``level`` (0-based)."""
    p_pr = paragraph._p.get_or_add_pPr()
    num_pr = _element("w:numPr")
    num_pr.append(_element("w:ilvl", val=str(level)))
    num_pr.append(_element("w:numId", val=str(num_id)))
    p_pr.append(num_pr)
