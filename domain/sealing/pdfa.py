"""Keeping a PDF/A-3b document PDF/A-3b through the incremental updates that seal it.

The sent document is rendered as PDF/A-3b (PDF 1.7, XMP ``pdfaid`` part 3 conformance B, the input
data attached and listed in the catalog's ``/AF``). Stamps, the certificate, the seal and the
timestamps are appended as incremental updates written by pyHanko, which would otherwise break
conformance in three ways this module undoes, in the update itself (revision 1 stays byte for byte
the sent file):

- an ECDSA seal makes pyHanko declare ISO/TS 32002 and raise the catalog ``/Version`` to 2.0, which
  PDF/A-3 (based on PDF 1.7) does not allow; PAdES itself (the ESIC extension) is declared instead;
- pyHanko writes ``pyHanko <version>`` as the XMP ``pdf:Producer`` but appends it to the Info
  ``/Producer``; PDF/A requires both to agree, so the Info entry is set to the same value;
- the renderer lists the attached input twice in ``/AF``; the update lists each file once.

:func:`pdfa_facts` reads the facts back for tests and verifiers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.reader import PdfFileReader

_HEADER = re.compile(rb"^%PDF-(\d\.\d)")
_PRODUCER_ATTR = re.compile(r'pdf:Producer="([^"]*)"|<pdf:Producer>([^<]*)</pdf:Producer>')
_PART = re.compile(r'pdfaid:part="?(\d)|<pdfaid:part>(\d)</pdfaid:part>')
_CONFORMANCE = re.compile(r'pdfaid:conformance="?([A-Za-z])|<pdfaid:conformance>([A-Za-z])</pdfaid:conformance>')


def keep_pdfa(writer: IncrementalPdfFileWriter) -> None:
    """Make the update ``writer`` is about to write keep the file's PDF/A-3b metadata consistent."""
    root = writer.root
    if "/AF" in root:
        listed = root.raw_get("/AF")
        entries = listed.get_object() if isinstance(listed, generic.IndirectObject) else listed
        unique = generic.ArrayObject()
        seen: set[object] = set()
        for item in entries:
            key = item.reference if isinstance(item, generic.IndirectObject) else id(item)
            if key not in seen:
                seen.add(key)
                unique.append(item)
        if len(unique) != len(entries):
            root["/AF"] = unique
            writer.update_root()
    try:
        info_ref = writer.trailer.raw_get("/Info")
    except KeyError:
        return
    if isinstance(info_ref, generic.IndirectObject):
        info = info_ref.get_object()
        if info.get("/Producer") != VENDOR:
            # pyHanko writes exactly VENDOR into the XMP; the Info entry must say the same (PDF/A 6.7.3).
            info["/Producer"] = generic.TextStringObject(VENDOR)
            writer.mark_update(info_ref)


@dataclass(frozen=True)
class PdfaFacts:
    """What a PDF/A-3b checker looks at first: version, the two producers, the PDF/A id, ``/AF``."""

    header_version: str
    catalog_version: str | None
    info_producer: str | None
    xmp_producer: str | None
    pdfa_part: str | None
    pdfa_conformance: str | None
    af_entries: int
    af_unique: int
    embedded_files: int

    @property
    def problems(self) -> list[str]:
        """Return every way the facts fall short of a consistent PDF/A-3b file of PDF 1.7."""
        out = []
        if self.header_version != "1.7":
            out.append(f"header declares PDF {self.header_version}")
        if self.catalog_version not in (None, "1.7"):
            out.append(f"catalog declares PDF {self.catalog_version}")
        if (self.pdfa_part, (self.pdfa_conformance or "").upper()) != ("3", "B"):
            out.append(f"XMP declares PDF/A-{self.pdfa_part}{self.pdfa_conformance}")
        if self.info_producer != self.xmp_producer:
            out.append(f"Info producer {self.info_producer!r} differs from XMP producer {self.xmp_producer!r}")
        if self.af_entries != self.af_unique:
            out.append(f"/AF lists {self.af_entries} entries for {self.af_unique} files")
        if self.embedded_files and self.af_unique != self.embedded_files:
            out.append(f"/AF lists {self.af_unique} of {self.embedded_files} embedded files")
        return out


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    found = pattern.search(text)
    return next((g for g in found.groups() if g is not None), None) if found else None


def pdfa_facts(pdf: bytes) -> PdfaFacts:
    """Read the PDF/A-relevant facts of the file's latest revision."""
    header = _HEADER.match(pdf)
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    root = reader.root
    version = root.get("/Version")
    xmp = root["/Metadata"].get_object().data.decode("utf-8", "replace") if "/Metadata" in root else ""
    info = reader.trailer["/Info"] if "/Info" in reader.trailer else {}  # noqa: SIM401 - [] dereferences, get does not
    af = list(root.get("/AF", []))
    refs = {item.reference if isinstance(item, generic.IndirectObject) else id(item) for item in af}
    names: list[object] = []
    if "/Names" in root and "/EmbeddedFiles" in root["/Names"]:
        # A flat name tree (what the renderer writes); kids would only appear with many attachments.
        names = list(root["/Names"]["/EmbeddedFiles"].get("/Names", []))
    return PdfaFacts(
        header_version=header.group(1).decode() if header else "?",
        catalog_version=str(version).lstrip("/") if version is not None else None,
        info_producer=str(info["/Producer"]) if "/Producer" in info else None,
        xmp_producer=_first(_PRODUCER_ATTR, xmp),
        pdfa_part=_first(_PART, xmp),
        pdfa_conformance=_first(_CONFORMANCE, xmp),
        af_entries=len(af),
        af_unique=len(refs),
        embedded_files=len(names) // 2,
    )
