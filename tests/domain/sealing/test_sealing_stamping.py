"""Tests for stamping signatures into their boxes and appending pages as an incremental update."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from weasyprint.text.fonts import FontConfiguration

from domain.errors import InvalidInput
from domain.sealing.completion_certificate import CertificateRenderer, CompletionRecord
from domain.sealing.html_pages import DataOnlyFetcher
from domain.sealing.stamping import SignatureBox, SignatureStamp, Stamper
from domain.sealing.verify import first_revision


@pytest.fixture(scope="module")
def stamper(font_config: FontConfiguration) -> Stamper:
    """A stamper sharing the run's font configuration."""
    return Stamper(font_config)


@pytest.fixture(scope="module")
def certificate_pdf(font_config: FontConfiguration, record: CompletionRecord) -> bytes:
    """The certificate of completion of the fixture envelope."""
    return CertificateRenderer(font_config).render(record)


@pytest.fixture(scope="module")
def stamped(stamper: Stamper, sent_pdf: bytes, stamps: tuple[SignatureStamp, ...], certificate_pdf: bytes) -> bytes:
    """The sent PDF with both stamps and the certificate appended."""
    return stamper.apply(sent_pdf, stamps, append_pdf=certificate_pdf)


def _write(tmp_path: Path, data: bytes, name: str = "out.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


class TestIncrementalUpdate:
    def test_sent_bytes_are_the_exact_prefix(self, stamped: bytes, sent_pdf: bytes) -> None:
        """The stamped file starts with every byte of the sent file, unchanged."""
        assert stamped.startswith(sent_pdf)
        assert len(stamped) > len(sent_pdf)

    def test_revision_one_is_the_sent_document(self, stamped: bytes, sent_pdf: bytes) -> None:
        """Cutting revision 1 along the xref structure gives back the sent bytes."""
        assert first_revision(stamped) == sent_pdf

    def test_one_new_revision_is_added(self, stamped: bytes) -> None:
        """Stamps and certificate go into one single incremental update."""
        assert PdfFileReader(BytesIO(stamped)).xrefs.total_revisions == 2

    def test_certificate_pages_follow_the_document(
        self, stamped: bytes, sent_pdf: bytes, certificate_pdf: bytes, tmp_path: Path, pdftext: Callable[..., str]
    ) -> None:
        """Page count grows by the certificate's pages and the last page is the certificate."""
        sent_pages = int(PdfFileReader(BytesIO(sent_pdf)).root["/Pages"]["/Count"])
        cert_pages = int(PdfFileReader(BytesIO(certificate_pdf)).root["/Pages"]["/Count"])
        reader = PdfFileReader(BytesIO(stamped))
        assert int(reader.root["/Pages"]["/Count"]) == sent_pages + cert_pages
        path = _write(tmp_path, stamped)
        assert "Certificate of completion" in pdftext(path, page=sent_pages + 1)
        assert "Schedule A" in pdftext(path, page=sent_pages)

    def test_qpdf_finds_no_structural_errors(
        self, stamped: bytes, tmp_path: Path, qpdf_check: Callable[[Path], subprocess.CompletedProcess[str]]
    ) -> None:
        """Qpdf --check accepts the stamped file."""
        result = qpdf_check(_write(tmp_path, stamped))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "No syntax or stream encoding errors" in result.stdout

    def test_without_stamps_only_pages_are_appended(
        self, stamper: Stamper, sent_pdf: bytes, certificate_pdf: bytes
    ) -> None:
        """An envelope with no boxes still gets its certificate appended after the sent bytes."""
        out = stamper.apply(sent_pdf, [], append_pdf=certificate_pdf)
        assert out.startswith(sent_pdf)
        assert int(PdfFileReader(BytesIO(out)).root["/Pages"]["/Count"]) > 2


class TestStampPlacement:
    def test_each_signer_lands_in_its_own_box(
        self, stamped: bytes, stamps: tuple[SignatureStamp, ...], tmp_path: Path, pdftext: Callable[..., str]
    ) -> None:
        """Text cropped to each box holds that signer's name, title and time, not the other signer's."""
        path = _write(tmp_path, stamped)
        client_box, msp_box = stamps[0].box, stamps[1].box
        client_text = pdftext(path, page=1, crop=client_box)
        msp_text = pdftext(path, page=1, crop=msp_box)
        assert "Alice Client" in client_text and "Chief Executive" in client_text
        assert "Bob Provider" not in client_text
        assert "Bob Provider" in msp_text and "Managing Director" in msp_text
        assert stamps[1].signed_at.strftime("%Y-%m-%d %H:%M:%S UTC") in msp_text.replace("\n", " ")

    def test_nothing_is_drawn_outside_the_boxes(
        self, stamped: bytes, tmp_path: Path, pdftext: Callable[..., str]
    ) -> None:
        """The band above the boxes holds no stamp text."""
        above = SignatureBox(page_index=0, left=0, top=300, width=595, height=200)
        assert "Alice" not in pdftext(_write(tmp_path, stamped), page=1, crop=above)

    def test_typed_signature_uses_the_script_font(self, stamped: bytes, tmp_path: Path) -> None:
        """The typed signature is set in Dancing Script, embedded in the file."""
        if shutil.which("pdffonts") is None:
            pytest.skip("pdffonts (poppler-utils) is not installed")
        fc = subprocess.run(["fc-list", "Dancing Script"], capture_output=True, text=True, check=False)
        if not fc.stdout.strip():
            pytest.skip("fonts-dancingscript is not installed")
        fonts = subprocess.run(
            ["pdffonts", "-f", "1", "-l", "1", str(_write(tmp_path, stamped))],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "Dancing-Script" in fonts

    def test_drawn_signature_is_embedded_as_an_image(self, stamped: bytes, sent_pdf: bytes, tmp_path: Path) -> None:
        """Page 1 gains an image (the drawn signature) that the sent page did not have."""
        if shutil.which("pdfimages") is None:
            pytest.skip("pdfimages (poppler-utils) is not installed")

        def images(data: bytes, name: str) -> int:
            listing = subprocess.run(
                ["pdfimages", "-list", "-f", "1", "-l", "1", str(_write(tmp_path, data, name))],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            return len(listing.strip().splitlines()) - 2

        assert images(sent_pdf, "sent.pdf") == 0
        assert images(stamped, "stamped.pdf") >= 1

    def test_markup_in_names_is_shown_not_interpreted(
        self,
        stamper: Stamper,
        sent_pdf: bytes,
        stamps: tuple[SignatureStamp, ...],
        tmp_path: Path,
        pdftext: Callable[..., str],
    ) -> None:
        """A name containing HTML is printed literally, and control characters are dropped."""
        hostile = replace(stamps[0], signer_name="<b>Eve</b> & <img src='file:///etc/passwd'>\x07")
        out = stamper.apply(sent_pdf, [hostile])
        text = pdftext(_write(tmp_path, out), page=1, crop=hostile.box)
        assert "<b>Eve</b> &" in text
        assert "\x07" not in text


class TestStampValidation:
    @pytest.mark.parametrize(
        "box",
        [
            SignatureBox(page_index=0, left=500, top=520, width=220, height=90),
            SignatureBox(page_index=0, left=60, top=800, width=220, height=90),
            SignatureBox(page_index=0, left=-20, top=520, width=220, height=90),
        ],
    )
    def test_box_outside_the_page_is_refused(
        self, stamper: Stamper, sent_pdf: bytes, stamps: tuple[SignatureStamp, ...], box: SignatureBox
    ) -> None:
        """A box that sticks out of its page is refused."""
        with pytest.raises(InvalidInput, match="outside"):
            stamper.apply(sent_pdf, [replace(stamps[0], box=box)])

    def test_box_too_small_is_refused(
        self, stamper: Stamper, sent_pdf: bytes, stamps: tuple[SignatureStamp, ...]
    ) -> None:
        """A box too small to hold a legible signature is refused."""
        with pytest.raises(InvalidInput, match="too small"):
            stamper.apply(sent_pdf, [replace(stamps[0], box=replace(stamps[0].box, height=20))])

    def test_missing_page_is_refused(
        self, stamper: Stamper, sent_pdf: bytes, stamps: tuple[SignatureStamp, ...]
    ) -> None:
        """A box on a page the document does not have is refused."""
        with pytest.raises(InvalidInput, match="page"):
            stamper.apply(sent_pdf, [replace(stamps[0], box=replace(stamps[0].box, page_index=2))])

    @pytest.mark.parametrize("both", [True, False])
    def test_exactly_one_of_image_and_text(
        self, stamper: Stamper, sent_pdf: bytes, stamps: tuple[SignatureStamp, ...], signature_png: bytes, both: bool
    ) -> None:
        """A stamp with both an image and typed text, or neither, is refused."""
        stamp = replace(stamps[0], drawn_png=signature_png if both else None, typed_text="A" if both else None)
        with pytest.raises(InvalidInput, match="either"):
            stamper.apply(sent_pdf, [stamp])

    @pytest.mark.parametrize("data", [b"GIF89a not a png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
    def test_bad_png_is_refused(
        self, stamper: Stamper, sent_pdf: bytes, stamps: tuple[SignatureStamp, ...], data: bytes
    ) -> None:
        """A drawn signature that is not a valid PNG is refused instead of silently left out."""
        with pytest.raises(InvalidInput):
            stamper.apply(sent_pdf, [replace(stamps[1], drawn_png=data)])

    def test_not_a_pdf_is_refused(self, stamper: Stamper, stamps: tuple[SignatureStamp, ...]) -> None:
        """Bytes that are not a PDF are InvalidInput."""
        with pytest.raises(InvalidInput, match="not a readable PDF"):
            stamper.apply(b"%PDF-1.7 garbage", list(stamps))


class TestDataOnlyFetcher:
    @pytest.mark.parametrize("url", ["file:///etc/hostname", "http://127.0.0.1:9/x.png", "https://example.org/"])
    def test_other_schemes_are_refused(self, url: str) -> None:
        """The fetcher refuses file, http and https URLs."""
        with pytest.raises(ValueError, match="disallowed protocol"):
            DataOnlyFetcher().fetch(url)

    def test_data_urls_are_served(self) -> None:
        """A data: URL is decoded locally."""
        response = DataOnlyFetcher().fetch("data:text/plain;base64,aGk=")
        assert response.read() == b"hi"


class TestStampFitsItsBox:
    def test_stamp_text_sits_inside_the_box_with_padding(
        self, stamped: bytes, stamps: tuple[SignatureStamp, ...]
    ) -> None:
        """Every word pdftotext finds in a stamp lies inside its box, at least 3 pt from each edge."""
        from lxml import etree

        xhtml = subprocess.run(
            ["pdftotext", "-bbox", "-f", "1", "-l", "1", "-", "-"], input=stamped, capture_output=True, check=True
        ).stdout
        words: list[tuple[str, float, float, float, float]] = [
            (w.text or "", *(float(w.get(k) or 0) for k in ("xMin", "yMin", "xMax", "yMax")))  # type: ignore[misc]
            for w in etree.fromstring(xhtml, parser=etree.XMLParser(recover=True)).iter("{*}word")
        ]
        for stamp in stamps:
            box = stamp.box
            inside = [w for w in words if w[0] in stamp.signer_title.split()]
            inside = [w for w in inside if box.left - 20 < w[1] < box.left + box.width + 20 and box.top - 20 < w[2]]
            assert inside, f"no stamp text for {stamp.signer_name}"
            for _text, x0, y0, x1, y1 in inside:
                assert box.left + 3 <= x0 and x1 <= box.left + box.width - 3
                assert box.top + 3 <= y0 and y1 <= box.top + box.height - 3
