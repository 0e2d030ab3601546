"""Rules for free text that ends up in legal documents, e-mails and audit records.

Every string a person types (client and contact names, signer names and titles, envelope messages,
reasons, typed signatures, CSV fields) passes through one of the types below. They:

- refuse control characters (C0, C1, DEL) rather than strip them: a value that carries them was
  not typed by a person, and silently changing what a client sent would change the record;
- refuse invisible format characters: bidirectional overrides, embeddings and isolates (a PDF
  could print ``evil.exe`` as ``exe.live``, a name other than the one stored), zero-width spaces,
  soft hyphens, word joiners, byte-order marks and tag characters. The zero-width joiner and
  non-joiner stay allowed: Persian, Indic scripts and emoji need them;
- refuse lone surrogates and private-use characters (they cannot be stored as UTF-8 or printed);
- refuse line breaks (including U+2028/U+2029) where one line is expected, so a value cannot add
  a header line to an e-mail or a row to a record;
- NFC-normalise and bound the length.

``comparison_key`` is how names are compared for duplicates: NFKC (fullwidth and other
compatibility look-alikes fold onto their plain letters), case-folded, invisible characters
removed and runs of white space collapsed.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

# Cf characters a person may legitimately type: zero-width non-joiner and joiner.
_ALLOWED_FORMAT = frozenset({"\u200c", "\u200d"})
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_LINE_BREAKS = frozenset("\n\r\u0085\u2028\u2029\x0b\x0c")
_WHITESPACE = re.compile(r"\s+")
KEY_LENGTH = 200


def text_problem(value: str, *, multi_line: bool = False) -> str | None:
    """Return why ``value`` is not acceptable human text, or ``None`` when it is.

    ``multi_line`` allows line breaks and tabs; nothing else of the rules changes.
    """
    for char in value:
        if multi_line and char in "\n\r\t":
            continue
        if char in _LINE_BREAKS or char == "\t":
            if multi_line:
                return "must not contain control characters or unusual line separators (use plain new lines)"
            return "must be a single line (no line breaks or tabs)"
        if char in _BIDI_CONTROLS:
            return "must not contain text-direction control characters (they can make text print differently)"
        category = unicodedata.category(char)
        if category == "Cc":
            return "must not contain control characters"
        if category == "Cf" and char not in _ALLOWED_FORMAT:
            return "must not contain invisible characters (zero-width spaces, soft hyphens and the like)"
        if category == "Cs":
            return "must not contain unpaired surrogate characters"
        if category == "Co":
            return "must not contain private-use characters"
    return None


def single_line(value: str) -> str:
    """Return ``value`` NFC-normalised; raise ``ValueError`` naming the rule it breaks."""
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return unicodedata.normalize("NFC", value)


def multi_line(value: str) -> str:
    """Return ``value`` NFC-normalised with Unix line ends; raise ``ValueError`` naming the rule it breaks."""
    problem = text_problem(value, multi_line=True)
    if problem:
        raise ValueError(problem)
    return unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))


def comparison_key(value: str) -> str:
    """Return the key two names are compared by: look-alikes (fullwidth, ligatures, case, invisibles) match."""
    folded = unicodedata.normalize("NFKC", value)
    visible = "".join(c for c in folded if unicodedata.category(c) not in ("Cf", "Cc"))
    key = _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", visible.casefold())).strip()
    return key[:KEY_LENGTH]


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
