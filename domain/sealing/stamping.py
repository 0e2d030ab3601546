"""Signature stamps and appended pages, added as an incremental update so the sent bytes stay the prefix.

Each signer's stamp (the drawn image or the typed name in a script font, then name, title and the
time of signing) is drawn into the box the template marked for it. The stamps of one page are laid
out by WeasyPrint as a transparent overlay page of the same size, imported as a form XObject and
painted over the original page; pages to append (the certificate of completion) are grafted into
the page tree as a subtree. pyHanko's incremental writer leaves every original byte in place, so
revision 1 of the result is byte-for-byte the document the signers were sent.

Boxes are in PDF points (1/72 inch) measured from the **top-left** corner of the page's MediaBox,
x to the right and y downward: the convention of the HTML/CSS layout the templates are made with,
so a box read off the rendered template needs no flipping.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO

from PIL import Image, UnidentifiedImageError
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.rw_common import find_inherited_value_in_tree
from weasyprint.text.fonts import FontConfiguration

from domain.errors import FieldError, InvalidInput
from domain.sealing.html_pages import HtmlPageWriter, sandboxed_template
from domain.sealing.pdfa import keep_pdfa

#: fontconfig family used for typed signatures (Debian package fonts-dancingscript).
SCRIPT_FONT_FAMILY = "Dancing Script"
MIN_BOX_WIDTH = 72.0
MIN_BOX_HEIGHT = 36.0
#: Space kept between a stamp and its box's border, in points (about 1.8 mm).
STAMP_PADDING = 5.0
#: The three lines the layout prints under every signature box (templates/_shared/print.css
#: ``.sig-line``: Name, Title, Date, each 6 mm high with its label at the top left). A stamp with
#: ``fill_lines`` writes the signer's name, title and signing date on them, after the labels.
SIG_LINE_HEIGHT = 6 * 72 / 25.4
SIG_LINE_LABEL_WIDTH = 30.0
MAX_IMAGE_BYTES = 2 * 1024 * 1024
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_XOBJECT_PREFIX = "UndersignStamps"


@dataclass(frozen=True)
class SignatureBox:
    """Where a stamp goes: page index (0-based) and a box in points from the page's top-left corner."""

    page_index: int
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class SignatureStamp:
    """One signer's visible signature: exactly one of ``drawn_png`` or ``typed_text``."""

    box: SignatureBox
    signer_name: str
    signer_title: str
    signed_at: datetime
    drawn_png: bytes | None = None
    typed_text: str | None = None
    #: Also write name, title and date on the Name/Title/Date lines under the box (our layout has them).
    fill_lines: bool = False


