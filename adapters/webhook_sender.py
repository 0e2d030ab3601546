"""``HttpWebhookSender``: signs a message the Standard Webhooks way and POSTs it with httpx.

Headers: ``webhook-id`` (the message id, the same on every retry), ``webhook-timestamp`` (seconds
since the epoch, when this attempt was signed) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256
of id.timestamp.body>``, one per active secret, space-separated, so a receiver mid-rotation
accepts either). Receivers verify with any Standard Webhooks library. Redirects are not followed
(a redirect to an inside address would bypass the address check), and outside development the
host must resolve to public addresses only, checked right before each request.
"""

from __future__ import annotations

import math
import socket
import time
from datetime import datetime

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
            if not self._allow_private:
                check_addresses(host, self._resolver(host, port))
        except TargetRefused as exc:
            return SendResult(request_headers=logged, duration_ms=0, error=f"refused: {exc}")
        try:
            response = self._client.post(url, content=body, headers=headers)
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
