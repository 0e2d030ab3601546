"""The caller's IP address, believing X-Forwarded-For only from configured trusted proxies.

Signer IPs are evidence; a header anyone can set must not decide them.
"""

from __future__ import annotations

import ipaddress

from fastapi import Request


def _is_trusted(address: str, trusted: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in trusted:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _valid(address: str | None) -> str | None:
    if address is None:
        return None
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None  # e.g. a test client's pseudo host, or garbage in a forwarded header


def client_ip(request: Request, trusted_proxies: list[str]) -> str | None:
    """Return the client IP: the peer, or the right-most untrusted X-Forwarded-For hop behind trusted proxies."""
    return _valid(_client_ip(request, trusted_proxies))


def _client_ip(request: Request, trusted_proxies: list[str]) -> str | None:
    peer = request.client.host if request.client else None
    if peer is None or not _is_trusted(peer, trusted_proxies):
        return peer
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted_proxies):
            return hop
    return hops[0] if hops else peer