#: The overlay's stylesheet: one named page per stamped page, of that page's size, without margins or
#: margin boxes (so the sheets can share a document with the certificate of completion).
OVERLAY_STYLE = """
{% for sheet in sheets %}
@page sheet{{ loop.index0 }} { size: {{ sheet.width }}pt {{ sheet.height }}pt; margin: 0;
  @bottom-left { content: none; } @bottom-right { content: none; } }
.sheet{{ loop.index0 }} { page: sheet{{ loop.index0 }}; height: {{ sheet.height }}pt; }
{% endfor %}
.sheet { position: relative; width: 100%; break-after: page; overflow: hidden; margin: 0; }
.stamp { position: absolute; overflow: hidden; color: #1a1a1a;
         font-family: "DejaVu Sans", "Liberation Sans", sans-serif; }
.mark { overflow: hidden; white-space: nowrap; }
.mark img { display: block; object-fit: contain; }
.typed { font-family: "{{ script_font }}", cursive; color: #10206b; }
.rule { border-top: 0.5pt solid #444; }
.line { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; line-height: 1.15; }
"""
#: The overlay's markup: one sheet per stamped page, each stamp absolutely placed in its box.
OVERLAY_SHEETS = """
{% for sheet in sheets %}
<div class="sheet sheet{{ loop.index0 }}">
{% for s in sheet.stamps %}
<div class="stamp" style="left: {{ s.left }}pt; top: {{ s.top }}pt; width: {{ s.width }}pt; height: {{ s.height }}pt">
  <div class="mark" style="height: {{ s.mark_height }}pt">
  {% if s.image_uri %}<img src="{{ s.image_uri }}" alt=""
    style="max-width: {{ s.width }}pt; max-height: {{ s.mark_height }}pt">
  {% else %}<div class="typed" style="font-size: {{ s.typed_size }}pt; line-height: {{ s.mark_height }}pt">
    {{- s.typed_text|clean -}}
  </div>{% endif %}
  </div>
  <div class="rule"></div>
  <div class="line" style="font-size: {{ s.text_size }}pt">{{ s.name|clean }}</div>
  <div class="line" style="font-size: {{ s.text_size }}pt">{{ s.title|clean }}</div>
  <div class="line" style="font-size: {{ s.text_size }}pt">Signed {{ s.signed_at }}</div>
</div>
{% for line in s.lines %}
<div class="stamp filled"
  style="left: {{ line.left }}pt; top: {{ line.top }}pt; width: {{ line.width }}pt; height: {{ line.height }}pt">
  <div class="line" style="font-size: 8.5pt; line-height: {{ line.height }}pt">{{ line.text|clean }}</div>
</div>
{% endfor %}
{% endfor %}
</div>
{% endfor %}
"""
_OVERLAY = sandboxed_template(
    '<!doctype html>\n<html><head><meta charset="utf-8"><style>'
    + OVERLAY_STYLE
    + "html, body { margin: 0; padding: 0; background: transparent; }\n</style></head><body>"
    + OVERLAY_SHEETS
    + "</body></html>\n"
)


