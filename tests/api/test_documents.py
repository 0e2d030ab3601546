"""The /v1/documents and /v1/templates resources: create, version, download exact bytes, compare, refuse."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from domain.roles import Role
from tests.api.test_clients import client_body
from tests.conftest import Api
from undersign.runtime import Runtime
from undersign.settings import REPO_ROOT

SAMPLES = REPO_ROOT / "templates"


def sample(template: str, name: str) -> dict[str, Any]:
    """Return the variables of a shipped sample."""
    data: dict[str, Any] = json.loads((SAMPLES / template / "samples" / f"{name}.json").read_text())
    return data


def make_client(api: Api) -> str:
    """Create a client and return its id."""
    response = api.post("/v1/clients", json=client_body())
    assert response.status_code == 201, response.text
    client_id: str = response.json()["id"]
    return client_id


def documents_stored(api: Api) -> int:
    """Return how many documents the API lists."""
    return len(api.get("/v1/documents?limit=200").json()["items"])


def create_msa(api: Api, client_id: str, variables: dict[str, Any], role: Role = Role.SALES) -> Any:
    """POST an MSA for ``client_id`` in PDF and DOCX."""
    return api.post(
        "/v1/documents",
        role=role,
        json={"template": "msa/msa", "client_id": client_id, "variables": variables, "formats": ["pdf", "docx"]},
    )


class TestTemplates:
    def test_list_names_every_shipped_template(self, api: Api) -> None:
        """GET /v1/templates lists the MSA, the SLA schedule, the waiver and the notices with versions."""
        ids = {t["id"] for t in api.get("/v1/templates", role=Role.AUDITOR).json()}
        assert {"msa/msa", "msa/sla-schedule", "waivers/decline-of-service", "notices/final-notice"} <= ids

    def test_detail_has_schema_and_clause_versions(self, api: Api) -> None:
        """GET /v1/templates/msa/msa shows the variables schema and each slot's clause ids, versions, conditions."""
        detail = api.get("/v1/templates/msa/msa").json()
        assert detail["variables"]["type"] == "object"
        clauses = [v for slot in detail["slots"] for v in slot["variants"]]
        governing = [v for v in clauses if v["clause"].startswith("msa.governing-law.")]
        assert {v["clause"] for v in governing} == {
            "msa.governing-law.us",
            "msa.governing-law.ca-bc",
            "msa.governing-law.gb-ewc",
        }
        assert all(v["when"] and len(v["sha256"]) == 64 for v in governing)

    def test_unknown_template_is_404(self, api: Api) -> None:
        """An unknown template id is a 404 problem."""
        assert api.get("/v1/templates/msa/nothing").status_code == 404

    def test_preview_is_html_and_stores_nothing(self, api: Api) -> None:
        """The preview answers HTML containing the client's name and stores no document."""
        client_id = make_client(api)
        response = api.post(
            "/v1/templates/msa/msa/preview",
            json={"client_id": client_id, "variables": sample("msa/msa", "us-tx-monthly")},
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/html")
        assert "Northwind Dental Clinic Ltd." in response.text
        assert documents_stored(api) == 0


class TestCreate:
    def test_create_files_pdf_and_docx_and_serves_exact_bytes(self, api: Api, runtime: Runtime) -> None:
        """A new MSA answers 201 with version 1 and, per file, size, sha256 and storage version id; downloads match."""
        client_id = make_client(api)
        created = create_msa(api, client_id, sample("msa/msa", "us-tx-monthly"))
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["version"] == 1
        assert [f["format"] for f in body["files"]] == ["pdf", "docx"]
        for file in body["files"]:
            download = api.get(file["url"], role=Role.AUDITOR)
            assert download.status_code == 200
            assert hashlib.sha256(download.content).hexdigest() == file["sha256"]
            assert len(download.content) == file["size"]
            assert download.headers["etag"] == f'"{file["sha256"]}"'
            assert file["version_id"]
            again = api.get(file["url"], headers={"If-None-Match": download.headers["etag"]})
            assert again.status_code == 304
        pdf = api.get(body["files"][0]["url"]).content
        assert pdf.startswith(b"%PDF-")

    def test_version_records_template_clauses_data_and_libraries(self, api: Api) -> None:
        """A version records the template version, every clause id/version/hash, the input data and library versions."""
        client_id = make_client(api)
        variables = sample("msa/msa", "ca-bc-retainer")
        document_id = create_msa(api, client_id, variables).json()["id"]
        version = api.get(f"/v1/documents/{document_id}/versions/1").json()
        assert version["template"] == "msa/msa" and version["template_version"]
        assert version["variables"] == variables
        ids = [c["id"] for c in version["clauses"]]
        assert "msa.governing-law.ca-bc" in ids and "msa.governing-law.us" not in ids
        assert all(len(c["sha256"]) == 64 and c["version"] for c in version["clauses"])
        assert "weasyprint" in version["library_versions"]
        roles = {box["role"] for box in version["signature_boxes"]}
        assert roles == {"client", "msp"}

    def test_rerender_of_stored_version_gives_same_sha256(self, api: Api, runtime: Runtime) -> None:
        """Rendering a stored version again from its record gives byte-identical PDF and DOCX."""
        from storage.database import unit_of_work
        from undersign.service_factory import ServiceFactory

        client_id = make_client(api)
        body = create_msa(api, client_id, sample("msa/msa", "gb-eng-prepaid-hours")).json()
        with unit_of_work(runtime.sessions) as session:
            result = ServiceFactory(session, runtime).documents().rerender(body["id"], 1)
        stored = {f["format"]: f["sha256"] for f in body["files"]}
        again = {fmt.value: hashlib.sha256(data).hexdigest() for fmt, data in result.files.items()}
        assert again == stored

    def test_pdf_passes_qpdf_check(self, api: Api, tmp_path: Path) -> None:
        """The stored PDF passes `qpdf --check`."""
        client_id = make_client(api)
        body = create_msa(api, client_id, sample("msa/msa", "us-tx-monthly")).json()
        path = tmp_path / "msa.pdf"
        path.write_bytes(api.get(body["files"][0]["url"]).content)
        check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, check=False)
        assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()


