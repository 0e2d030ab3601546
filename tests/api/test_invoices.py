"""The /v1/invoices resource: record invoices in minor units, change their state, list and filter them."""

from __future__ import annotations

from typing import Any

from domain.roles import Role
from tests.api.test_clients import client_body
from tests.conftest import Api


def make_client(api: Api, **overrides: Any) -> str:
    """Create a client and return its id."""
    response = api.post("/v1/clients", json=client_body(**overrides))
    assert response.status_code == 201, response.text
    client_id: str = response.json()["id"]
    return client_id


def invoice_body(client_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid invoice body, with fields overridden."""
    body: dict[str, Any] = {
        "number": "INV-1001",
        "client_id": client_id,
        "amount": "1250.50",
        "currency": "CAD",
        "issued_on": "2026-10-01",
        "due_on": "2026-10-31",
    }
    body.update(overrides)
    return body


class TestCreate:
    def test_amount_is_stored_in_minor_units(self, api: Api) -> None:
        """A decimal-string amount is stored as integer cents and read back unchanged."""
        client_id = make_client(api)
        created = api.post("/v1/invoices", role=Role.BILLING, json=invoice_body(client_id))
        assert created.status_code == 201, created.text
        body = created.json()
        assert (body["amount_minor"], body["amount"], body["state"]) == (125050, "1250.50", "open")
        assert api.get(created.headers["Location"]).json()["number"] == "INV-1001"

    def test_bad_input_is_refused_and_changes_nothing(self, api: Api) -> None:
        """A duplicate number is 409; too many decimals, an unknown currency or client are 422; nothing is added."""
        client_id = make_client(api)
        assert api.post("/v1/invoices", json=invoice_body(client_id)).status_code == 201
        assert api.post("/v1/invoices", json=invoice_body(client_id)).status_code == 409
        bad = [
            invoice_body(client_id, number="X-1", amount="10.005"),
            invoice_body(client_id, number="X-2", currency="XYZ"),
            invoice_body(client_id, number="X-3", amount="-5"),
            invoice_body("no-such-client", number="X-4"),
            invoice_body(client_id, number="X-5", due_on="2026-09-01"),
        ]
        for body in bad:
            response = api.post("/v1/invoices", json=body)
            assert response.status_code == 422, (body, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
        assert [i["number"] for i in api.get("/v1/invoices").json()["items"]] == ["INV-1001"]

    def test_roles(self, api: Api) -> None:
        """Billing may record invoices; an auditor may only read them."""
        client_id = make_client(api)
        assert api.post("/v1/invoices", role=Role.AUDITOR, json=invoice_body(client_id)).status_code == 403
        assert api.get("/v1/invoices", role=Role.AUDITOR).status_code == 200


class TestStateChanges:
    def test_dispute_pause_promise_and_payment(self, api: Api) -> None:
        """PATCH sets and clears a dispute (with its reason), and paid_on makes the invoice paid; filters follow."""
        client_id = make_client(api)
        invoice = api.post("/v1/invoices", json=invoice_body(client_id)).json()
        other = api.post("/v1/invoices", json=invoice_body(client_id, number="INV-1002")).json()
        url = f"/v1/invoices/{invoice['id']}"
        disputed = api.patch(url, json={"dispute": {"reason": "Hours billed twice", "since": "2026-11-02"}})
        assert disputed.status_code == 200, disputed.text
        assert (disputed.json()["state"], disputed.json()["dispute_reason"]) == ("disputed", "Hours billed twice")
        listed = api.get(f"/v1/invoices?client_id={client_id}&state=disputed").json()["items"]
        assert [i["number"] for i in listed] == ["INV-1001"]
        assert api.patch(url, json={"dispute": None}).json()["state"] == "open"
        assert api.patch(url, json={"paused_until": "2027-01-01"}).json()["state"] == "paused"
        assert api.patch(url, json={"paused_until": None, "paid_on": "2026-11-20"}).json()["state"] == "paid"
        assert [i["number"] for i in api.get("/v1/invoices?state=paid").json()["items"]] == ["INV-1001"]
        assert [i["number"] for i in api.get("/v1/invoices?state=open").json()["items"]] == [other["number"]]

    def test_unknown_fields_and_invoices_are_refused(self, api: Api) -> None:
        """An unknown field is 422 and an unknown invoice 404."""
        client_id = make_client(api)
        invoice = api.post("/v1/invoices", json=invoice_body(client_id)).json()
        assert api.patch(f"/v1/invoices/{invoice['id']}", json={"amount": "1.00"}).status_code == 422
        assert api.patch("/v1/invoices/nope", json={"paid_on": "2026-11-01"}).status_code == 404
