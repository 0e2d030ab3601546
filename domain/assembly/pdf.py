"""PDF rendering with WeasyPrint: PDF/A-3b, deterministic bytes, signature boxes located, no fetching.

``PdfRenderer`` is the warm part a worker keeps for its lifetime: one ``FontConfiguration``, the parsed
print stylesheet and the compiled layout (re-creating them per document costs time and leaks memory).
``render_pdf(document, renderer, max_pages=...)`` lays the document out, refuses it with
``RenderBudgetExceeded`` when it has more pages than allowed, and returns a ``RenderedPdf``: the bytes,
the page count and where each signature box landed (page index and rectangle in PDF points, origin at
the bottom-left of the page, as pyHanko's ``SigFieldSpec`` expects).

Determinism: the PDF identifier and the creation/modification dates (document info, XMP, the embedded
JSON attachment) derive from the document id, version and timestamp only, so rendering the same
version again gives byte-identical output.

Resource fetching goes through ``StrictUrlFetcher``: ``data:`` URIs and files inside the allowed
folder (the template library) only. WeasyPrint's default fetcher would read any local file or URL
(``file:///etc/passwd``, ``http://169.254.169.254/``) and embed it into the document. Any refused
fetch fails the render with ``TemplateInvalid``: a layout that asks for something else is broken.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from jinja2 import Template
from weasyprint import CSS, HTML, Attachment
from weasyprint.images import SVGImage
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from domain.assembly.assemble import AssembledDocument
from domain.assembly.html_writer import render_html, signature_box_ids
from domain.assembly.records import SignatureBoxRecord
from domain.assembly.sandbox import markup_environment
from domain.errors import FieldError, RenderBudgetExceeded, TemplateInvalid

PDF_VARIANT = "pdf/a-3b"
STYLESHEET = "print.css"
#: The lean stylesheet notices are laid out with (templates/_shared/print-letter.css).
LETTER_STYLESHEET = "print-letter.css"
ATTACHMENT_NAME = "undersign-input.json"
_PX_TO_PT = 0.75
# Words in the faces documents use (regular, bold, italic; headings, tables, the footer): laid out once
# per worker so that fontconfig and Pango find and open the fonts before the first real document.
_WARM_PAGE = (
    '<header class="running-header"><div class="msp-name">Warm</div></header><h1 class="doc-title">Warm</h1>'
    '<span class="doc-ref">ref</span><section class="clause"><h2>1. Warm</h2><p>Warm <strong>up</strong> '
    "<em>fonts</em> \u00e9\u00e0 \u00b7 \u2013</p><table><tr><th>A</th><td>1</td></tr></table></section>"
)  # WeasyPrint lays out in CSS pixels (1/96 in); PDF points are 1/72 in.


class UrlRefused(ValueError):
    """A resource URL outside ``data:`` and the allowed folder was requested."""


class StrictUrlFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves ``data:`` URIs and files under ``allowed_root`` only.

    Every refused URL is remembered in ``refused`` (one fetcher per render) and raised as
    ``UrlRefused``; nothing is ever requested over the network.
    """

    def __init__(self, allowed_root: Path) -> None:
        super().__init__(timeout=1, allow_redirects=False)
        self.allowed_root = allowed_root.resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        """Return the resource for an allowed URL, else record and raise ``UrlRefused``."""
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            parts = urlsplit(url)
            if parts.netloc in ("", "localhost"):
                path = Path(url2pathname(parts.path)).resolve()
                if path.is_relative_to(self.allowed_root) and path.is_file():
                    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": media_type})
        self.refused.append(url[:200])
        raise UrlRefused(f"refused to fetch {url[:200]}")


class ImageCache(dict[str, Any]):
    """WeasyPrint's image cache, kept per worker: a logo or facsimile signature is decoded once, not per document.

    Keyed by URL (``data:`` URIs included). Images come from the branding and the template folder only,
    so a few entries suffice; past ``limit`` entries it starts again, between renders only (a render
    reads back the image data it stored). SVG images are never kept: a cached SVG would fetch what it
    refers to through the first render's URL fetcher, and a refused fetch must fail the render that
    asked for it.
    """

    def __init__(self, limit: int = 256) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(value, SVGImage):
            super().__setitem__(key, value)

    def trim(self) -> None:
        """Start again if the cache holds more than ``limit`` entries (call between renders)."""
        if len(self) > self.limit:
            self.clear()


