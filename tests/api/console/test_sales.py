"""The sales pages: clients, a contract from the template's form with its preview, versions, redline, sending."""

from __future__ import annotations

from typing import Any

from api.console.sales import NOT_ASKED
from api.console.views import schema_form_for
from domain.roles import Role
from domain.schema_form import form_values
from tests.api.console.conftest import Staff
from tests.api.test_documents import sample
from tests.conftest import Api
from undersign.runtime import Runtime

CLIENT_FORM = {
    "legal_name": "Harbour Dental Group LLC",
    "short_name": "Harbour Dental",
    "address": "12 Harbour Street, Austin TX",
    "jurisdiction": "US-TX",
    "billing_email": "ap@harbour.example",
    "primary_contact.name": "Marcus Lee",
    "primary_contact.title": "Owner",
    "primary_contact.email": "marcus@harbour.example",
    "notes": "",
}


def clients(api: Api) -> list[dict[str, Any]]:
    """Return every client the API lists."""
    items: list[dict[str, Any]] = api.get("/v1/clients?limit=200").json()["items"]
    return items


def add_client(staff: Staff, **changes: str) -> str:
    """Add a client through the console as sales and return its id."""
    response = staff.post("/console/sales/clients", Role.SALES, {**CLIENT_FORM, **changes})
    assert response.status_code == 303, response.text
    return response.headers["location"].split("/")[-1].split("?")[0]


def msa_form(runtime: Runtime, client_id: str, sample_name: str = "us-tx-monthly", **changes: str) -> dict[str, str]:
    """Return the MSA form filled in as a person would from a shipped sample."""
    manifest = runtime.templates.get("msa/msa")
    values = form_values(schema_form_for(manifest, NOT_ASKED).items, sample("msa/msa", sample_name))
    return {**values, "template": "msa/msa", "client_id": client_id, **changes}


class TestClients:
    def test_add_search_and_edit(self, staff: Staff, api: Api) -> None:
        """A client added on the page is stored, found by the search (an htmx search gets only the rows), and edited."""
        client_id = add_client(staff)
        page = staff.get(f"/console/sales/clients/{client_id}", Role.SALES)
        assert page.status_code == 200 and "Harbour Dental Group LLC" in page.text
        found = staff.get("/console/sales?q=harbour", Role.SALES, headers={"HX-Request": "true"})
        assert "Harbour Dental Group LLC" in found.text and "<html" not in found.text
        assert "No client\u2019s name contains" in staff.get("/console/sales?q=zzz", Role.SALES).text
        edited = staff.post(f"/console/sales/clients/{client_id}", Role.SALES, {**CLIENT_FORM, "short_name": "HDG"})
        assert edited.status_code == 303
        assert api.get(f"/v1/clients/{client_id}").json()["short_name"] == "HDG"

    def test_bad_entry_is_shown_with_messages_and_nothing_is_stored(self, staff: Staff, api: Api) -> None:
        """A missing name and a bad e-mail re-render the form with a message per field; no client is stored."""
        response = staff.post(
            "/console/sales/clients", Role.SALES, {**CLIENT_FORM, "legal_name": "", "billing_email": "not-an-address"}
        )
        assert response.status_code == 422
        assert "Some fields need changing" in response.text
        assert 'id="f-legal_name-error"' in response.text and 'id="f-billing_email-error"' in response.text
        assert 'value="Harbour Dental"' in response.text  # what was typed is kept
        assert clients(api) == []

    def test_duplicate_name_is_refused_in_words(self, staff: Staff, api: Api) -> None:
        """A second client with the same legal name in the same place is refused with the service's message."""
        add_client(staff)
        again = staff.post("/console/sales/clients", Role.SALES, CLIENT_FORM)
        assert again.status_code == 422 and "already exists in US-TX" in again.text
        assert len(clients(api)) == 1

    def test_forbidden_role_and_missing_csrf_are_refused(self, staff: Staff, api: Api) -> None:
        """An auditor's post is refused with 403, and so is a sales post without its CSRF token; nothing is stored."""
        assert staff.post("/console/sales/clients", Role.AUDITOR, CLIENT_FORM).status_code == 403
        assert staff.post("/console/sales/clients", Role.SALES, CLIENT_FORM, csrf=False).status_code == 403
        assert clients(api) == []