class TestVersions:
    def test_variant_switch_makes_new_version_whose_diff_names_that_clause(self, api: Api) -> None:
        """Switching the payment model makes version 2; its diff names only the billing clause, version 1 is kept."""
        client_id = make_client(api)
        first = sample("msa/msa", "us-tx-monthly")
        document_id = create_msa(api, client_id, first).json()["id"]
        second = json.loads(json.dumps(first))
        second["payment_model"] = sample("msa/msa", "ca-bc-retainer")["payment_model"]
        created = api.post(f"/v1/documents/{document_id}/versions", json={"variables": second, "formats": ["pdf"]})
        assert created.status_code == 201, created.text
        assert created.json()["version"] == 2
        diff = api.get(f"/v1/documents/{document_id}/versions/2/diff?against=1").json()
        assert [c["id"] for c in diff["removed"]] == ["msa.billing.monthly-in-advance"]
        assert [c["id"] for c in diff["added"]] == ["msa.billing.retainer"]
        assert diff["changed"] == []
        html = api.get(f"/v1/documents/{document_id}/versions/2/diff?against=1&format=html")
        assert html.headers["content-type"].startswith("text/html")
        assert "msa.billing.retainer" in html.text
        document = api.get(f"/v1/documents/{document_id}").json()
        assert [v["version"] for v in document["versions"]] == [1, 2]
        assert api.get(f"/v1/documents/{document_id}/versions/1").json()["variables"] == first

    def test_listing_filters_by_client_template_and_kind(self, api: Api) -> None:
        """GET /v1/documents filters by client, template and kind."""
        client_id = make_client(api)
        create_msa(api, client_id, sample("msa/msa", "us-tx-monthly"))
        assert len(api.get(f"/v1/documents?client_id={client_id}").json()["items"]) == 1
        assert len(api.get("/v1/documents?kind=notice").json()["items"]) == 0
        assert len(api.get("/v1/documents?template=msa/msa").json()["items"]) == 1


