"""Rules for free text that ends up in legal documents and audit records.

Control characters are refused rather than stripped: a value that carries them was not typed by a
person, and silently changing what a client sent would change the record. Line breaks and tabs are
allowed only where a field is multi-line.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_MULTI_LINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def single_line(value: str) -> str:
    """Return ``value`` NFC-normalised, refusing control characters and line breaks."""
    if _CONTROL_SINGLE_LINE.search(value):
        raise ValueError("must not contain control characters or line breaks")
    return unicodedata.normalize("NFC", value)


def multi_line(value: str) -> str:
    """Return ``value`` NFC-normalised, refusing control characters other than tab and newline."""
    if _CONTROL_MULTI_LINE.search(value):
        raise ValueError("must not contain control characters")
    return unicodedata.normalize("NFC", value.replace("\r\n", "\n"))


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(single_line),
    AfterValidator(_not_blank),
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(single_line)]
LongText = Annotated[str, StringConstraints(max_length=5000), AfterValidator(multi_line)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000), AfterValidator(multi_line)]
