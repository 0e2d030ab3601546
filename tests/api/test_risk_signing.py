"""A real signing ceremony drives the risk register: only the named approver accepts; declining records the refusal."""

from __future__ import annotations

import subprocess
from typing import Any

from sqlalchemy import select

from domain.roles import Role
from storage.tables import audit_events
from tests.api.envelope_support import link_for, mails_to, post_form
from tests.api.test_clients import client_body
from tests.api.test_documents import sample
from tests.api.test_envelopes import settings, sign_as, smtp  # noqa: F401 - fixtures reused by name
from tests.api.test_risks import create_letter, only_risk
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import Runtime

APPROVER, APPROVER_EMAIL = "Marcus Lee", "marcus@example.com"


def send_letter(
    api: Api, document_id: str, *, name: str = APPROVER, email: str = APPROVER_EMAIL, version: int = 1
) -> Any:
    """Send a decline-of-service letter for the client's signature; return the raw response."""
    body = {
        "document_id": document_id,
        "version": version,
        "signers": [{"name": name, "email": email, "title": "Owner", "role": "client", "order": 1}],
        "message": "Please confirm you decline MFA.",
    }
    return api.post("/v1/envelopes", role=Role.TECH, json=body)


def new_client(api: Api) -> str:
    """Create a client and return its id."""
    client_id: str = api.post("/v1/clients", json=client_body()).json()["id"]
    return client_id


def chain_actions(runtime: Runtime) -> list[str]:
    """Return every audit action in chain order."""
    with runtime.engine.connect() as conn:
        return [row[0] for row in conn.execute(select(audit_events.c.action).order_by(audit_events.c.seq))]


class TestRiskFollowsSigning:
    def test_signed_letter_makes_the_risk_accepted(self, api: Api, smtp: LoopbackSmtpServer) -> None:  # noqa: F811
        """Sending, viewing and signing the letter move its entry draft -> sent -> viewed -> accepted."""
        client_id = new_client(api)
        envelope = send_letter(api, create_letter(api, client_id)).json()
        signed = sign_as(api, link_for(smtp, APPROVER_EMAIL), name="  marcus   LEE ")
        assert signed.status_code == 200, signed.text
        assert api.get(f"/v1/envelopes/{envelope['id']}").json()["status"] == "completed"
        risk = only_risk(api, client_id)
        assert risk["status"] == "accepted"
        assert [step["to"] for step in risk["history"]] == ["draft", "sent", "viewed", "accepted"]
        assert all(step["envelope_id"] == envelope["id"] for step in risk["history"][1:])

    def test_declined_letter_makes_the_risk_refused_to_sign(self, api: Api, smtp: LoopbackSmtpServer) -> None:  # noqa: F811
        """Declining the letter keeps the entry as refused-to-sign evidence."""
        client_id = new_client(api)
        send_letter(api, create_letter(api, client_id))
        link = link_for(smtp, APPROVER_EMAIL)
        declined = post_form(api, f"{link}/decline", data={"reason": "We accept the risk verbally."})
        assert declined.status_code == 200
        assert only_risk(api, client_id)["status"] == "refused-to-sign"


