"""``HttpWebhookSender``: signed requests go to the address that was checked, never to a re-pointed name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from adapters.webhook_sender import HttpWebhookSender, pin
from services.webhooks import new_secret
from tests.support.webhook_receiver import WebhookReceiver

BODY = b'{"type":"document.created","timestamp":"2026-12-02T10:00:00Z","data":{"document_id":"d1"}}'


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A verifying receiver on loopback with a fresh secret."""
    server = WebhookReceiver(secret=new_secret())
    server.start()
    yield server
    server.stop()


class TestPinning:
    def test_request_goes_to_the_resolved_address_with_the_name_in_host(self, receiver: WebhookReceiver) -> None:
        """A name only our resolver knows reaches the receiver: the connection used the checked address."""
        sender = HttpWebhookSender(allow_private=True, resolver=lambda host, port: ["127.0.0.1"])
        url = f"http://hooks.undersign.invalid:{receiver.port}/hooks"
        result = sender.send(url, "msg_1", datetime.now(UTC), BODY, [receiver.secret])
        assert result.ok, result
        [got] = receiver.log.verified
        assert got.headers["host"] == f"hooks.undersign.invalid:{receiver.port}"
        assert got.body["data"] == {"document_id": "d1"}

    def test_a_name_that_also_resolves_inside_is_refused_before_connecting(self, receiver: WebhookReceiver) -> None:
        """In production a name resolving to a public and a loopback address is refused; nothing is sent."""
        sender = HttpWebhookSender(allow_private=False, resolver=lambda host, port: ["93.184.216.34", "127.0.0.1"])
        result = sender.send("https://hooks.example/h", "msg_2", datetime.now(UTC), BODY, [receiver.secret])
        assert not result.ok and result.error is not None and "127.0.0.1" in result.error
        assert receiver.log.verified == [] and result.status is None

    def test_https_keeps_the_host_name_for_tls(self) -> None:
        """An https URL is aimed at the address, with the host name kept for SNI and the certificate check."""
        assert pin("https://hooks.example/a?b=1", "hooks.example", "93.184.216.34") == (
            "https://93.184.216.34/a?b=1",
            {"sni_hostname": "hooks.example"},
        )
        assert pin("https://hooks.example:8443/", "hooks.example", "2606:4700::1111")[0] == (
            "https://[2606:4700::1111]:8443/"
        )

    def test_unreachable_receiver_is_a_result_not_an_exception(self) -> None:
        """A closed port gives an error result the worker can log and retry."""
        closed = WebhookReceiver()
        closed.start()
        port = closed.port
        closed.stop()
        sender = HttpWebhookSender(allow_private=True)
        result = sender.send(f"http://127.0.0.1:{port}/h", "msg_3", datetime.now(UTC), BODY, [new_secret()])
        assert not result.ok and result.status is None and "Connect" in (result.error or "")
