"""``HttpWebhookSender``: signs a message the Standard Webhooks way and POSTs it with httpx.

Headers: ``webhook-id`` (the message id, the same on every retry), ``webhook-timestamp`` (seconds
since the epoch, when this attempt was signed) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256
of id.timestamp.body>``, one per active secret, space-separated, so a receiver mid-rotation
accepts either). Receivers verify with any Standard Webhooks library. Redirects are not followed
(a redirect to an inside address would bypass the address check), and outside development the
host must resolve to public addresses only, checked right before each request. The request then
goes to the address that was checked (the host name stays in the Host header and in TLS SNI and
certificate checks), so a name re-pointed between the check and the connection (DNS rebinding)
cannot send it elsewhere.
"""

from __future__ import annotations

import ipaddress
import math
import socket
import time
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
from standardwebhooks import Webhook

from domain.webhooks.endpoints import SendResult
from domain.webhooks.ports import AddressResolver
from domain.webhooks.targets import TargetRefused, check_addresses, check_url

USER_AGENT = "undersign-webhooks/1 (+https://www.standardwebhooks.com/)"
MAX_LOGGED_BODY = 2000


def resolve_host(host: str, port: int) -> list[str]:
    """Return every address ``host`` resolves to (an empty list when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        return []
    return sorted({str(info[4][0]) for info in infos})


class HttpWebhookSender:
    """POSTs signed messages; a receiver's failure is returned as a result, never raised."""

    def __init__(
        self, *, allow_private: bool, timeout_seconds: float = 10.0, resolver: AddressResolver = resolve_host
    ) -> None:
        self._allow_private = allow_private
        self._resolver = resolver
        self._client = httpx.Client(timeout=timeout_seconds, follow_redirects=False)

    def send(self, url: str, message_id: str, timestamp: datetime, body: bytes, secrets: list[str]) -> SendResult:
        """Sign ``body`` with every secret and POST it to ``url``."""
        text = body.decode()
        headers = {
            "webhook-id": message_id,
            "webhook-timestamp": str(math.floor(timestamp.timestamp())),
            "webhook-signature": " ".join(Webhook(secret).sign(message_id, timestamp, text) for secret in secrets),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
        }
        # The log keeps what was sent except the signatures (derived from the secret; no use to a reader).
        logged = {k: v for k, v in headers.items() if k != "webhook-signature"}
        started = time.perf_counter()
        try:
            host, port = check_url(url, allow_private=self._allow_private)
            addresses = self._resolver(host, port)
            if not self._allow_private:
                check_addresses(host, addresses)
            if not addresses:
                raise TargetRefused(f"The host '{host}' does not resolve.")
        except TargetRefused as exc:
            return SendResult(request_headers=logged, duration_ms=0, error=f"refused: {exc}")
        pinned, extensions = pin(url, host, addresses[0])
        try:
            response = self._client.post(
                pinned, content=body, headers={**headers, "host": _host_header(url)}, extensions=extensions
            )
        except httpx.HTTPError as exc:
            elapsed = int((time.perf_counter() - started) * 1000)
            return SendResult(request_headers=logged, duration_ms=elapsed, error=f"{type(exc).__name__}: {exc}")
        elapsed = int((time.perf_counter() - started) * 1000)
        return SendResult(
            request_headers=logged,
            duration_ms=elapsed,
            status=response.status_code,
            body=response.text[:MAX_LOGGED_BODY],
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def pin(url: str, host: str, address: str) -> tuple[str, dict[str, str]]:
    """Return ``url`` aimed at ``address``, and the TLS server name that keeps the certificate check on ``host``."""
    parts = urlsplit(url)
    literal = f"[{address}]" if isinstance(ipaddress.ip_address(address), ipaddress.IPv6Address) else address
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), extensions


def _host_header(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return host if parts.port is None else f"{host}:{parts.port}"
