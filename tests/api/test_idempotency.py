"""``Idempotency-Key`` on POSTs: replay the first answer, refuse another body, hold under concurrency."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import select

from domain.roles import Role
from storage.tables_integrations import idempotency_keys
from tests.api.test_clients import client_body, count_clients
from tests.api.test_documents import documents_stored, make_client, sample
from tests.conftest import Api
from tests.fakes.clock import FixedClock
from undersign.jobs import purge_idempotency_keys
from undersign.runtime import Runtime


def keyed(key: str) -> dict[str, str]:
    """Return the header carrying ``key``."""
    return {"Idempotency-Key": key}


def msa_body(client_id: str) -> dict[str, Any]:
    """A document creation body for an MSA in PDF."""
    return {"template": "msa/msa", "client_id": client_id, "variables": sample("msa/msa", "us-tx-monthly")}


class TestReplay:
    def test_same_key_and_body_creates_one_document_and_replays_the_answer(self, api: Api) -> None:
        """A document POST sent twice with one key files one document; the second answer is the first, replayed."""
        client_id = make_client(api)
        key = str(uuid.uuid4())
        first = api.post("/v1/documents", role=Role.SALES, json=msa_body(client_id), headers=keyed(key))
        second = api.post("/v1/documents", role=Role.SALES, json=msa_body(client_id), headers=keyed(key))
        assert first.status_code == second.status_code == 201, second.text
        assert second.json() == first.json()
        assert second.headers["location"] == first.headers["location"]
        assert second.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        assert documents_stored(api) == 1

    def test_without_a_key_two_posts_make_two(self, api: Api) -> None:
        """Without the header, the same document POST twice files two documents (the key is what prevents it)."""
        client_id = make_client(api)
        for _ in range(2):
            assert api.post("/v1/documents", role=Role.SALES, json=msa_body(client_id)).status_code == 201
        assert documents_stored(api) == 2

    def test_json_spacing_and_key_order_do_not_make_another_request(self, api: Api) -> None:
        """The same JSON sent with other spacing and key order is the same request and is replayed."""
        key = str(uuid.uuid4())
        body = client_body()
        first = api.post("/v1/clients", json=body, headers=keyed(key))
        reordered = dict(reversed(list(body.items())))
        second = api.post(
            "/v1/clients",
            content=json.dumps(reordered, indent=2),
            headers={**keyed(key), "content-type": "application/json"},
        )
        assert second.status_code == 201 and second.json()["id"] == first.json()["id"]
        assert count_clients(api) == 1


class TestRefusal:
    def test_same_key_with_another_body_is_409_and_changes_nothing(self, api: Api) -> None:
        """Reusing a key for another client body answers 409 problem+json and stores no second client."""
        key = str(uuid.uuid4())
        assert api.post("/v1/clients", json=client_body(), headers=keyed(key)).status_code == 201
        other = api.post("/v1/clients", json=client_body(legal_name="Other Co Ltd."), headers=keyed(key))
        assert other.status_code == 409
        assert other.headers["content-type"] == "application/problem+json"
        assert "different request" in other.json()["detail"]
        assert count_clients(api) == 1

    def test_same_key_on_another_path_is_409(self, api: Api) -> None:
        """A key used for a client cannot be reused for an invoice."""
        key = str(uuid.uuid4())
        assert api.post("/v1/clients", json=client_body(), headers=keyed(key)).status_code == 201
        response = api.post("/v1/invoices", json={"number": "X"}, headers=keyed(key))
        assert response.status_code == 409

    def test_malformed_key_is_400_and_nothing_is_stored(self, api: Api) -> None:
        """A key with spaces at its end, or longer than 255 characters, is refused before anything runs."""
        for bad in ("abc ", "x" * 256):
            response = api.post("/v1/clients", json=client_body(), headers=keyed(bad))
            assert response.status_code == 400
            assert response.json()["type"].endswith("/invalid-idempotency-key")
        assert count_clients(api) == 0


class TestScope:
    def test_keys_are_scoped_to_the_api_key_that_sent_them(self, api: Api) -> None:
        """Two callers using the same key value do not see each other's answers."""
        key = "shared-key-1"
        first = api.post("/v1/clients", role=Role.ADMIN, json=client_body(), headers=keyed(key))
        second = api.post(
            "/v1/clients", role=Role.SALES, json=client_body(legal_name="Sales Co Ltd."), headers=keyed(key)
        )
        assert first.status_code == second.status_code == 201
        assert first.json()["id"] != second.json()["id"]

    def test_a_key_is_free_again_after_24_hours(self, api: Api, clock: FixedClock) -> None:
        """After 24 hours the same key and body act again (the key's lifetime is over)."""
        key = str(uuid.uuid4())
        body = client_body()
        assert api.post("/v1/clients", json=body, headers=keyed(key)).status_code == 201
        clock.advance(hours=24, seconds=1)
        again = api.post("/v1/clients", json=body, headers=keyed(key))
        assert again.status_code == 409  # now a duplicate legal name, proving the request ran again
        assert "already exists" in again.json()["detail"]

    def test_an_error_answer_is_replayed_too(self, api: Api) -> None:
        """A 422 for a bad body is that request's answer: the retry with the same key gets the same 422."""
        key = str(uuid.uuid4())
        first = api.post("/v1/clients", json=client_body(billing_email="nope"), headers=keyed(key))
        second = api.post("/v1/clients", json=client_body(billing_email="nope"), headers=keyed(key))
        assert first.status_code == second.status_code == 422
        assert second.headers["idempotent-replayed"] == "true"
        assert second.json() == first.json()


class TestConcurrency:
    def test_concurrent_posts_with_one_key_create_one_document(self, api: Api) -> None:
        """Four document POSTs with one key at the same moment file one document and all get its id."""
        client_id = make_client(api)
        key = str(uuid.uuid4())
        with ThreadPoolExecutor(max_workers=4) as pool:
            responses = list(
                pool.map(
                    lambda _i: api.post("/v1/documents", role=Role.SALES, json=msa_body(client_id), headers=keyed(key)),
                    range(4),
                )
            )
        assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
        assert len({r.json()["id"] for r in responses}) == 1
        assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 3
        assert documents_stored(api) == 1


class TestPurge:
    def test_run_due_forgets_keys_older_than_24_hours(self, api: Api, runtime: Runtime, clock: FixedClock) -> None:
        """The run-due job deletes expired keys and keeps fresh ones."""
        assert api.post("/v1/clients", json=client_body(), headers=keyed("old-key")).status_code == 201
        clock.advance(hours=23)
        assert (
            api.post("/v1/clients", json=client_body(legal_name="B Ltd."), headers=keyed("new-key")).status_code == 201
        )
        clock.advance(hours=2)
        assert purge_idempotency_keys(runtime) == {"purged": 1}
        with runtime.engine.connect() as conn:
            assert [row[0] for row in conn.execute(select(idempotency_keys.c.key))] == ["new-key"]
