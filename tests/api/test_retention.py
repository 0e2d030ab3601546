"""Retention that matches the record: notices locked on issue, COMPLIANCE in production, legal holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from domain.documents import FileFormat
from domain.roles import Role
from storage.database import unit_of_work
from storage.document_repository import SqlDocumentRepository
from storage.signed_document_repository import SqlSignedDocumentRepository
from tests.api.test_audit import events
from tests.api.test_documents import create_msa, make_client, sample
from tests.api.test_evidence import settings, smtp, two_signer_msa  # noqa: F401 - the mail fixtures
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import Runtime
from undersign.settings import Mode, Settings


def lock_of(runtime: Runtime, document_id: str) -> Any:
    """Return what the object store reports for version 1's PDF of a document."""
    with unit_of_work(runtime.sessions) as session:
        version = SqlDocumentRepository(session).get_version(document_id, 1)
    assert version is not None
    pdf = version.file(FileFormat.PDF)
    assert pdf is not None
    return runtime.blob_store.head(pdf.blob.key, pdf.blob.version_id)  # type: ignore[attr-defined]


def notice(api: Api, client_id: str) -> str:
    """Issue a payment reminder for the client; return the document id."""
    created = api.post(
        "/v1/documents",
        role=Role.BILLING,
        json={
            "template": "notices/reminder",
            "client_id": client_id,
            "variables": sample("notices/reminder", "day-07"),
        },
    )
    assert created.status_code == 201, created.text
    document_id: str = created.json()["id"]
    return document_id


class TestLockedOnIssue:
    def test_issued_notice_is_under_object_lock_but_a_draft_contract_is_not(self, api: Api, runtime: Runtime) -> None:
        """A notice proves notice was given, so it is locked when filed; an unsigned draft contract is not."""
        client_id = make_client(api)
        head = lock_of(runtime, notice(api, client_id))
        s3 = runtime.settings.s3
        assert head.retention_mode == s3.retention_mode
        assert head.retain_until.year == runtime.clock.now().year + s3.notice_retention_years
        draft = create_msa(api, client_id, sample("msa/msa", "us-tx-monthly"))
        assert lock_of(runtime, draft.json()["id"]).retention_mode is None


class TestComplianceInProduction:
    def test_production_defaults_to_compliance_and_says_so(self, tmp_path: Path) -> None:
        """Production locks in COMPLIANCE unless GOVERNANCE is chosen explicitly; the start-up line says which."""
        production: dict[str, Any] = {
            "mode": Mode.PRODUCTION,
            "database": {"url": "postgresql+psycopg://u:p@db/undersign"},
            "signing": {
                "pkcs12_path": tmp_path / "seal.p12",
                "pkcs12_password": "a-long-password",
                "tsa_url": "https://tsa.example/tsr",
                "tsa_roots_path": tmp_path / "tsa-roots.pem",
                "paper_copy_contact": "contracts@msp.example",
            },
            "mail": {"smtp_host": "smtp.example", "sender": "Acme IT <contracts@acme.example>"},
            "dunning": {"contact_email": "billing@msp.example", "portal_url": "https://pay.msp.example/"},
        }
        s3 = {"endpoint_url": "https://s3.example", "access_key": "AKIA123", "secret_key": "k" * 40}
        defaulted = Settings(**production, s3=s3)
        assert defaulted.s3.retention_mode == "COMPLIANCE"
        assert "COMPLIANCE mode (the production default)" in defaulted.retention_notice()
        chosen = Settings(**production, s3={**s3, "retention_mode": "GOVERNANCE"})
        assert chosen.s3.retention_mode == "GOVERNANCE" and "set explicitly" in chosen.retention_notice()
        assert Settings(mode=Mode.DEVELOPMENT).s3.retention_mode == "GOVERNANCE"


