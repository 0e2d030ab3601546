"""Benchmark: judging a drawn signature against decoding it with Pillow alone.

Two inputs: a typical canvas (2400 x 540 px, a phone at 3x) and a hostile PNG that declares
8000 x 8000 px in a few KB. For each, ``normalise_drawn_signature`` (header check, bounded decode,
scale, re-encode) is timed against the raw library (``Image.open(...).load()``), and the ratio
printed. The hostile one is refused from its header, so its ratio shows what the check saves.

    .venv/bin/python bench/bench_signature_image.py
"""

from __future__ import annotations

import contextlib
import functools
import io
import statistics
import struct
import time
import zlib
from collections.abc import Callable

from PIL import Image, ImageDraw

from domain.signature_image import SignatureImageError, normalise_drawn_signature


def canvas(width: int, height: int) -> bytes:
    """A scribble like the signing page's canvas produces."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(20, height - 20), (width // 2, 30), (width - 20, height - 40)], fill="navy", width=9)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def bomb(width: int, height: int) -> bytes:
    """A valid grey PNG of zeros: a few KB that decode to ``width * height`` bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(b"\x00" * (width + 1)) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def timed(action: Callable[[], object], runs: int) -> float:
    """Return the median seconds of ``runs`` calls of ``action``."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def pillow_decode(data: bytes) -> None:
    """What the raw library does with the bytes: open and decode every pixel."""
    Image.MAX_IMAGE_PIXELS = None  # the raw library as an unguarded caller uses it
    with Image.open(io.BytesIO(data)) as image:
        image.load()


def ours(data: bytes) -> None:
    """Our path: judged, decoded within limits, re-encoded (or refused)."""
    with contextlib.suppress(SignatureImageError):
        normalise_drawn_signature(data)


def main() -> None:
    """Print the timings and ratios."""
    for label, data, runs in (("canvas 2400x540", canvas(2400, 540), 9), ("hostile 8000x8000", bomb(8000, 8000), 3)):
        raw = timed(functools.partial(pillow_decode, data), runs)
        mine = timed(functools.partial(ours, data), runs)
        print(
            f"{label:18} {len(data) / 1024:8.1f} KB  pillow decode {raw * 1000:8.1f} ms  "
            f"normalise {mine * 1000:8.2f} ms  ratio {mine / raw:6.3f}x"
        )


if __name__ == "__main__":
    main()
