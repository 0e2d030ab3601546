"""Signed webhooks end to end: outbox in the change's transaction, a real loopback receiver, retries, replay."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook

from domain.actor import SYSTEM
from domain.roles import Role
from storage.audit_trail import SqlAuditTrail
from storage.database import unit_of_work
from storage.tables_integrations import webhook_deliveries, webhook_messages
from tests.api.envelope_support import link_for, send_msa
from tests.api.test_documents import create_msa, make_client, sample
from tests.api.test_envelopes import sign_as
from tests.conftest import Api
from tests.fakes.clock import FixedClock
from tests.support.smtp import LoopbackSmtpServer
from tests.support.webhook_receiver import WebhookReceiver
from undersign.runtime import Runtime
from undersign.settings import Settings
from undersign.webhooks_runtime import build_dispatcher, run_worker, webhooks_due

CLIENT = "dana@northwind.example"


@pytest.fixture
def smtp() -> Iterator[LoopbackSmtpServer]:
    """A real SMTP server on loopback (signing links and the owner's notice go through it)."""
    server = LoopbackSmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, smtp: LoopbackSmtpServer) -> Settings:
    """The shared settings, mailing through the loopback SMTP server, polling webhooks often."""
    mail = settings.mail.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "starttls": False})
    hooks = settings.webhooks.model_copy(update={"poll_seconds": 0.1, "timeout_seconds": 5})
    return settings.model_copy(update={"mail": mail, "webhooks": hooks})


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A signature-verifying receiver on loopback; the test gives it the endpoint's secret."""
    server = WebhookReceiver()
    server.start()
    yield server
    server.stop()


def register(api: Api, receiver: WebhookReceiver, *types: str, owner: str | None = None) -> dict[str, Any]:
    """Register the receiver for ``types`` and hand it the secret."""
    body: dict[str, Any] = {"url": receiver.url, "event_types": list(types), "description": "PSA"}
    if owner:
        body["owner_email"] = owner
    response = api.post("/v1/webhooks/endpoints", json=body)
    assert response.status_code == 201, response.text
    endpoint: dict[str, Any] = response.json()
    receiver.secret = endpoint["secret"]
    return endpoint


def new_document(api: Api, client_id: str) -> str:
    """Create an MSA and return its id (each one announces document.created)."""
    response = create_msa(api, client_id, sample("msa/msa", "us-tx-monthly"))
    assert response.status_code == 201, response.text
    document_id: str = response.json()["id"]
    return document_id


