"""A real signing ceremony drives the risk register: signing accepts the risk, declining records the refusal."""

from __future__ import annotations

from typing import Any

from domain.roles import Role
from tests.api.envelope_support import link_for, post_form
from tests.api.test_clients import client_body
from tests.api.test_envelopes import settings, sign_as, smtp  # noqa: F401 - fixtures reused by name
from tests.api.test_risks import create_letter, only_risk
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer

CLIENT = "dana@northwind.example"


def send_letter(api: Api, client_id: str) -> dict[str, Any]:
    """Send a decline-of-service letter to the client's approver and the MSP."""
    document_id = create_letter(api, client_id)
    body = {
        "document_id": document_id,
        "version": 1,
        "signers": [
            {"name": "Dana Wu", "email": CLIENT, "title": "Owner", "role": "client", "order": 1},
        ],
        "message": "Please confirm you decline MFA.",
    }
    created = api.post("/v1/envelopes", role=Role.TECH, json=body)
    assert created.status_code == 201, created.text
    envelope: dict[str, Any] = created.json()
    return envelope


class TestRiskFollowsSigning:
    def test_signed_letter_makes_the_risk_accepted(self, api: Api, smtp: LoopbackSmtpServer) -> None:  # noqa: F811
        """Sending, viewing and signing the letter move its entry draft -> sent -> viewed -> accepted."""
        client_id = api.post("/v1/clients", json=client_body()).json()["id"]
        envelope = send_letter(api, client_id)
        signed = sign_as(api, link_for(smtp, CLIENT))
        assert signed.status_code == 200, signed.text
        assert api.get(f"/v1/envelopes/{envelope['id']}").json()["status"] == "completed"
        risk = only_risk(api, client_id)
        assert risk["status"] == "accepted"
        assert [step["to"] for step in risk["history"]] == ["draft", "sent", "viewed", "accepted"]
        assert all(step["envelope_id"] == envelope["id"] for step in risk["history"][1:])

    def test_declined_letter_makes_the_risk_refused_to_sign(self, api: Api, smtp: LoopbackSmtpServer) -> None:  # noqa: F811
        """Declining the letter keeps the entry as refused-to-sign evidence."""
        client_id = api.post("/v1/clients", json=client_body()).json()["id"]
        send_letter(api, client_id)
        declined = post_form(api, f"{link_for(smtp, CLIENT)}/decline", data={"reason": "We accept the risk verbally."})
        assert declined.status_code == 200
        assert only_risk(api, client_id)["status"] == "refused-to-sign"
