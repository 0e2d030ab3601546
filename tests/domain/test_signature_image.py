"""Drawn signatures are decoded within limits and re-encoded; hostile PNGs are refused before decoding."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, ImageDraw

from domain.signature_image import (
    FACSIMILE_BOX,
    MAX_BYTES,
    STAMP_BOX,
    SignatureImageError,
    normalise_drawn_signature,
    normalise_facsimile,
)


def _png(width: int, height: int, *, scribble: bool = True, mode: str = "RGBA") -> bytes:
    image = Image.new(mode, (width, height), (0, 0, 0, 0) if mode == "RGBA" else 0)
    if scribble:
        ImageDraw.Draw(image).line([(5, height - 5), (width - 5, 5)], fill=(10, 20, 90, 255), width=4)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=None)
    return out.getvalue()


def _bomb(width: int, height: int) -> bytes:
    """A valid PNG of ``width`` x ``height`` grey pixels, all zero: tiny on disk, huge decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


class TestRefused:
    def test_huge_dimensions_are_refused_from_the_header_without_decoding(self) -> None:
        """A 12000 x 12000 PNG of a few KB is refused by the size its header declares."""
        bomb = _bomb(12000, 12000)
        assert len(bomb) < 200_000
        with pytest.raises(SignatureImageError, match="12000 x 12000 pixels"):
            normalise_drawn_signature(bomb)

    @pytest.mark.parametrize(
        ("data", "words"),
        [
            (b"GIF89a" + b"\x00" * 100, "PNG"),
            (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "could not be read"),
            (b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_BYTES, "too large"),
        ],
    )
    def test_not_a_usable_png_is_refused_in_plain_words(self, data: bytes, words: str) -> None:
        """Another format, garbage after the PNG magic, and oversized uploads each get a plain reason."""
        with pytest.raises(SignatureImageError, match=words):
            normalise_drawn_signature(data)

    def test_empty_drawing_is_refused(self) -> None:
        """A transparent canvas with no stroke is not a signature."""
        with pytest.raises(SignatureImageError, match="empty"):
            normalise_drawn_signature(_png(400, 120, scribble=False))


class TestReencoded:
    def test_large_canvas_is_scaled_into_the_stamp_box_and_rewritten(self) -> None:
        """A 2400 x 540 drawing (a phone at 3x) comes back as a fresh RGBA PNG no larger than the stamp box."""
        source = _png(2400, 540)
        out = normalise_drawn_signature(source + b"trailing bytes from the sender")
        with Image.open(io.BytesIO(out)) as image:
            assert image.format == "PNG" and image.mode == "RGBA"
            assert image.width <= STAMP_BOX[0] and image.height <= STAMP_BOX[1]
            assert image.getbbox() is not None
        assert not out.endswith(b"trailing bytes from the sender")


def _jpeg(width: int, height: int) -> bytes:
    image = Image.new("RGB", (width, height), (255, 255, 255))
    ImageDraw.Draw(image).line([(5, height - 5), (width - 5, 5)], fill=(10, 20, 90), width=6)
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


class TestFacsimile:
    def test_a_scanned_jpeg_becomes_a_small_png(self) -> None:
        """A 2400 x 800 JPEG scan is accepted and re-encoded as a PNG within the facsimile box."""
        out = normalise_facsimile(_jpeg(2400, 800))
        with Image.open(io.BytesIO(out)) as image:
            assert image.format == "PNG"
            assert image.width <= FACSIMILE_BOX[0] and image.height <= FACSIMILE_BOX[1]

    def test_the_drawn_signature_limits_apply(self) -> None:
        """A JPEG wider than a drawn signature may be, a bomb PNG, an empty PNG and a GIF are all refused."""
        with pytest.raises(SignatureImageError, match="3001 x 20 pixels"):
            normalise_facsimile(_jpeg(3001, 20))
        with pytest.raises(SignatureImageError, match="pixels"):
            normalise_facsimile(_bomb(12000, 12000))
        with pytest.raises(SignatureImageError, match="empty"):
            normalise_facsimile(_png(300, 100, scribble=False))
        with pytest.raises(SignatureImageError, match="PNG or JPEG"):
            normalise_facsimile(b"GIF89a" + b"\x00" * 20)
        with pytest.raises(SignatureImageError, match="KB"):
            normalise_facsimile(b"\xff\xd8\xff" + b"\x00" * MAX_BYTES)
