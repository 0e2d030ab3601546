"""Clients' external ids over HTTP, and ``POST /v1/invoices`` naming its client by one of them."""

from __future__ import annotations

from domain.roles import Role
from tests.api.test_invoices import invoice_body, make_client
from tests.conftest import Api


def by_external(system: str, external_id: str, **overrides: object) -> dict[str, object]:
    """An invoice body that names its client by an external id."""
    body = invoice_body("unused", **overrides)
    del body["client_id"]
    body["client_external_id"] = {"system": system, "id": external_id}
    return body


class TestExternalIds:
    def test_set_and_read_back(self, api: Api) -> None:
        """PUT stores the PSA, QuickBooks and Xero ids; GET returns them, unset ones null."""
        client_id = make_client(api)
        ids = {"psa": "CW-1042", "quickbooks": "Northwind Dental", "xero": None}
        put = api.put(f"/v1/clients/{client_id}/external-ids", json=ids)
        assert put.status_code == 200, put.text
        assert api.get(f"/v1/clients/{client_id}/external-ids", role=Role.AUDITOR).json() == ids

    def test_an_id_held_by_another_client_is_409(self, api: Api) -> None:
        """Two clients cannot share one QuickBooks customer (matched without regard to case)."""
        first = make_client(api)
        second = make_client(api, legal_name="Second Co Ltd.")
        assert api.put(f"/v1/clients/{first}/external-ids", json={"quickbooks": "Acme"}).status_code == 200
        clash = api.put(f"/v1/clients/{second}/external-ids", json={"quickbooks": "ACME"})
        assert clash.status_code == 409
        assert api.get(f"/v1/clients/{second}/external-ids").json()["quickbooks"] is None

    def test_unknown_client_and_unknown_system_are_refused(self, api: Api) -> None:
        """An unknown client is 404; an unknown system is a 422 naming the field."""
        assert api.put("/v1/clients/nope/external-ids", json={"psa": "1"}).status_code == 404
        client_id = make_client(api)
        bad = api.put(f"/v1/clients/{client_id}/external-ids", json={"connectwise": "1"})
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["pointer"] == "/connectwise"


class TestInvoiceByExternalId:
    def test_invoice_names_its_client_by_xero_contact(self, api: Api) -> None:
        """An invoice posted with a Xero contact name is recorded for the client holding that name."""
        client_id = make_client(api)
        api.put(f"/v1/clients/{client_id}/external-ids", json={"xero": "Northwind Dental Clinic"})
        created = api.post("/v1/invoices", role=Role.BILLING, json=by_external("xero", "northwind  dental clinic"))
        assert created.status_code == 201, created.text
        assert created.json()["client_id"] == client_id

    def test_unknown_external_id_is_422_and_nothing_is_stored(self, api: Api) -> None:
        """An external id no client holds is a 422 pointing at client_external_id; no invoice is stored."""
        make_client(api)
        response = api.post("/v1/invoices", json=by_external("psa", "CW-404"))
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/client_external_id"
        assert "PSA id 'CW-404'" in response.json()["detail"]
        assert api.get("/v1/invoices").json()["items"] == []

    def test_both_or_neither_client_field_is_422(self, api: Api) -> None:
        """Naming the client twice, or not at all, is refused."""
        client_id = make_client(api)
        both = by_external("psa", "1")
        both["client_id"] = client_id
        neither = invoice_body(client_id)
        del neither["client_id"]
        for body in (both, neither):
            response = api.post("/v1/invoices", json=body)
            assert response.status_code == 422
            assert "exactly one of client_id and client_external_id" in response.text