class TestRefusals:
    def test_unknown_template_is_404_and_stores_nothing(self, api: Api) -> None:
        """Creating from an unknown template is a 404 and nothing is stored."""
        client_id = make_client(api)
        response = api.post("/v1/documents", json={"template": "msa/unknown", "client_id": client_id})
        assert response.status_code == 404
        assert documents_stored(api) == 0

    def test_every_bad_variable_is_listed_in_one_422(self, api: Api) -> None:
        """Missing and invalid variables are all listed with JSON pointers in one 422; nothing is stored."""
        client_id = make_client(api)
        variables = sample("msa/msa", "us-tx-monthly")
        del variables["effective_date"]
        variables["currency"] = "DOLLARS"
        variables["term"]["initial_months"] = -3
        response = create_msa(api, client_id, variables)
        assert response.status_code == 422, response.text
        pointers = {e["pointer"] for e in response.json()["errors"]}
        assert {"/effective_date", "/currency", "/term/initial_months"} <= pointers
        assert documents_stored(api) == 0

    def test_unknown_client_is_422(self, api: Api) -> None:
        """A client id that does not exist is a 422 naming /client_id."""
        response = create_msa(api, "no-such-client", sample("msa/msa", "us-tx-monthly"))
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/client_id"

    @pytest.mark.parametrize(("role", "allowed"), [(Role.SALES, True), (Role.BILLING, False), (Role.AUDITOR, False)])
    def test_who_may_create_contracts(self, api: Api, role: Role, allowed: bool) -> None:
        """Sales may create an MSA; billing and auditors get 403 and nothing is stored."""
        client_id = make_client(api)
        response = create_msa(api, client_id, sample("msa/msa", "us-tx-monthly"), role=role)
        assert response.status_code == (201 if allowed else 403)
        assert documents_stored(api) == (1 if allowed else 0)

    def test_page_budget_exceeded_is_a_problem_and_stores_nothing(self, api: Api, runtime: Runtime) -> None:
        """A render longer than the page budget is a 422 problem (not a 500) and nothing is stored."""
        runtime.settings.render.max_pages = 2
        client_id = make_client(api)
        response = create_msa(api, client_id, sample("msa/msa", "us-tx-monthly"))
        assert response.status_code == 422, response.text
        assert response.json()["type"].endswith("render-budget-exceeded")
        assert documents_stored(api) == 0

    def test_time_budget_exceeded_is_a_problem_and_the_pool_recovers(self, api: Api, runtime: Runtime) -> None:
        """A render past its time budget is stopped with a 422 problem; the next render works."""
        client_id = make_client(api)
        runtime.settings.render.timeout_seconds = 0.05
        response = create_msa(api, client_id, sample("msa/msa", "us-tx-monthly"))
        assert response.status_code == 422, response.text
        assert "longer than" in response.json()["detail"]
        runtime.settings.render.timeout_seconds = 120
        assert create_msa(api, client_id, sample("msa/msa", "us-tx-monthly")).status_code == 201
        assert documents_stored(api) == 1


class TestPaper:
    def test_canadian_client_gets_letter_and_request_can_ask_for_a4(self, api: Api) -> None:
        """A CA-BC client's MSA is on Letter (pdfinfo); `paper: a4` gives A4, and the next version keeps it."""
        client_id = make_client(api)
        variables = sample("msa/msa", "ca-bc-retainer")
        letter = create_msa(api, client_id, variables).json()
        assert _page_size(api.get(letter["files"][0]["url"]).content) == "612 x 792"
        body = {"template": "msa/msa", "client_id": client_id, "variables": variables, "paper": "a4"}
        a4 = api.post("/v1/documents", json=body)
        assert a4.status_code == 201, a4.text
        assert _page_size(api.get(a4.json()["files"][0]["url"]).content).startswith("595.")
        again = api.post(f"/v1/documents/{a4.json()['id']}/versions", json={"variables": variables})
        assert again.status_code == 201, again.text
        assert _page_size(api.get(again.json()["files"][0]["url"]).content).startswith("595.")

    def test_unknown_paper_is_422(self, api: Api) -> None:
        """A paper other than a4 or letter is refused with a problem naming the field, and nothing is stored."""
        client_id = make_client(api)
        before = documents_stored(api)
        body = {"template": "msa/msa", "client_id": client_id, "variables": {}, "paper": "legal"}
        response = api.post("/v1/documents", json=body)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "paper" in response.text
        assert documents_stored(api) == before


def _page_size(pdf: bytes) -> str:
    """Return pdfinfo's 'W x H' page size of the first page, in points."""
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    line = next(line for line in info.splitlines() if line.startswith("Page size:"))
    return line.split(":", 1)[1].split(" pts")[0].strip()