class TestContracts:
    def test_form_is_generated_from_the_schema_with_variants_explained(self, staff: Staff, runtime: Runtime) -> None:
        """The MSA form has the schema's fields and, per governing-law and billing choice, the clauses it picks."""
        client_id = add_client(staff)
        choose = staff.get(f"/console/sales/contracts/new?client_id={client_id}", Role.SALES)
        assert "Master Services Agreement" in choose.text and "Order" in choose.text
        page = staff.get(f"/console/sales/contracts/new?client_id={client_id}&template=msa/msa", Role.SALES)
        assert page.status_code == 200
        assert 'name="term.initial_months"' in page.text and 'name="governing_law.country"' in page.text
        assert 'name="payment_model@retainer.retainer_amount"' in page.text
        assert "This choice puts these clauses in the document" in page.text
        assert "frame-src 'self'" in page.headers["content-security-policy"]

    def test_preview_renders_the_answers_and_stores_nothing(self, staff: Staff, api: Api, runtime: Runtime) -> None:
        """Preview returns the contract's HTML with the client's name and chosen terms; no document is filed."""
        client_id = add_client(staff)
        shown = staff.post("/console/sales/contracts/preview", Role.SALES, msa_form(runtime, client_id))
        assert shown.status_code == 200, shown.text
        assert "Harbour Dental Group LLC" in shown.text and "Texas" in shown.text
        assert "frame-ancestors 'self'" in shown.headers["content-security-policy"]
        bad = staff.post(
            "/console/sales/contracts/preview", Role.SALES, msa_form(runtime, client_id, **{"term.initial_months": "x"})
        )
        assert "is not a number" in bad.text and "Term \u203a initial months" in bad.text
        assert api.get(f"/v1/documents?client_id={client_id}").json()["items"] == []

    def test_create_version_compare_and_send(self, staff: Staff, api: Api, runtime: Runtime) -> None:
        """Create v1 from the form, v2 with a longer term, see the redline, and send v2 to two signers."""
        client_id = add_client(staff)
        created = staff.post("/console/sales/contracts", Role.SALES, msa_form(runtime, client_id))
        assert created.status_code == 303, created.text
        document_id = created.headers["location"].split("/")[-1]
        stored = api.get(f"/v1/documents/{document_id}/versions/1").json()
        assert stored["variables"] == sample("msa/msa", "us-tx-monthly")
        form = msa_form(runtime, client_id, **{"term.initial_months": "24"})
        assert staff.post(f"/console/sales/documents/{document_id}/versions", Role.SALES, form).status_code == 303
        redline = staff.get(f"/console/sales/documents/{document_id}/compare?old=1&new=2", Role.SALES)
        assert redline.status_code == 200 and "<ins>" in redline.text and "24" in redline.text
        sent = staff.post(
            f"/console/sales/documents/{document_id}/send",
            Role.SALES,
            {
                "client_name": "Marcus Lee",
                "client_title": "Owner",
                "client_email": "marcus@harbour.example",
                "msp_name": "Sam Seller",
                "msp_title": "Account Manager",
                "msp_email": "sam@msp.example",
            },
        )
        assert sent.status_code == 303, sent.text
        envelope_id = sent.headers["location"].split("/")[-1]
        envelope = api.get(f"/v1/envelopes/{envelope_id}").json()
        assert (envelope["status"], envelope["version"]) == ("sent", 2)
        assert [s["email"] for s in envelope["signers"]] == ["marcus@harbour.example", "sam@msp.example"]
        status = staff.get(f"/console/sales/envelopes/{envelope_id}", Role.SALES, headers={"HX-Request": "true"})
        assert "Waiting for signatures" in status.text and "Sent for signature" in status.text

    def test_bad_contract_and_bad_signers_change_nothing(self, staff: Staff, api: Api, runtime: Runtime) -> None:
        """A missing required answer, or a signer with a bad address, re-renders with messages; nothing is filed."""
        client_id = add_client(staff)
        refused = staff.post("/console/sales/contracts", Role.SALES, msa_form(runtime, client_id, currency=""))
        assert refused.status_code == 422 and 'id="f-currency-error"' in refused.text
        assert api.get(f"/v1/documents?client_id={client_id}").json()["items"] == []
        created = staff.post("/console/sales/contracts", Role.SALES, msa_form(runtime, client_id))
        document_id = created.headers["location"].split("/")[-1]
        bad = staff.post(
            f"/console/sales/documents/{document_id}/send",
            Role.SALES,
            {"client_name": "Marcus Lee", "client_email": "nope", "msp_name": "Sam", "msp_email": "sam@msp.example"},
        )
        assert bad.status_code == 422 and 'id="f-client_email-error"' in bad.text
        assert api.get(f"/v1/envelopes?client_id={client_id}").json() == []

    def test_writes_need_their_permission(self, staff: Staff, api: Api, runtime: Runtime) -> None:
        """Billing may not create contracts and an auditor may not send one: 403 from the server, nothing filed."""
        client_id = add_client(staff)
        assert staff.post("/console/sales/contracts", Role.BILLING, msa_form(runtime, client_id)).status_code == 403
        created = staff.post("/console/sales/contracts", Role.SALES, msa_form(runtime, client_id))
        document_id = created.headers["location"].split("/")[-1]
        refused = staff.post(
            f"/console/sales/documents/{document_id}/send",
            Role.AUDITOR,
            {"client_name": "A", "client_email": "a@b.example", "msp_name": "B", "msp_email": "b@b.example"},
        )
        assert refused.status_code == 403
        assert api.get(f"/v1/envelopes?client_id={client_id}").json() == []