def wait_for(condition: Any, seconds: float = 30.0) -> None:
    """Wait until ``condition()`` holds (a generous ceiling, not a speed requirement)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


class TestDelivery:
    def test_completed_envelope_reaches_a_loopback_receiver_signed(
        self, api: Api, runtime: Runtime, receiver: WebhookReceiver, smtp: LoopbackSmtpServer
    ) -> None:
        """A worker delivers envelope.completed within seconds; the reference library verifies its signature."""
        register(api, receiver, "envelope.completed")
        stop = threading.Event()
        worker = threading.Thread(target=run_worker, args=(runtime, stop), daemon=True)
        worker.start()
        try:
            envelope = send_msa(api, signers=[{"name": "Dana Wu", "email": CLIENT, "role": "client", "order": 1}])
            assert sign_as(api, link_for(smtp, CLIENT)).status_code == 200
            assert api.get(f"/v1/envelopes/{envelope['id']}").json()["status"] == "completed"
            wait_for(lambda: receiver.log.of_type("envelope.completed"))
        finally:
            stop.set()
            worker.join(10)
        [got] = receiver.log.of_type("envelope.completed")
        assert got.body["data"]["envelope_id"] == envelope["id"]
        assert got.body["data"]["url"].endswith(f"/v1/envelopes/{envelope['id']}")
        assert "signers" not in got.body["data"] and receiver.log.refused == []
        # Only the subscribed type was sent, nothing else happened on the way.
        assert [r.body["type"] for r in receiver.log.verified] == ["envelope.completed"]

    def test_receiver_down_then_back_gets_every_event_once(
        self, api: Api, runtime: Runtime, receiver: WebhookReceiver, clock: FixedClock
    ) -> None:
        """Events made while the receiver is down arrive once each after it returns; the log shows every try."""
        endpoint = register(api, receiver, "document.created")
        client_id = make_client(api)
        receiver.stop()
        made = [new_document(api, client_id) for _ in range(3)]
        dispatcher = build_dispatcher(runtime)
        assert dispatcher.run_once() == {"delivered": 0, "retrying": 3, "failed": 0, "disabled": 0}
        clock.advance(minutes=1)
        assert dispatcher.run_once()["retrying"] == 3  # the 5-second retry, still down
        clock.advance(minutes=1, seconds=15)  # down for over two minutes in all (a 1-minute gap, jittered)
        assert dispatcher.run_once()["retrying"] == 3
        receiver.start()
        assert dispatcher.run_once()["delivered"] == 0  # nothing is due before its backoff ends
        clock.advance(minutes=7)
        assert dispatcher.run_once()["delivered"] == 3
        clock.advance(hours=1)
        assert dispatcher.run_once() == {"delivered": 0, "retrying": 0, "failed": 0, "disabled": 0}
        ids = receiver.log.ids()
        assert len(ids) == len(set(ids)) == 3
        assert sorted(r.body["data"]["document_id"] for r in receiver.log.verified) == sorted(made)
        log = api.get(f"/v1/webhooks/endpoints/{endpoint['id']}/attempts").json()
        assert len(log) == 12
        assert sum(a["response_status"] == 204 for a in log) == 3
        failed = [a for a in log if a["response_status"] is None]
        assert len(failed) == 9 and all("Connect" in a["error"] for a in failed)
        assert all(a["request_headers"]["webhook-id"].startswith("msg_") for a in log)
        assert all("webhook-signature" not in a["request_headers"] for a in log)
        deliveries = api.get(f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries?status=delivered").json()
        assert len(deliveries) == 3 and {d["attempts"] for d in deliveries} == {4}

    def test_a_rolled_back_change_announces_nothing(
        self, api: Api, runtime: Runtime, receiver: WebhookReceiver
    ) -> None:
        """The message is written in the change's transaction: a rollback leaves no message and no delivery."""
        register(api, receiver, "document.created")
        with pytest.raises(RuntimeError), unit_of_work(runtime.sessions) as session:
            SqlAuditTrail(session, runtime.clock).record(SYSTEM, "document.created", {"document": "d-1", "client": "c"})
            raise RuntimeError("the change failed after its audit record")
        with unit_of_work(runtime.sessions) as session:
            SqlAuditTrail(session, runtime.clock).record(SYSTEM, "document.created", {"document": "d-2", "client": "c"})
        with runtime.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(webhook_messages)).scalar_one() == 1
            assert conn.execute(select(func.count()).select_from(webhook_deliveries)).scalar_one() == 1


