"""Idempotency keys (Stripe semantics): a retried POST replays the first answer instead of acting twice.

A caller sends ``Idempotency-Key: <unique value>`` with a POST. The first request with a key
reserves it; its answer is stored with a fingerprint of the request (method, path, query and the
body, with JSON bodies compared by content rather than by spacing or key order). A later request
with the same key and the same fingerprint gets the stored answer again; the same key with another
request is refused with 409, because acting on it would silently do something the caller did not
ask the first time. Keys are kept for 24 hours and are scoped to the API key that sent them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255
# Printable ASCII without spaces at either end: the key goes back into headers and logs unchanged.
_KEY_RE = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$")

# Headers of a stored answer that are replayed; the rest (date, request id, length) belong to the replay.
REPLAYED_HEADERS = frozenset({"content-type", "location", "etag", "cache-control", "content-disposition"})


def key_problem(key: str) -> str | None:
    """Return why ``key`` cannot be an idempotency key, or ``None`` when it can."""
    if not key:
        return "The Idempotency-Key header is empty; send a unique value such as a UUID."
    if len(key) > MAX_KEY_LENGTH:
        return f"The Idempotency-Key header is longer than {MAX_KEY_LENGTH} characters; send a UUID."
    if not _KEY_RE.match(key):
        return "The Idempotency-Key header may hold printable ASCII only, without spaces at either end; send a UUID."
    return None


def canonical_body(body: bytes) -> bytes:
    """Return ``body`` with JSON normalised (key order, spacing); other bodies are compared byte for byte."""
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """Return the SHA-256 that says whether two requests are the same request."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query.encode()):
        digest.update(len(part).to_bytes(8, "big") + part)
    digest.update(canonical_body(body))
    return digest.hexdigest()


def owner_of(authorization: str | None) -> str:
    """Return the scope of a key: a hash of the presented credential (never the credential itself)."""
    return hashlib.sha256((authorization or "").encode()).hexdigest()


class KeyState(StrEnum):
    """Where the first request with a key is."""

    PENDING = "pending"
    COMPLETED = "completed"


@dataclass(frozen=True)
class StoredResponse:
    """The first answer given under a key, replayed byte for byte."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class KeyRecord:
    """A stored key: the request it was first used for and, once answered, the answer."""

    fingerprint: str
    state: KeyState
    created_at: datetime
    response: StoredResponse | None = None


def should_keep(status: int) -> bool:
    """Return whether an answer is final for its key.

    Answers that say "try again" (401 with a bad credential, 429, any 5xx) release the key so the
    retry runs; everything else, including a 4xx about the body, is the answer to that request.
    """
    return status < 500 and status not in (401, 429)
