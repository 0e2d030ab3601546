"""The lines of an imported text file, decoded one by one so that one bad line does not sink the file.

A CSV export edited in a spreadsheet often gains a row in Latin-1 or Windows-1252 among UTF-8 ones.
Decoding the whole file at once fails on that one byte and imports nothing (with a traceback);
decoding each line keeps every good row and reports the bad one by its line number, with the
position of the first byte that is not UTF-8, so the person can fix exactly that line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

_BOM = b"\xef\xbb\xbf"


@dataclass
class DecodedLines:
    """The good lines as (line number, text), and the (line number, reason) of each line that is not UTF-8."""

    good: list[tuple[int, str]] = field(default_factory=list)
    bad: list[tuple[int, str]] = field(default_factory=list)
    # The number of the physical line most recently handed out by ``iterate``.
    current: int = 0

    def text(self) -> str:
        """Return the file with each bad line left empty, so a CSV reader keeps the true line numbers."""
        good = dict(self.good)
        last = max([n for n, _ in self.good] + [n for n, _ in self.bad], default=0)
        return "".join(good.get(number, "\n") for number in range(1, last + 1))

    def iterate(self) -> Iterator[str]:
        """Yield the good lines in order (with their line endings), noting each one's number in ``current``."""
        for number, text in self.good:
            self.current = number
            yield text


def decode_lines(data: bytes) -> DecodedLines:
    """Split ``data`` into lines and decode each as UTF-8 (a leading byte-order mark is dropped)."""
    result = DecodedLines()
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
        try:
            result.good.append((number, raw.decode("utf-8")))
        except UnicodeDecodeError as exc:
            result.bad.append(
                (
                    number,
                    f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); "
                    "save the file as UTF-8 and import it again",
                )
            )
    return result
