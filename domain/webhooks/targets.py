"""Which URLs a webhook may be sent to: HTTPS (HTTP only in development), and never an inside address.

A webhook URL is typed by whoever registers the endpoint, and undersign then makes requests to it
from inside the MSP's network. Without a check that is a server-side request forgery: an endpoint
at ``http://169.254.169.254/`` or ``http://10.0.0.5:8080/admin`` would make undersign probe the
cloud metadata service or internal systems. So in production every address the host name resolves
to must be a public one, checked when the endpoint is registered and again before each delivery
(a name can be re-pointed after registration).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit


class TargetRefused(ValueError):
    """The URL may not receive webhooks; the message says why in words a person can act on."""


def check_url(url: str, *, allow_private: bool) -> tuple[str, int]:
    """Return ``(host, port)`` of a well-formed webhook URL, or raise ``TargetRefused``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"'{url}' is not a valid URL.") from exc
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise TargetRefused("The URL must start with https:// and name a host.")
    if parts.scheme == "http" and not allow_private:
        raise TargetRefused("Webhooks are sent over HTTPS only; use an https:// URL.")
    if parts.username or parts.password:
        raise TargetRefused("The URL must not carry a user name or password; the signature authenticates us.")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def refused_address(address: str) -> str | None:
    """Return why ``address`` may not receive webhooks in production, or ``None`` when it is public."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (such as a cloud metadata service)"
    if ip.is_private:
        return "a private network address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return "an address that is not on the public internet"
    return None


def check_addresses(host: str, addresses: Iterable[str]) -> None:
    """Raise ``TargetRefused`` unless every address ``host`` resolves to is public."""
    resolved = list(addresses)
    if not resolved:
        raise TargetRefused(f"The host '{host}' does not resolve.")
    for address in resolved:
        reason = refused_address(address)
        if reason:
            raise TargetRefused(
                f"The host '{host}' resolves to {address}, {reason}; webhooks go to public addresses only."
            )
