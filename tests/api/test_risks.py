"""The risk register: entries from decline-of-service letters, the lifecycle, reviews, renewals and the report."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from domain.actor import SYSTEM
from domain.roles import Role
from storage.database import unit_of_work
from tests.api.test_audit import events, make_clients
from tests.api.test_documents import sample
from tests.conftest import Api
from tests.fakes.clock import FixedClock
from undersign.jobs import reviews_due
from undersign.runtime import Runtime
from undersign.service_factory import ServiceFactory


def create_letter(api: Api, client_id: str, **overrides: Any) -> str:
    """File a decline-of-service letter (the MFA sample) and return the document id."""
    variables = {**sample("waivers/decline-of-service", "mfa-ra-2026-0042"), **overrides}
    response = api.post(
        "/v1/documents",
        role=Role.TECH,
        json={"template": "waivers/decline-of-service", "client_id": client_id, "variables": variables},
    )
    assert response.status_code == 201, response.text
    document_id: str = response.json()["id"]
    return document_id


def only_risk(api: Api, client_id: str) -> dict[str, Any]:
    """Return the client's one register entry, in full."""
    (item,) = api.get(f"/v1/risks?client_id={client_id}").json()["items"]
    body: dict[str, Any] = api.get(f"/v1/risks/{item['id']}").json()
    return body


class TestRiskRegister:
    def test_letter_signing_review_and_renewal(self, api: Api, runtime: Runtime, clock: FixedClock) -> None:
        """A letter makes a draft entry; signing accepts it; its review date makes it review-due; renew prints v2."""
        (client_id,) = make_clients(api, 1)
        document_id = create_letter(api, client_id)
        entry = only_risk(api, client_id)
        assert (entry["record_id"], entry["risk"], entry["status"]) == ("RA-2026-0042", "mfa", "draft")
        assert entry["approver"]["name"] == "Marcus Lee" and entry["date_first_recommended"] == "2026-01-12"
        assert entry["recommended_control"].startswith("Turn on multi-factor authentication")
        assert len(entry["consequences"]) == 6
        assert entry["documents"] == [{"document_id": document_id, "version": 1, "record_version": 1}]

        with unit_of_work(runtime.sessions) as session:
            ServiceFactory(session, runtime).risks().envelope_completed(
                SYSTEM, "ENV-1", document_id, 1, clock.now(), [{"name": "Marcus Lee", "role": "client"}]
            )
        entry = only_risk(api, client_id)
        assert entry["status"] == "accepted" and entry["envelope_id"] == "ENV-1"
        assert [h["to"] for h in entry["history"]] == ["draft", "accepted"]
        assert [e["action"] for e in events(api, f"subject=risk:{entry['id']}")["items"]] == [
            "risk.accepted",
            "risk.created",
        ]

        assert reviews_due(runtime) == {"review_due": 0, "expired": 0}
        clock.advance(days=40)  # past the 2026-12-31 review date
        assert reviews_due(runtime) == {"review_due": 1, "expired": 0}
        assert only_risk(api, client_id)["status"] == "review-due"
        assert len(list(runtime.settings.outbox_dir.glob("*.eml"))) == 1
        assert reviews_due(runtime) == {"review_due": 0, "expired": 0}

        renewed = api.post(f"/v1/risks/{entry['id']}/renew", role=Role.TECH, json={"review_on": "2027-06-30"})
        assert renewed.status_code == 200, renewed.text
        body = renewed.json()
        assert body["status"] == "renewed" and body["review_on"] == "2027-06-30"
        assert [d["record_version"] for d in body["documents"]] == [1, 2]

    def test_decline_revoke_and_refused_transitions(self, api: Api, runtime: Runtime, clock: FixedClock) -> None:
        """A decline is kept as refused-to-sign; revoke is final; an auditor may not change anything."""
        (client_id,) = make_clients(api, 1)
        document_id = create_letter(api, client_id, record_id="RA-2026-0043")
        with unit_of_work(runtime.sessions) as session:
            ServiceFactory(session, runtime).risks().envelope_declined(
                SYSTEM, "ENV-2", document_id, 1, clock.now(), "We do not agree with the consequences."
            )
        entry = only_risk(api, client_id)
        assert entry["status"] == "refused-to-sign" and entry["refused_at"]
        url = f"/v1/risks/{entry['id']}"
        assert api.post(f"{url}/revoke", role=Role.AUDITOR, json={"reason": "x"}).status_code == 403
        assert api.post(f"{url}/revoke", role=Role.TECH, json={"reason": "Client left"}).json()["status"] == "revoked"
        again = api.post(f"{url}/remediate", role=Role.TECH, json={"reason": "MFA on"})
        assert again.status_code == 409
        assert api.get(f"/v1/risks?status=revoked&client_id={client_id}").json()["items"][0]["id"] == entry["id"]
        assert api.get("/v1/risks?status=nonsense").status_code == 422

        report = api.get(f"/v1/clients/{client_id}/risk-report.pdf", role=Role.AUDITOR)
        assert report.status_code == 200 and report.headers["content-type"] == "application/pdf"
        text = subprocess.run(["pdftotext", "-", "-"], input=report.content, capture_output=True, check=True).stdout
        flat = text.replace(b"\n", b"")  # narrow table columns wrap words
        assert b"0043" in flat and b"Refused to sign" in flat and b"Marcus Lee" in flat

    @pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
    def test_unrenewed_review_expires_after_grace(self, api: Api, runtime: Runtime, clock: FixedClock) -> None:
        """A review-due record nobody renewed, revoked or remediated expires 30 days after its review date."""
        (client_id,) = make_clients(api, 1)
        document_id = create_letter(api, client_id, record_id="RA-2026-0044")
        with unit_of_work(runtime.sessions) as session:
            ServiceFactory(session, runtime).risks().envelope_declined(
                SYSTEM, "ENV-3", document_id, 1, clock.now(), "No."
            )
        clock.advance(days=37)  # 2027-01-01, the day after the review date
        assert reviews_due(runtime) == {"review_due": 1, "expired": 0}
        clock.advance(days=28)  # 2027-01-29: 29 days after the review date
        assert reviews_due(runtime) == {"review_due": 0, "expired": 0}
        clock.advance(days=1)
        assert reviews_due(runtime) == {"review_due": 0, "expired": 1}
        entry = only_risk(api, client_id)
        assert [h["to"] for h in entry["history"]] == ["draft", "refused-to-sign", "review-due", "expired"]
        assert (
            api.post(f"/v1/risks/{entry['id']}/renew", role=Role.TECH, json={"review_on": "2027-06-30"}).status_code
            == 409
        )
