"""Drawn signatures: decode the PNG a signer's browser sends within fixed limits, then re-encode it.

The image comes from the public internet, so it is judged before any pixel is decoded: at most
``MAX_BYTES`` of PNG, and a header that declares at most ``MAX_WIDTH`` x ``MAX_HEIGHT`` pixels (a
32 KB PNG can declare 12000 x 12000 pixels, which took sealing to 26 s and 1.3 GiB). What passes
is decoded, scaled down to the size a stamp prints (``STAMP_BOX``) and written again as a plain
RGBA PNG: the stored and stamped image is ours, with no metadata chunks, extra frames or
trailing bytes from the sender.
"""

from __future__ import annotations

import io
import struct
import warnings

from PIL import Image, UnidentifiedImageError

MAX_BYTES = 1024 * 1024
MAX_WIDTH = 3000  # a phone-wide canvas at device pixel ratio 3 is about 2500 px
MAX_HEIGHT = 1000
STAMP_BOX = (1200, 400)
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class SignatureImageError(ValueError):
    """The drawing cannot be used; the message says why in words a signer understands."""


def normalise_drawn_signature(data: bytes) -> bytes:
    """Return ``data`` (a PNG) decoded within the limits and re-encoded; raise ``SignatureImageError``."""
    if len(data) > MAX_BYTES:
        raise SignatureImageError(f"the drawing is too large (over {MAX_BYTES // 1024} KB); clear it and draw again")
    if not data.startswith(_PNG_MAGIC):
        raise SignatureImageError("the drawing did not arrive as a PNG image; clear it and draw again")
    # The first chunk of a PNG must be IHDR, whose first 8 bytes are the width and height: judge
    # them before Pillow sees the file, so no pixel of an oversized image is ever decoded.
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise SignatureImageError("the drawing could not be read; clear it and draw again")
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= MAX_WIDTH and 0 < height <= MAX_HEIGHT):
        raise SignatureImageError(
            f"the drawing is {width} x {height} pixels; at most {MAX_WIDTH} x {MAX_HEIGHT} is accepted"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                if image.size != (width, height):
                    raise SignatureImageError("the drawing could not be read; clear it and draw again")
                image.load()
                drawn = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning):
        raise SignatureImageError("the drawing could not be read; clear it and draw again") from None
    return _shrunk_png(drawn, STAMP_BOX, "the drawing is empty; draw your signature in the box")


def _shrunk_png(picture: Image.Image, box: tuple[int, int], empty: str) -> bytes:
    """Return ``picture`` scaled down to fit ``box`` as a plain PNG; refuse a blank one with ``empty``."""
    if picture.getbbox() is None:
        raise SignatureImageError(empty)
    picture.thumbnail(box)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


#: A facsimile signature prints about 12 mm high above a notice's sender name: 600 x 200 px is ample.
FACSIMILE_BOX = (600, 200)
_JPEG_MAGIC = b"\xff\xd8\xff"


def normalise_facsimile(data: bytes) -> bytes:
    """Return the MSP's facsimile signature (PNG or JPEG) checked within the drawn-signature limits, as PNG.

    The same limits as a signer's drawing apply (``MAX_BYTES``, ``MAX_WIDTH`` x ``MAX_HEIGHT``, judged
    from the header before any pixel is decoded); the result is scaled to ``FACSIMILE_BOX`` and
    re-encoded, so a notice embeds a small image of ours. Raises ``SignatureImageError``.
    """
    if len(data) > MAX_BYTES:
        raise SignatureImageError(f"the signature image is over {MAX_BYTES // 1024} KB")
    if data.startswith(_PNG_MAGIC):
        kind = "PNG"
    elif data.startswith(_JPEG_MAGIC):
        kind = "JPEG"
    else:
        raise SignatureImageError("the signature image must be a PNG or JPEG file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Opening reads only the header; the size is judged before load() decodes any pixel.
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                width, height = image.size
                if not (0 < width <= MAX_WIDTH and 0 < height <= MAX_HEIGHT):
                    raise SignatureImageError(
                        f"the signature image is {width} x {height} pixels; at most {MAX_WIDTH} x {MAX_HEIGHT}"
                    )
                image.load()
                picture = image.convert("RGBA")
    except SignatureImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise SignatureImageError(
            f"the signature image has too many pixels; at most {MAX_WIDTH} x {MAX_HEIGHT}"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Warning):
        raise SignatureImageError("the signature image could not be read") from None
    return _shrunk_png(picture, FACSIMILE_BOX, "the signature image is empty (fully transparent)")