@dataclass(frozen=True)
class RenderedPdf:
    """A rendered PDF: its bytes, SHA-256, page count and signature box positions."""

    data: bytes = field(repr=False)
    sha256: str
    page_count: int
    signature_boxes: tuple[SignatureBoxRecord, ...]


class PdfRenderer:
    """The warm, per-process part of PDF rendering: fonts, parsed CSS and the compiled layout.

    Keep one per worker process and reuse it for every document: the ``FontConfiguration`` (fonts found
    and loaded once), the parsed stylesheets and the image cache (a logo or facsimile signature is
    decoded once per worker, not per document). Not for concurrent use from threads (WeasyPrint holds
    the GIL during layout anyway; use processes for parallelism).

    Notices use their own lean stylesheet (``letter_stylesheet_source``, ``print-letter.css``) instead
    of the shared one when it is given: a batch renders thousands of them.
    """

    def __init__(
        self,
        *,
        layout_source: str,
        stylesheet_source: str,
        allowed_root: Path,
        letter_stylesheet_source: str | None = None,
    ) -> None:
        self.allowed_root = allowed_root.resolve()
        self.font_config = FontConfiguration()
        self.stylesheet = self._parse(stylesheet_source, "print.css")
        self.letter_stylesheet = (
            self._parse(letter_stylesheet_source, "print-letter.css") if letter_stylesheet_source else None
        )
        self.layout: Template = markup_environment().from_string(layout_source)
        self.image_cache = ImageCache()

    def _parse(self, source: str, name: str) -> CSS:
        fetcher = StrictUrlFetcher(self.allowed_root)
        sheet = CSS(
            string=source,
            base_url=self.allowed_root.as_uri() + "/",
            font_config=self.font_config,
            url_fetcher=fetcher,
        )
        if fetcher.refused:
            raise TemplateInvalid(
                f"the print stylesheet {name} refers to resources outside the template folder",
                errors=[FieldError(name, f"refused {url}") for url in fetcher.refused],
            )
        return sheet

    def warm(self) -> None:
        """Lay out and write a few words in each stylesheet, so the fonts are found and opened once, here.

        A worker calls this when it starts: its first document then costs what every later one does.
        """
        for sheet in (self.stylesheet, self.letter_stylesheet):
            if sheet is not None:
                page = HTML(string=_WARM_PAGE).render(stylesheets=[sheet], font_config=self.font_config)
                page.write_pdf(pdf_variant=PDF_VARIANT)

    def stylesheet_for(self, kind: str) -> CSS:
        """Return the parsed stylesheet for a document kind: the lean letter sheet for notices."""
        if kind == "notice" and self.letter_stylesheet is not None:
            return self.letter_stylesheet
        return self.stylesheet

    @classmethod
    def from_directory(cls, shared_dir: Path, *, allowed_root: Path | None = None) -> PdfRenderer:
        """Load ``base.html.j2``, ``print.css`` and ``print-letter.css`` (if present) from ``shared_dir``."""
        letter = shared_dir / LETTER_STYLESHEET
        return cls(
            layout_source=(shared_dir / "base.html.j2").read_text(encoding="utf-8"),
            stylesheet_source=(shared_dir / STYLESHEET).read_text(encoding="utf-8"),
            letter_stylesheet_source=letter.read_text(encoding="utf-8") if letter.is_file() else None,
            allowed_root=allowed_root or shared_dir,
        )


def stylesheet_name(kind: str, shared_dir: Path) -> str:
    """Return the file name of the print stylesheet a document kind is laid out with."""
    return LETTER_STYLESHEET if kind == "notice" and (shared_dir / LETTER_STYLESHEET).is_file() else STYLESHEET


def pdf_identifier(document: AssembledDocument) -> bytes:
    """Return the PDF file identifier for a document version (same version -> same identifier)."""
    key = f"undersign\x00{document.document.id}\x00{document.document.version}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32].encode("ascii")


