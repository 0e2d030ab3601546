"""Embedded signing: which web origins may frame a signing page, and the message it posts to them.

An MSP that shows signing inside its own portal lists the portal's origins in the settings. A
signing URL issued for embedding names one of them: its pages may be framed only by that origin
(CSP ``frame-ancestors``), and the page tells it the outcome with ``postMessage`` addressed to that
origin alone (never ``"*"``: the message names the envelope and the signer). Every other signing
page keeps ``frame-ancestors 'none'``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

#: The messages the embedded page posts to its parent.
COMPLETED = "undersign.completed"
DECLINED = "undersign.declined"

_ORIGIN = re.compile(r"(https?)://([a-z0-9.-]+|\[[0-9a-f:]+\])(?::(\d{1,5}))?")
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "[::1]"})
MIN_TTL_MINUTES, MAX_TTL_MINUTES = 1, 60


def embed_origin(value: str) -> str:
    """Return ``value`` as a normalised web origin; raise ``ValueError`` saying what is wrong.

    Only ``https://host[:port]`` is accepted (plain ``http://`` only for a loopback host, for
    development): no path, query, wildcard or user part, since each would widen who may frame the page.
    """
    origin = value.strip().lower().rstrip("/")
    found = _ORIGIN.fullmatch(origin)
    if found is None:
        raise ValueError(
            f"{value!r} is not a web origin: write it as https://portal.example.com (with :port if needed), "
            "without a path or a wildcard"
        )
    scheme, host, port = found.groups()
    if port is not None and not 1 <= int(port) <= 65535:
        raise ValueError(f"{value!r} has a port outside 1-65535")
    if scheme == "http" and host not in _LOOPBACK:
        raise ValueError(f"{value!r} must use https (plain http is allowed only for localhost)")
    default = {"https": "443", "http": "80"}[scheme]
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


def frame_ancestors(origin: str | None) -> str:
    """Return the CSP ``frame-ancestors`` value: the one listed origin, or ``'none'``."""
    return origin if origin else "'none'"


def embed_expiry(now: datetime, minutes: int) -> datetime:
    """Return when an embedded signing URL issued at ``now`` stops working (``minutes`` bounded to 1-60)."""
    return now + timedelta(minutes=max(MIN_TTL_MINUTES, min(MAX_TTL_MINUTES, minutes)))