class TestApproverBinding:
    def test_letter_cannot_be_sent_to_someone_other_than_the_approver(self, api: Api, runtime: Runtime) -> None:
        """An envelope whose client signer is not the named approver is a 422 naming the field; nothing is sent."""
        client_id = new_client(api)
        document_id = create_letter(api, client_id)
        before = chain_actions(runtime)
        refused = send_letter(api, document_id, name="Dana Wu", email="dana@northwind.example")
        assert refused.status_code == 422
        problem = refused.json()
        assert "Marcus Lee" in problem["detail"]
        assert {e["pointer"] for e in problem["errors"]} == {"/signers/0/name", "/signers/0/email"}
        assert chain_actions(runtime) == before
        assert only_risk(api, client_id)["status"] == "draft"

    def test_another_typed_name_is_refused_and_nothing_is_signed(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """Typing another person's name on the approver's link explains and refuses; the letter stays unsigned."""
        client_id = new_client(api)
        envelope = send_letter(api, create_letter(api, client_id)).json()
        refused = sign_as(api, link_for(smtp, APPROVER_EMAIL), name="Dana Wu")
        assert refused.status_code == 422
        assert "can be signed only by Marcus Lee" in refused.text and 'id="sign-form"' in refused.text
        assert "signer.signed" not in chain_actions(runtime)
        state = api.get(f"/v1/envelopes/{envelope['id']}").json()
        assert state["status"] == "sent" and state["signers"][0]["status"] == "invited"
        assert only_risk(api, client_id)["status"] == "viewed"

    def test_reassigned_approver_gets_a_new_letter_and_the_old_one_moves_nothing(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """Reassigning prints a new letter version naming the new approver; only it can accept the risk."""
        client_id = new_client(api)
        old_document = create_letter(api, client_id)
        old_envelope = send_letter(api, old_document).json()
        risk_id = only_risk(api, client_id)["id"]
        answer = api.post(
            f"/v1/risks/{risk_id}/approver",
            role=Role.TECH,
            json={"name": "Ann  Okafor", "title": "CFO", "email": "ann@example.com", "reason": "Marcus left"},
        )
        assert answer.status_code == 200, answer.text
        risk = answer.json()
        assert risk["approver"] == {
            "name": "Ann Okafor",
            "title": "CFO",
            "email": "ann@example.com",
            "authority": risk["approver"]["authority"],
        }
        new_document = risk["documents"][-1]
        assert new_document["record_version"] == 2 and new_document["document_id"] != old_document
        assert "approver changed from Marcus Lee to Ann Okafor" in risk["history"][-1]["reason"]
        letter = api.get(f"/v1/documents/{new_document['document_id']}/versions/1/file.pdf")
        assert letter.status_code == 200
        printed = subprocess.run(["pdftotext", "-", "-"], input=letter.content, capture_output=True, check=True)
        assert "Ann Okafor" in " ".join(printed.stdout.decode().split())
        # The old letter, still out with Marcus, no longer speaks for the record.
        sign_as(api, link_for(smtp, APPROVER_EMAIL), name=APPROVER)
        assert api.get(f"/v1/envelopes/{old_envelope['id']}").json()["status"] == "completed"
        assert only_risk(api, client_id)["status"] != "accepted"
        assert "risk.superseded_letter_used" in chain_actions(runtime)
        # The new letter goes to Ann and her signature accepts the risk.
        assert send_letter(api, new_document["document_id"]).status_code == 422
        sent = send_letter(api, new_document["document_id"], name="Ann Okafor", email="ann@example.com")
        assert sent.status_code == 201, sent.text
        assert "Ann Okafor" in str(mails_to(smtp, "ann@example.com")[-1])
        signed = sign_as(api, link_for(smtp, "ann@example.com"), name="ann okafor", title="CFO")
        assert signed.status_code == 200, signed.text
        final = only_risk(api, client_id)
        assert final["status"] == "accepted" and final["signers"][0]["name"] == "ann okafor"


class TestReviewDateBounds:
    def test_review_date_in_the_past_or_years_away_is_a_422_naming_the_field(self, api: Api, runtime: Runtime) -> None:
        """A letter whose review date is before the letter date, or over 12 months after it, is refused unchanged."""
        client_id = new_client(api)
        today = runtime.clock.now().date()
        before = chain_actions(runtime)
        for review in (today.replace(year=today.year - 1), today, today.replace(year=today.year + 3)):
            response = api.post(
                "/v1/documents",
                role=Role.TECH,
                json={
                    "template": "waivers/decline-of-service",
                    "client_id": client_id,
                    "variables": {**_mfa_sample(), "review_date": review.isoformat()},
                },
            )
            assert response.status_code == 422, (review, response.text)
            assert [e["pointer"] for e in response.json()["errors"]] == ["/variables/review_date"]
            assert "review date" in response.json()["detail"]
        assert chain_actions(runtime) == before
        assert api.get(f"/v1/risks?client_id={client_id}").json()["items"] == []


def _mfa_sample() -> dict[str, Any]:
    variables: dict[str, Any] = sample("waivers/decline-of-service", "mfa-ra-2026-0042")
    return variables