def _boxes_with_ids(box: Any) -> Iterator[Any]:
    stack = [box]
    while stack:
        current = stack.pop()
        element = getattr(current, "element", None)
        if element is not None and getattr(current, "element_tag", None) and element.get("id"):
            yield current
        children = getattr(current, "children", None)
        if children:
            stack.extend(reversed(children))


def _signature_boxes(pages: list[Any], document: AssembledDocument) -> tuple[SignatureBoxRecord, ...]:
    wanted = {box_id: signer.role for box_id, signer in zip(signature_box_ids(document), document.signers, strict=True)}
    found: dict[str, SignatureBoxRecord] = {}
    for index, page in enumerate(pages):
        page_height = page.height
        for box in _boxes_with_ids(page._page_box):
            box_id = box.element.get("id")
            if box_id not in wanted or box_id in found:
                continue
            x, y = box.border_box_x(), box.border_box_y()
            width, height = box.border_width(), box.border_height()
            found[box_id] = SignatureBoxRecord(
                id=box_id,
                role=wanted[box_id],
                page_index=index,
                x1=round(x * _PX_TO_PT, 2),
                y1=round((page_height - y - height) * _PX_TO_PT, 2),
                x2=round((x + width) * _PX_TO_PT, 2),
                y2=round((page_height - y) * _PX_TO_PT, 2),
            )
    missing = [box_id for box_id in wanted if box_id not in found]
    if missing:
        raise TemplateInvalid(
            "the layout does not draw every signature box",
            errors=[FieldError("base.html.j2", f"no element with id {box_id}") for box_id in missing],
        )
    return tuple(found[box_id] for box_id in wanted)


def _attachment(document: AssembledDocument, fetcher: StrictUrlFetcher) -> Attachment:
    payload = json.dumps(document.record(), ensure_ascii=False, sort_keys=True, indent=2).encode("utf-8")
    timestamp = document.document.timestamp
    return Attachment(
        string=payload,
        name=ATTACHMENT_NAME,
        description="The input data this document was generated from",
        created=timestamp,
        modified=timestamp,
        relationship="Data",
        url_fetcher=fetcher,
    )


def _refuse_if_fetch_refused(fetcher: StrictUrlFetcher) -> None:
    if fetcher.refused:
        raise TemplateInvalid(
            "the document refers to resources outside the template folder",
            errors=[FieldError("layout", f"refused {url}") for url in fetcher.refused],
        )


def render_pdf(document: AssembledDocument, renderer: PdfRenderer, *, max_pages: int | None = None) -> RenderedPdf:
    """Render ``document`` to PDF/A-3b; raise ``RenderBudgetExceeded`` beyond ``max_pages`` pages."""
    fetcher = StrictUrlFetcher(renderer.allowed_root)
    renderer.image_cache.trim()
    html = HTML(
        string=render_html(document, renderer.layout),
        base_url=renderer.allowed_root.as_uri() + "/",
        url_fetcher=fetcher,
    )
    options: dict[str, Any] = {
        "pdf_variant": PDF_VARIANT,
        "stylesheets": [renderer.stylesheet_for(document.kind)],
        "cache": renderer.image_cache,
    }
    laid_out = html.render(font_config=renderer.font_config, **options)
    _refuse_if_fetch_refused(fetcher)
    page_count = len(laid_out.pages)
    if max_pages is not None and page_count > max_pages:
        raise RenderBudgetExceeded(
            f"the document has {page_count} pages; at most {max_pages} are allowed",
            errors=[FieldError("", f"{page_count} pages exceed the budget of {max_pages}")],
        )
    boxes = _signature_boxes(laid_out.pages, document)
    data = laid_out.write_pdf(
        pdf_identifier=pdf_identifier(document),
        attachments=[_attachment(document, fetcher)],
        **options,
    )
    _refuse_if_fetch_refused(fetcher)  # images inside SVGs are only fetched while drawing
    return RenderedPdf(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        page_count=page_count,
        signature_boxes=boxes,
    )