def format_utc(moment: datetime) -> str:
    """Format an aware time as ``YYYY-MM-DD HH:MM:SS UTC`` (one zone on every legal page)."""
    if moment.tzinfo is None:
        raise ValueError("times on sealed pages must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _check_png(index: int, data: bytes) -> str:
    where = f"stamps[{index}].drawn_png"
    if len(data) > MAX_IMAGE_BYTES or not data.startswith(_PNG_MAGIC):
        raise InvalidInput("A drawn signature must be a PNG of at most 2 MiB.", errors=[FieldError(where, "not a PNG")])
    try:
        with Image.open(BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise InvalidInput("A drawn signature image is damaged.", errors=[FieldError(where, str(exc))]) from exc
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _page_size(page: generic.DictionaryObject) -> tuple[float, float, float, float]:
    """Return the MediaBox of ``page`` as (x0, y0, width, height); refuse rotated pages."""
    box = [float(v) for v in find_inherited_value_in_tree(page, "/MediaBox", "/Parent")]
    rotate = int(find_inherited_value_in_tree(page, "/Rotate", "/Parent") or 0)
    if rotate % 360:
        raise InvalidInput("Rotated pages cannot be stamped.", errors=[FieldError("pdf", f"/Rotate {rotate}")])
    return min(box[0], box[2]), min(box[1], box[3]), abs(box[2] - box[0]), abs(box[3] - box[1])


def _layout(index: int, stamp: SignatureStamp, page_width: float, page_height: float) -> dict[str, object]:
    box = stamp.box
    where = f"stamps[{index}].box"
    if box.width < MIN_BOX_WIDTH or box.height < MIN_BOX_HEIGHT:
        raise InvalidInput(
            "A signature box is too small.",
            errors=[FieldError(where, f"at least {MIN_BOX_WIDTH:g} x {MIN_BOX_HEIGHT:g} points")],
        )
    tolerance = 0.5  # rounding in the template's layout
    if (
        box.left < -tolerance
        or box.top < -tolerance
        or box.left + box.width > page_width + tolerance
        or box.top + box.height > page_height + tolerance
    ):
        raise InvalidInput("A signature box lies outside its page.", errors=[FieldError(where, "outside the page")])
    if (stamp.drawn_png is None) == (stamp.typed_text is None):
        raise InvalidInput(
            "A stamp needs either a drawn image or a typed signature.",
            errors=[FieldError(f"stamps[{index}]", "exactly one of drawn_png and typed_text")],
        )
    # The stamp keeps clear of the box's border: ink touching the frame looks pasted on.
    pad = STAMP_PADDING
    width, height = box.width - 2 * pad, box.height - 2 * pad
    text_size = round(min(8.5, max(5.0, height * 0.11)), 2)
    mark_height = round(height - 3 * text_size * 1.15 - 2, 2)
    typed = stamp.typed_text or ""
    typed_size = round(min(mark_height * 0.72, width / max(1, len(typed)) * 1.9), 2)
    return {
        "lines": _lines(stamp, page_height) if stamp.fill_lines else [],
        "left": round(box.left + pad, 2),
        "top": round(box.top + pad, 2),
        "width": round(width, 2),
        "height": round(height, 2),
        "mark_height": mark_height,
        "text_size": text_size,
        "typed_size": typed_size,
        "typed_text": typed,
        "image_uri": _check_png(index, stamp.drawn_png) if stamp.drawn_png is not None else None,
        "name": stamp.signer_name,
        "title": stamp.signer_title,
        "signed_at": format_utc(stamp.signed_at),
    }


def long_date(moment: datetime) -> str:
    """Return the UTC calendar date of an aware time as the documents print dates: ``2 March 2026``."""
    day = moment.astimezone(UTC)
    return f"{day.day} {day.strftime('%B %Y')}"


def _lines(stamp: SignatureStamp, page_height: float) -> list[dict[str, object]]:
    """Place name, title and date on the Name/Title/Date lines under the box, after each label.

    The value sits in the lower part of its 6 mm line, above the rule; a line that would fall off
    the page (a layout without these lines) is left out rather than drawn over the footer.
    """
    box = stamp.box
    values = (stamp.signer_name, stamp.signer_title, long_date(stamp.signed_at))
    placed: list[dict[str, object]] = []
    height = 10.5
    for index, text in enumerate(values):
        line_top = box.top + box.height + index * SIG_LINE_HEIGHT
        top = line_top + SIG_LINE_HEIGHT - height - 1.0
        if not text or top + height > page_height:
            continue
        placed.append(
            {
                "left": round(box.left + SIG_LINE_LABEL_WIDTH, 2),
                "top": round(top, 2),
                "width": round(box.width - SIG_LINE_LABEL_WIDTH, 2),
                "height": height,
                "text": text,
            }
        )
    return placed


@dataclass
class SentDocument:
    """The sent PDF parsed once: its bytes and a writer over them, ready for the completing update."""

    pdf: bytes
    writer: IncrementalPdfFileWriter

    @classmethod
    def open(cls, sent_pdf: bytes) -> SentDocument:
        """Parse ``sent_pdf`` (``InvalidInput`` if it is no PDF)."""
        return cls(pdf=sent_pdf, writer=open_sent(sent_pdf))


def open_sent(sent_pdf: bytes) -> IncrementalPdfFileWriter:
    """Parse the sent document once, ready for an incremental update (``InvalidInput`` if it is no PDF)."""
    try:
        return IncrementalPdfFileWriter(BytesIO(sent_pdf), strict=False)
    except (PdfError, ValueError) as exc:
        raise InvalidInput("The sent document is not a readable PDF.", errors=[FieldError("pdf", str(exc))]) from exc


@dataclass(frozen=True)
class OverlayPlan:
    """Where the stamps of a document go: the stamped pages, their origins and the overlay sheets' values."""

    page_indices: list[int]
    origins: list[tuple[float, float]]
    sheets: list[dict[str, object]]


def plan_overlay(writer: IncrementalPdfFileWriter, stamps: Sequence[SignatureStamp]) -> OverlayPlan:
    """Check ``stamps`` against the document and lay out one overlay sheet per stamped page (no rendering)."""
    page_count = int(writer.root["/Pages"]["/Count"])
    by_page: dict[int, list[tuple[int, SignatureStamp]]] = {}
    for index, stamp in enumerate(stamps):
        if not 0 <= stamp.box.page_index < page_count:
            raise InvalidInput(
                "A signature box names a page the document does not have.",
                errors=[FieldError(f"stamps[{index}].box.page_index", f"0..{page_count - 1}")],
            )
        by_page.setdefault(stamp.box.page_index, []).append((index, stamp))
    page_indices = sorted(by_page)
    sheets: list[dict[str, object]] = []
    origins = []
    for page_index in page_indices:
        page_ref, _ = writer.find_page_for_modification(page_index)
        x0, y0, width, height = _page_size(page_ref.get_object())
        origins.append((x0, y0))
        sheets.append(
            {
                "width": round(width, 4),
                "height": round(height, 4),
                "stamps": [_layout(i, s, width, height) for i, s in by_page[page_index]],
            }
        )
    return OverlayPlan(page_indices=page_indices, origins=origins, sheets=sheets)


def paint_overlay(
    writer: IncrementalPdfFileWriter, plan: OverlayPlan, xobjects: Sequence[generic.IndirectObject]
) -> None:
    """Paint each overlay sheet (a form XObject, in ``plan`` order) over the page it was made for."""
    for sheet_index, page_index in enumerate(plan.page_indices):
        name = _free_xobject_name(writer, page_index)
        x0, y0 = plan.origins[sheet_index]
        # Wrap the original content in q/Q so a transform it leaves active cannot move the stamps.
        writer.add_stream_to_page(page_index, writer.add_object(generic.StreamObject(stream_data=b"q")), prepend=True)
        writer.add_stream_to_page(page_index, writer.add_object(generic.StreamObject(stream_data=b"Q")))
        paint = b"q 1 0 0 1 %.4f %.4f cm /%s Do Q" % (x0, y0, name.encode("ascii"))
        resources = generic.DictionaryObject(
            {pdf_name("/XObject"): generic.DictionaryObject({pdf_name("/" + name): xobjects[sheet_index]})}
        )
        writer.add_stream_to_page(page_index, writer.add_object(generic.StreamObject(stream_data=paint)), resources)


def overlay_context(plan: OverlayPlan) -> dict[str, object]:
    """Return the template values of the overlay sheets of ``plan`` (:data:`OVERLAY_STYLE`, :data:`OVERLAY_SHEETS`)."""
    return {"sheets": plan.sheets, "script_font": SCRIPT_FONT_FAMILY}


class Stamper:
    """Adds signature stamps and appended pages to a sent PDF in one incremental update."""

    def __init__(self, font_config: FontConfiguration | None = None) -> None:
        self._pages = HtmlPageWriter(font_config)

    def apply(
        self,
        sent_pdf: bytes,
        stamps: Sequence[SignatureStamp],
        *,
        append_pdf: bytes | None = None,
    ) -> bytes:
        """Return ``sent_pdf`` + one revision holding ``stamps`` and the pages of ``append_pdf``.

        The returned bytes start with ``sent_pdf`` unchanged.
        """
        return self.apply_to(open_sent(sent_pdf), stamps, append_pdf=append_pdf)

    def apply_to(
        self,
        writer: IncrementalPdfFileWriter,
        stamps: Sequence[SignatureStamp],
        *,
        append_pdf: bytes | None = None,
    ) -> bytes:
        """Like :meth:`apply`, on a sent document already opened with :func:`open_sent` (parsed once)."""
        if stamps:
            plan = plan_overlay(writer, stamps)
            overlay_pdf = self._pages.write_pdf(_OVERLAY, overlay_context(plan), identifier=b"undersign-stamps")
            overlay = PdfFileReader(BytesIO(overlay_pdf))
            xobjects = [writer.import_page_as_xobject(overlay, page_ix=i) for i in range(len(plan.page_indices))]
            paint_overlay(writer, plan, xobjects)
        if append_pdf is not None:
            graft_pages(writer, append_pdf)
        keep_pdfa(writer)
        out = BytesIO()
        writer.write(out)
        return out.getvalue()


def _free_xobject_name(writer: IncrementalPdfFileWriter, page_index: int) -> str:
    _, resources_ref = writer.find_page_for_modification(page_index)
    resources = resources_ref.get_object() if resources_ref is not None else generic.DictionaryObject()
    existing = resources.get("/XObject", generic.DictionaryObject())
    existing = existing.get_object() if hasattr(existing, "get_object") else existing
    n = 0
    while f"/{_XOBJECT_PREFIX}{n}" in existing:
        n += 1
    return f"{_XOBJECT_PREFIX}{n}"


_CARRIED = "/UndersignOverlays"


def graft_pages(writer: IncrementalPdfFileWriter, pdf: bytes, *, forms: int = 0) -> list[generic.IndirectObject]:
    """Append the pages of ``pdf`` but its last ``forms``, and return those last pages as form XObjects.

    Everything is imported in one call, so fonts and images the appended pages and the XObjects share
    are copied once. The appended pages form a subtree under the document's page tree root, with an
    explicit /Rotate and /CropBox so they do not inherit the host document's values. A page turned
    into an XObject keeps its content stream (now a form of the page's size) and its resources.
    """
    source = PdfFileReader(BytesIO(pdf))
    tree = source.root["/Pages"]
    kids = list(tree["/Kids"])
    # WeasyPrint writes a flat page tree: every kid is a page.
    keep = len(kids) - forms
    if not 0 < keep <= len(kids):
        raise ValueError(f"cannot keep {forms} of {len(kids)} pages as forms and append the rest")
    carry = generic.ArrayObject()
    for kid in kids[keep:]:
        page = kid.get_object()
        carry.append(
            generic.DictionaryObject(
                {
                    pdf_name("/Contents"): page.raw_get("/Contents"),
                    pdf_name("/Resources"): page.raw_get("/Resources"),
                    pdf_name("/BBox"): page["/MediaBox"],
                }
            )
        )
    # The parsed tree is edited in memory only: it lists the pages to append, and carries the pages to
    # turn into XObjects, so that one import copies both (and what they share once).
    tree[pdf_name("/Kids")] = generic.ArrayObject(kids[:keep])
    tree[pdf_name("/Count")] = generic.NumberObject(keep)
    tree[pdf_name(_CARRIED)] = carry
    subtree_ref = writer.import_object(source.root.raw_get("/Pages"))
    assert isinstance(subtree_ref, generic.IndirectObject)  # a reference imports as a reference
    subtree = subtree_ref.get_object()
    carried = subtree.pop(_CARRIED)
    xobjects = [_as_form(writer, form) for form in carried]
    _attach_subtree(writer, subtree_ref)
    return xobjects


def _as_form(writer: IncrementalPdfFileWriter, form: generic.DictionaryObject) -> generic.IndirectObject:
    """Turn an imported page's content stream into a form XObject with the page's resources and box."""
    contents = form["/Contents"]
    if isinstance(contents, generic.ArrayObject):
        stream = generic.StreamObject(stream_data=b"".join(part.get_object().data for part in contents))
        stream.compress()
        ref = writer.add_object(stream)
    else:
        ref = form.raw_get("/Contents")
    stream = ref.get_object()
    stream[pdf_name("/Type")] = pdf_name("/XObject")
    stream[pdf_name("/Subtype")] = pdf_name("/Form")
    stream[pdf_name("/BBox")] = form["/BBox"]
    stream[pdf_name("/Resources")] = form.raw_get("/Resources")
    return ref


def _attach_subtree(writer: IncrementalPdfFileWriter, subtree_ref: generic.IndirectObject) -> None:
    """Hang an imported page tree under the document's page tree root, after the existing pages."""
    root_pages_ref = writer.root.raw_get("/Pages")
    root_pages = root_pages_ref.get_object()
    subtree = subtree_ref.get_object()
    subtree[pdf_name("/Parent")] = root_pages_ref
    subtree[pdf_name("/Rotate")] = generic.NumberObject(0)
    for kid in subtree["/Kids"]:
        page = kid.get_object()
        if "/CropBox" not in page and "/MediaBox" in page:
            page[pdf_name("/CropBox")] = page["/MediaBox"]
    kids = root_pages["/Kids"]
    kids.append(subtree_ref)
    root_pages[pdf_name("/Count")] = generic.NumberObject(int(root_pages["/Count"]) + int(subtree["/Count"]))
    writer.update_container(kids)
    writer.update_container(root_pages)
