"""A webhook receiver on loopback that verifies Standard Webhooks signatures with the reference library.

It answers 204 to a message whose signature verifies (and records it), 400 to one that does not,
and can be stopped (the port then refuses connections) and started again on the same port.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass
class Received:
    """One verified message."""

    webhook_id: str
    headers: dict[str, str]
    raw: bytes
    body: dict[str, Any]


@dataclass
class ReceiverLog:
    """What the receiver got: verified messages and the reasons it refused others."""

    verified: list[Received] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def ids(self) -> list[str]:
        """Return the webhook-id of every verified message, in arrival order."""
        return [r.webhook_id for r in self.verified]

    def of_type(self, event_type: str) -> list[Received]:
        """Return the verified messages of one event type."""
        return [r for r in self.verified if r.body["type"] == event_type]


class WebhookReceiver:
    """A threaded HTTP server verifying every POST with ``secret``."""

    def __init__(self, secret: str = "", port: int = 0) -> None:
        self.secret = secret
        self.log = ReceiverLog()
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The URL to register."""
        return f"http://127.0.0.1:{self.port}/hooks/undersign"

    def start(self) -> None:
        """Listen (on the same port as before, after a stop)."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    body = Webhook(receiver.secret).verify(raw, headers)
                except WebhookVerificationError as exc:
                    with receiver._lock:
                        receiver.log.refused.append(str(exc))
                    self.send_response(400)
                    self.end_headers()
                    return
                with receiver._lock:
                    receiver.log.verified.append(Received(headers["webhook-id"], headers, raw, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop listening; connections are refused until ``start`` is called again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def as_json(received: Received) -> dict[str, Any]:
    """Return the parsed body of a received message."""
    parsed: dict[str, Any] = json.loads(received.raw)
    return parsed