class TestRetriesAndDisabling:
    def test_gives_up_after_three_days_disables_after_five_and_mails_the_owner(
        self, api: Api, runtime: Runtime, receiver: WebhookReceiver, clock: FixedClock, smtp: LoopbackSmtpServer
    ) -> None:
        """Backoff grows; after three days a delivery fails; five days of failures disable the endpoint."""
        endpoint = register(api, receiver, "document.created", owner="ops@msp.example")
        client_id = make_client(api)
        receiver.stop()
        new_document(api, client_id)
        dispatcher = build_dispatcher(runtime)
        tried_at: list[datetime] = []
        for _ in range(100):
            counts = dispatcher.run_once()
            assert counts["retrying"] + counts["failed"] == 1, counts
            tried_at.append(clock.now())
            if counts["failed"]:
                break
            [pending] = api.get(f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries?status=pending").json()
            clock.at = datetime.fromisoformat(pending["next_attempt_at"])  # jump to the retry
        assert counts["failed"] == 1
        gaps = [b - a for a, b in itertools.pairwise(tried_at)]
        assert gaps[0] < timedelta(minutes=2) and max(gaps) >= timedelta(hours=8)
        assert timedelta(days=2, hours=12) < tried_at[-1] - tried_at[0] <= timedelta(days=3)
        state = api.get(f"/v1/webhooks/endpoints/{endpoint['id']}").json()
        assert state["enabled"] and state["failing_since"] is not None
        # Two more days of failures: the endpoint is disabled and its owner told.
        new_document(api, client_id)
        disabled = 0
        for _ in range(100):
            disabled += dispatcher.run_once()["disabled"]
            if disabled:
                break
            [pending] = api.get(f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries?status=pending").json()
            clock.at = datetime.fromisoformat(pending["next_attempt_at"])
        assert disabled == 1
        state = api.get(f"/v1/webhooks/endpoints/{endpoint['id']}").json()
        assert not state["enabled"] and "every delivery failed since" in state["disabled_reason"]
        mails = [m for m in smtp.received if "ops@msp.example" in m.recipients]
        assert len(mails) == 1 and endpoint["url"] in mails[0].message.get_payload(decode=False)
        # Nothing is attempted while disabled.
        clock.advance(days=1)
        assert dispatcher.run_once() == {"delivered": 0, "retrying": 0, "failed": 0, "disabled": 0}
        # Back up, re-enabled, the failed delivery replayed: everything arrives, with the original webhook-ids.
        receiver.start()
        patched = api.patch(f"/v1/webhooks/endpoints/{endpoint['id']}", json={"enabled": True})
        assert patched.status_code == 200 and patched.json()["failing_since"] is None
        # The second event may itself have run out of its three days while the endpoint was failing
        # (that depends on the jittered retry times), so every failed delivery is replayed.
        failed = api.get(f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries?status=failed").json()
        for delivery in failed:
            replay = api.post(f"/v1/webhooks/deliveries/{delivery['id']}/replay")
            assert replay.status_code == 202, replay.text
        clock.advance(days=1)
        assert dispatcher.run_once()["delivered"] == 2
        assert {d["message_id"] for d in failed} <= set(receiver.log.ids())


class TestSecrets:
    def test_rotation_signs_with_old_and_new_secret_for_a_day(
        self, api: Api, runtime: Runtime, receiver: WebhookReceiver, clock: FixedClock
    ) -> None:
        """After a rotation both secrets verify the same message; a day later only the new one does."""
        endpoint = register(api, receiver, "document.created")
        old = endpoint["secret"]
        rotated = api.post(f"/v1/webhooks/endpoints/{endpoint['id']}/rotate-secret").json()
        new = rotated["secret"]
        assert new != old and new.startswith("whsec_")
        client_id = make_client(api)
        new_document(api, client_id)
        build_dispatcher(runtime).run_once()
        [got] = receiver.log.verified
        for secret in (old, new):
            assert Webhook(secret).verify(got.raw, got.headers)["type"] == "document.created"
        clock.advance(hours=25)
        receiver.secret = new
        new_document(api, client_id)
        build_dispatcher(runtime).run_once()
        later = receiver.log.verified[-1]
        assert len(later.headers["webhook-signature"].split(" ")) == 1
        with pytest.raises(Exception, match="No matching signature"):
            Webhook(old).verify(later.raw, later.headers)

    def test_secret_is_shown_once(self, api: Api, receiver: WebhookReceiver) -> None:
        """Reading an endpoint never shows its secret."""
        endpoint = register(api, receiver, "document.created")
        assert "secret" not in api.get(f"/v1/webhooks/endpoints/{endpoint['id']}").json()
        assert all("secret" not in e for e in api.get("/v1/webhooks/endpoints").json())


class TestRefusals:
    def test_only_admins_manage_webhooks(self, api: Api, receiver: WebhookReceiver) -> None:
        """A sales key may not register an endpoint or read the delivery log."""
        body = {"url": receiver.url, "event_types": ["document.created"]}
        assert api.post("/v1/webhooks/endpoints", role=Role.SALES, json=body).status_code == 403
        assert api.get("/v1/webhooks/endpoints", role=Role.AUDITOR).status_code == 403

    def test_unknown_event_type_and_bad_url_are_422(self, api: Api) -> None:
        """An unknown event type or a URL that is not http(s) is refused, naming the field."""
        bad_type = api.post("/v1/webhooks/endpoints", json={"url": "https://psa.example/h", "event_types": ["x.y"]})
        assert bad_type.status_code == 422 and "unknown event type" in bad_type.text
        bad_url = api.post(
            "/v1/webhooks/endpoints", json={"url": "ftp://psa.example/h", "event_types": ["document.created"]}
        )
        assert bad_url.status_code == 422 and bad_url.json()["errors"][0]["pointer"] == "/url"
        assert api.get("/v1/webhooks/endpoints").json() == []


@pytest.fixture
def production_like(settings: Settings) -> Settings:
    """The shared settings with webhooks held to production rules (no http, no inside addresses)."""
    hooks = settings.webhooks.model_copy(update={"allow_private_targets": False})
    return settings.model_copy(update={"webhooks": hooks})


class TestSsrf:
    @pytest.mark.parametrize(
        ("url", "reason"),
        [
            ("http://psa.example/hook", "HTTPS only"),
            ("https://127.0.0.1/hook", "loopback"),
            ("https://localhost:8443/hook", "loopback"),
            ("https://10.1.2.3/hook", "private network"),
            ("https://169.254.169.254/latest/meta-data", "link-local"),
            ("https://[::ffff:192.168.0.1]/hook", "private network"),
            ("https://100.64.0.7/hook", "not on the public internet"),
            ("https://user:pw@psa.example/hook", "user name or password"),
        ],
    )
    def test_inside_addresses_are_refused_in_production(
        self, production_like: Settings, runtime: Runtime, api: Api, url: str, reason: str
    ) -> None:
        """Registering a receiver on a loopback, private or metadata address is a 422 that says why."""
        runtime.settings = production_like
        response = api.post("/v1/webhooks/endpoints", json={"url": url, "event_types": ["document.created"]})
        assert response.status_code == 422, response.text
        assert reason in response.json()["detail"]
        assert api.get("/v1/webhooks/endpoints").json() == []

    def test_delivery_rechecks_the_address(
        self, production_like: Settings, runtime: Runtime, api: Api, receiver: WebhookReceiver
    ) -> None:
        """An endpoint registered while allowed is refused at delivery once the rules forbid its address."""
        endpoint = register(api, receiver, "document.created")
        new_document(api, make_client(api))
        runtime.settings = production_like
        assert build_dispatcher(runtime).run_once()["retrying"] == 1
        [attempt] = api.get(f"/v1/webhooks/endpoints/{endpoint['id']}/attempts").json()
        assert attempt["error"].startswith("refused:") and receiver.log.verified == []


class TestHistory:
    def test_run_due_delivers_then_forgets_history_past_its_keep_time(
        self, api: Api, runtime: Runtime, receiver: WebhookReceiver, clock: FixedClock
    ) -> None:
        """run-due sends what is due; 30 days later it forgets sent messages but never one still waiting."""
        endpoint = register(api, receiver, "document.created")
        client_id = make_client(api)
        new_document(api, client_id)
        assert webhooks_due(runtime) == {"delivered": 1, "retrying": 0, "failed": 0, "disabled": 0, "purged": 0}
        receiver.stop()
        clock.advance(days=29)
        new_document(api, client_id)
        assert webhooks_due(runtime)["retrying"] == 1
        clock.advance(days=2)
        counts = webhooks_due(runtime)
        assert counts["purged"] == 1 and counts["retrying"] == 1
        with runtime.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(webhook_messages)).scalar_one() == 1
        attempts = api.get(f"/v1/webhooks/endpoints/{endpoint['id']}/attempts").json()
        assert len(attempts) == 2 and all(a["response_status"] is None for a in attempts)


def exhaust_retries(api: Api, endpoint_id: str, runtime: Runtime, clock: FixedClock) -> None:
    """Run the worker at each retry time until the endpoint's one pending delivery is given up."""
    dispatcher = build_dispatcher(runtime)
    for _ in range(100):
        if dispatcher.run_once()["failed"]:
            return
        [pending] = api.get(f"/v1/webhooks/endpoints/{endpoint_id}/deliveries?status=pending").json()
        clock.at = datetime.fromisoformat(pending["next_attempt_at"])
    raise AssertionError("the delivery was never given up")


class TestReplayFailed:
    def test_replay_failed_sends_every_given_up_delivery_again(
        self, api: Api, runtime: Runtime, receiver: WebhookReceiver, clock: FixedClock
    ) -> None:
        """After three days of failures, replay-failed queues the message again and it arrives with its id."""
        endpoint = register(api, receiver, "document.created")
        receiver.stop()
        new_document(api, make_client(api))
        exhaust_retries(api, endpoint["id"], runtime, clock)
        [failed] = api.get(f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries?status=failed").json()
        receiver.start()
        replayed = api.post(f"/v1/webhooks/endpoints/{endpoint['id']}/replay-failed")
        assert replayed.status_code == 202 and [d["message_id"] for d in replayed.json()] == [failed["message_id"]]
        assert build_dispatcher(runtime).run_once()["delivered"] == 1
        assert receiver.log.ids() == [failed["message_id"]]
        assert api.post("/v1/webhooks/endpoints/ep_nope/replay-failed").status_code == 404
