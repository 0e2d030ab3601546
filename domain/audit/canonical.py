r"""Canonical JSON: the one byte form that audit hashes and checkpoint signatures are computed over.

Two parties must turn the same record into the same bytes years apart, in different programs
(our service, the standalone verifier, an auditor's own script), so the form is fixed here:

- UTF-8, no byte order mark, no whitespace between tokens (separators ``,`` and ``:``);
- object keys are strings, each once, sorted by Unicode code point;
- strings escape ``"`` ``\\`` and the control characters U+0000..U+001F only: ``\\b \\f \\n \\r \\t``
  by name and the others as ``\\u00xx`` (lowercase hex); everything else, non-ASCII included, is
  written as literal UTF-8. Lone surrogates are refused (they are not Unicode text). No Unicode
  normalisation is applied: the text is hashed exactly as it was recorded;
- integers in plain decimal, limited to +/-(2**53 - 1) so that every JSON reader (JavaScript too)
  reads them exactly; ``true``, ``false``, ``null``; arrays keep their order;
- floating-point numbers are refused: binary floats do not round-trip between languages and do
  not belong in evidence. Money and measures go in as strings or integer minor units;
- times are not a JSON type: audit records carry them as strings ``YYYY-MM-DDTHH:MM:SS.ffffffZ``
  (RFC 3339, UTC, exactly six fractional digits); see :func:`format_time`.

For the keys we use (all ASCII) this is exactly RFC 8785 (JSON Canonicalization Scheme), and it
is what ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` writes
for the values allowed here, which is how the standalone verifier reproduces it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from domain.errors import FieldError, InvalidInput

MAX_SAFE_INTEGER = 2**53 - 1
_MAX_DEPTH = 64
_TIME_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")

_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False
)


def canonical_json(value: object) -> bytes:
    """Return the canonical JSON bytes of ``value``; raise ``InvalidInput`` for values outside the subset."""
    problems: list[FieldError] = []
    _check(value, "", 0, problems)
    if problems:
        raise InvalidInput("value cannot be written as canonical JSON", errors=problems)
    return _ENCODER.encode(value).encode("utf-8")


def _check(value: object, pointer: str, depth: int, problems: list[FieldError]) -> None:
    """Collect every reason ``value`` falls outside the canonical subset, with JSON pointers."""
    if depth > _MAX_DEPTH:
        problems.append(FieldError(pointer or "/", f"nested deeper than {_MAX_DEPTH} levels"))
    elif value is None or isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            problems.append(FieldError(pointer or "/", "integer outside +/-(2**53 - 1); send it as a string"))
    elif isinstance(value, float):
        problems.append(FieldError(pointer or "/", "floating-point numbers are not allowed; use a string"))
    elif isinstance(value, str):
        if not _is_unicode_text(value):
            problems.append(FieldError(pointer or "/", "string contains a lone surrogate"))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check(item, f"{pointer}/{index}", depth + 1, problems)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(FieldError(pointer or "/", f"object key {key!r} is not a string"))
                continue
            if not _is_unicode_text(key):
                problems.append(FieldError(pointer or "/", "object key contains a lone surrogate"))
                continue
            escaped = key.replace("~", "~0").replace("/", "~1")
            _check(item, f"{pointer}/{escaped}", depth + 1, problems)
    else:
        problems.append(FieldError(pointer or "/", f"{type(value).__name__} is not a JSON value"))


def _is_unicode_text(text: str) -> bool:
    """Tell whether ``text`` encodes to UTF-8, i.e. holds no lone surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def format_time(moment: datetime) -> str:
    """Return ``moment`` as RFC 3339 UTC text with six fractional digits: ``2026-01-05T10:00:00.000000Z``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A naive time has no defined instant; guessing a zone would silently move evidence.
        raise InvalidInput("time must be timezone-aware", errors=[FieldError("at", "naive datetime")])
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def parse_time(text: str) -> datetime:
    """Parse the exact form :func:`format_time` writes; anything else raises ``InvalidInput``."""
    if not isinstance(text, str) or not _TIME_TEXT.fullmatch(text):
        raise InvalidInput(
            "time is not in the form YYYY-MM-DDTHH:MM:SS.ffffffZ",
            errors=[FieldError("at", f"got {text!r}")],
        )
    try:
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    except ValueError as exc:
        raise InvalidInput("time is not a valid date", errors=[FieldError("at", str(exc))]) from exc
