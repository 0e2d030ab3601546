"""Page breaks a typesetter would accept, checked on every shipped sample's laid-out PDF.

The pages are read back with poppler's ``pdftotext -bbox-layout`` (an independent reader: words with
their positions, grouped in lines and blocks), and the rules are checked against what the document
should hold (its clause headings, table rows and signature blocks):

- no table row is split across pages, and a table of up to 12 rows sits on one page;
- no clause heading is the last thing on a page (a heading keeps with its first paragraph);
- no page holds only signature blocks: the signatures keep with the last lines of the text.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

import pytest
from lxml import etree

from tests.adapters.test_goldens import LIBRARY, SAMPLES, Rendered, rendered  # noqa: F401 - the session fixture

_NS = {"x": "http://www.w3.org/1999/xhtml"}
SHORT_TABLE_ROWS = 12
#: Lines of page furniture (running header and footer) in the bottom and top margins, in points.
_HEADER_BOTTOM, _FOOTER_TOP_FROM_BOTTOM = 62.0, 50.0


@dataclass(frozen=True)
class Line:
    """One laid-out line of text on a page: its words joined by spaces, and its top edge in points."""

    text: str
    top: float


def body_lines(pdf: bytes) -> list[list[Line]]:
    """Return each page's lines between the running header and footer, in pdftotext's reading order.

    Reading order keeps a table cell's lines together (each cell is a block), which sorting by
    position would interleave with the neighbouring cells.
    """
    xhtml = subprocess.run(["pdftotext", "-bbox-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    root = etree.fromstring(xhtml, parser=etree.XMLParser(recover=True))
    pages: list[list[Line]] = []
    for page in root.iterfind(".//x:page", _NS):
        height = float(page.get("height"))
        lines = [
            Line(" ".join(w.text or "" for w in line.iterfind("x:word", _NS)), float(line.get("yMin")))
            for line in page.iterfind(".//x:line", _NS)
        ]
        body = [ln for ln in lines if _HEADER_BOTTOM < ln.top < height - _FOOTER_TOP_FROM_BOTTOM]
        pages.append(body)
    return pages


def squeeze(text: str) -> str:
    """Drop whitespace and hyphens (line-end hyphenation), and fold typographic quotes, for comparing text."""
    for curly, straight in (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(curly, straight)
    return "".join(text.split()).replace("-", "").replace("\u2010", "")


def tables(item: Rendered) -> list[list[list[str]]]:
    """Return every table of the document as rows of cell texts (from the clause plain text)."""
    found: list[list[list[str]]] = []
    for clause in item.result.clauses:
        current: list[list[str]] = []
        for line in [*clause.text.splitlines(), ""]:
            if " | " in line:
                current.append(line.split(" | "))
            elif current:
                found.append(current)
                current = []
    return found


def pages_holding(pages: list[list[Line]], cells: list[str]) -> set[int]:
    """Return the pages that hold the text of every one of ``cells``.

    Cells are looked up one by one: pdftotext reads right-aligned columns as a separate flow, so a
    row's cells are not always one run of text even when they sit side by side.
    """
    texts = [squeeze("".join(ln.text for ln in lines)) for lines in pages]
    holding = set(range(len(pages)))
    for cell in cells:
        wanted = squeeze(cell)
        if wanted:
            holding &= {index for index, text in enumerate(texts) if wanted in text}
    return holding


@pytest.mark.parametrize(("template_id", "sample"), SAMPLES, ids=[f"{t}/{s}" for t, s in SAMPLES])
class TestPageBreaks:
    def test_no_table_row_split_and_short_tables_whole(
        self,
        rendered: dict[tuple[str, str], Rendered],  # noqa: F811
        template_id: str,
        sample: str,
    ) -> None:
        """Every table row's cells are on one page; a table of up to 12 rows is on one page as a whole."""
        item = rendered[(template_id, sample)]
        pages = body_lines(item.pdf)
        for table in tables(item):
            for row in table:
                assert pages_holding(pages, row), f"row split across pages: {row}"
            if len(table) <= SHORT_TABLE_ROWS:
                cells = [cell for row in table for cell in row]
                assert pages_holding(pages, cells), f"short table split across pages: {table[0]}"

    def test_no_heading_at_a_page_foot(
        self,
        rendered: dict[tuple[str, str], Rendered],  # noqa: F811
        template_id: str,
        sample: str,
    ) -> None:
        """No page ends with a clause heading: each heading shares its page with the text that follows it."""
        item = rendered[(template_id, sample)]
        headings = {squeeze(f"{c.number}. {c.title}") for c in item.result.clauses}
        for number, lines in enumerate(body_lines(item.pdf)[:-1], start=1):
            assert lines, f"page {number} is empty"
            lowest = max(lines, key=lambda ln: ln.top)
            assert squeeze(lowest.text) not in headings, f"page {number} ends with heading {lowest.text!r}"

    def test_no_page_holds_only_signatures(
        self,
        rendered: dict[tuple[str, str], Rendered],  # noqa: F811
        template_id: str,
        sample: str,
    ) -> None:
        """The page with the first signature block also holds at least two lines of the text before it."""
        item = rendered[(template_id, sample)]
        labels = {signer.label for signer in LIBRARY.get(template_id).signers}
        for number, lines in enumerate(body_lines(item.pdf), start=1):
            first = next((ln for ln in lines if ln.text in labels), None)
            if first is not None:
                above = [ln.text for ln in lines if ln.top < first.top - 1]
                assert len(above) >= 2, f"page {number} starts with the signatures: {[ln.text for ln in lines[:4]]}"
                break