class TestLegalHold:
    def test_hold_on_client_and_document_then_release_keeps_what_the_other_still_holds(
        self, api: Api, runtime: Runtime
    ) -> None:
        """Held versions carry the store's legal hold until the last hold covering them is released; all recorded."""
        client_id = make_client(api)
        document_id = notice(api, client_id)
        assert lock_of(runtime, document_id).legal_hold is False
        placed = api.post(
            "/v1/legal-holds",
            json={"subject_type": "client", "subject_id": client_id, "reason": "Claim 2026-114 (data loss)"},
        )
        assert placed.status_code == 201, placed.text
        assert lock_of(runtime, document_id).legal_hold is True
        again = api.post("/v1/legal-holds", json={"subject_type": "client", "subject_id": client_id, "reason": "twice"})
        assert again.status_code == 409
        on_document = api.post(
            "/v1/legal-holds", json={"subject_type": "document", "subject_id": document_id, "reason": "Subpoena 7"}
        )
        assert on_document.status_code == 201, on_document.text

        released = api.post(f"/v1/legal-holds/{placed.json()['id']}/release", json={"reason": "Claim settled"})
        assert released.status_code == 200 and released.json()["active"] is False
        assert lock_of(runtime, document_id).legal_hold is True  # the document's own hold still covers it
        api.post(f"/v1/legal-holds/{on_document.json()['id']}/release", json={"reason": "Subpoena answered"})
        assert lock_of(runtime, document_id).legal_hold is False

        listed = api.get(f"/v1/legal-holds?subject_type=client&subject_id={client_id}", role=Role.AUDITOR).json()
        assert [(h["reason"], h["release_reason"]) for h in listed] == [("Claim 2026-114 (data loss)", "Claim settled")]
        actions = [e["action"] for e in events(api, f"subject=client:{client_id}")["items"]]
        assert actions.count("legal_hold.placed") == 2 and actions.count("legal_hold.released") == 2

    @pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
    def test_bad_hold_requests_change_nothing(self, api: Api, runtime: Runtime) -> None:
        """No reason, an unknown subject, a reader's key or a second release are refused as problems."""
        client_id = make_client(api)
        document_id = notice(api, client_id)
        body = {"subject_type": "client", "subject_id": client_id, "reason": "   "}
        refused = api.post("/v1/legal-holds", json=body)
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
        assert "reason" in refused.text
        unknown = api.post("/v1/legal-holds", json={**body, "subject_id": "nope", "reason": "x"})
        assert unknown.status_code == 404 and "No client with id 'nope'" in unknown.json()["detail"]
        assert api.post("/v1/legal-holds", role=Role.AUDITOR, json={**body, "reason": "x"}).status_code == 403
        assert api.post("/v1/legal-holds", json={**body, "subject_type": "planet"}).status_code == 422
        assert lock_of(runtime, document_id).legal_hold is False
        assert api.get(f"/v1/legal-holds?subject_type=client&subject_id={client_id}").json() == []
        hold = api.post("/v1/legal-holds", json={**body, "reason": "x"}).json()
        assert api.post(f"/v1/legal-holds/{hold['id']}/release", json={"reason": "done"}).status_code == 200
        assert api.post(f"/v1/legal-holds/{hold['id']}/release", json={"reason": "done"}).status_code == 409


class TestRetentionFromTheEnd:
    def test_relationship_end_extends_sealed_contract_locks_and_never_shortens_them(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """A really signed MSA is kept contract-years after the relationship ends; an earlier end changes nothing."""
        envelope = two_signer_msa(api, smtp)
        with unit_of_work(runtime.sessions) as session:
            sealed = SqlSignedDocumentRepository(session).by_envelope(envelope["id"])
        assert sealed is not None
        store: Any = runtime.blob_store
        before = store.head(sealed.sealed.key, sealed.sealed.version_id).retain_until
        years = runtime.settings.s3.contract_retention_years
        url = f"/v1/retention/clients/{envelope['client_id']}"
        ends = f"{runtime.clock.now().year + 3}-06-30"
        extended = api.post(url, json={"relationship_ends_on": ends, "reason": "Renewed until mid-term"})
        assert extended.status_code == 200, extended.text
        after = store.head(sealed.sealed.key, sealed.sealed.version_id)
        assert after.retain_until.date().isoformat() == f"{runtime.clock.now().year + 3 + years}-06-30"
        assert after.retain_until > before and after.retention_mode == runtime.settings.s3.retention_mode
        assert [e["kind"] for e in extended.json()] == ["contract"]

        earlier = api.post(url, json={"relationship_ends_on": "2020-01-01", "reason": "typo"})
        assert earlier.status_code == 200 and earlier.json() == []
        assert store.head(sealed.sealed.key, sealed.sealed.version_id).retain_until == after.retain_until
        recorded = events(api, f"action=retention.extended&subject=client:{envelope['client_id']}")["items"]
        assert len(recorded) == 2

        assert api.post(url, json={"relationship_ends_on": ends, "reason": " "}).status_code == 422
        assert api.post(url, json={"relationship_ends_on": "someday", "reason": "x"}).status_code == 422
        missing = api.post("/v1/retention/clients/nope", json={"relationship_ends_on": ends, "reason": "x"})
        assert missing.status_code == 404
