"""The auditor pages: every view recorded, chain verification, documents and bundles that verify, no writes."""

from __future__ import annotations

from pathlib import Path

from fastapi.routing import APIRoute

from api.console import audit, billing, sales, tech
from domain.audit import certificate_fingerprint
from domain.roles import Role
from tests.api.console.conftest import Staff
from tests.api.console.test_sales import add_client, msa_form
from tests.api.test_audit import events
from tests.api.test_evidence import clean_verifier, unpack
from tests.conftest import Api
from undersign.runtime import Runtime


class TestAuditorPages:
    def test_search_and_verify_are_recorded_reads(self, staff: Staff, api: Api) -> None:
        """An event search and a verification are shown, and each page view is an auditor.read event."""
        client_id = add_client(staff)
        found = staff.get(f"/console/audit?subject=client:{client_id}", Role.AUDITOR)
        assert found.status_code == 200 and "client.created" in found.text
        verdict = staff.get("/console/audit/verify", Role.AUDITOR, headers={"HX-Request": "true"})
        assert "The chain verifies." in verdict.text and "<html" not in verdict.text
        reads = events(api, "action=auditor.read")["items"]
        assert [r["payload"]["path"] for r in reads[::-1]] == ["/console/audit", "/console/audit/verify"]
        bad_days = staff.get("/console/audit?from=2026-05-02&to=2026-05-01", Role.AUDITOR)
        assert bad_days.status_code == 422

    def test_document_page_and_bundle_that_verifies(
        self, staff: Staff, api: Api, runtime: Runtime, tmp_path: Path
    ) -> None:
        """A document's versions are listed with hashes; the client's bundle passes the standalone verifier."""
        client_id = add_client(staff)
        created = staff.post("/console/sales/contracts", Role.SALES, msa_form(runtime, client_id))
        document_id = created.headers["location"].split("/")[-1]
        page = staff.get(f"/console/audit/documents/{document_id}", Role.AUDITOR)
        sha = api.get(f"/v1/documents/{document_id}/versions/1").json()["files"][0]["sha256"]
        assert page.status_code == 200 and sha in page.text and "Never sent." in page.text
        listing = staff.get(f"/console/audit/documents?client_id={client_id}", Role.AUDITOR)
        assert f"/console/audit/evidence/client/{client_id}.zip" in listing.text
        bundle = staff.get(f"/console/audit/evidence/client/{client_id}.zip", Role.AUDITOR)
        assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/zip"
        folder = unpack(bundle.content, tmp_path / "bundle")
        result = clean_verifier(folder, certificate_fingerprint(runtime.service_key.certificate), tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr

    def test_no_console_write_is_open_to_an_auditor(self, staff: Staff) -> None:
        """Every POST route of the role pages answers an auditor (with a valid CSRF token) with 403."""
        writes = [
            "/console" + route.path.replace("{", "").replace("}", "")
            for area in (sales, tech, billing, audit)
            for route in area.router.routes
            if isinstance(route, APIRoute) and "POST" in (route.methods or set())
        ]
        assert len(writes) >= 9
        for path in writes:
            if path.endswith("preview"):
                continue  # a preview stores nothing; every role may read
            assert staff.post(path, Role.AUDITOR, {"x": "1"}).status_code == 403, path
