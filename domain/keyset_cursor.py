"""Opaque keyset-pagination cursors: the sort key of the last row of a page, as URL-safe text.

A cursor is the JSON list of the key's parts, base64url-encoded without padding. Anything that does
not decode to the expected number of strings is an ``InvalidInput`` naming the cursor, so a caller who
edits or truncates one gets a 422 telling them to start again.
"""

from __future__ import annotations

import base64
import binascii
import json

from domain.errors import FieldError, InvalidInput


def encode_cursor(*parts: str) -> str:
    """Return the cursor for a keyset position made of ``parts``."""
    raw = json.dumps(list(parts), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[str]:
    """Return the ``arity`` parts of a cursor made by ``encode_cursor``, or raise ``InvalidInput``."""
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8"))
        if not isinstance(parts, list) or len(parts) != arity or not all(isinstance(p, str) for p in parts):
            raise ValueError("not a list of strings of the expected length")
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "The cursor is not one this service handed out; start again without it.",
            errors=[FieldError("cursor", "not a valid cursor")],
        ) from exc
    return parts
