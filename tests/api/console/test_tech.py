"""The technician pages: a decline-of-service letter from the catalogue, and the risk register's actions."""

from __future__ import annotations

from typing import Any

from api.console.tech import FIXED
from api.console.views import schema_form_for
from domain.actor import SYSTEM
from domain.risks import WAIVER_TEMPLATE
from domain.roles import Role
from domain.schema_form import form_values
from storage.database import unit_of_work
from tests.api.console.conftest import Staff
from tests.api.console.test_sales import add_client
from tests.api.test_documents import sample
from tests.conftest import Api
from tests.fakes.clock import FixedClock
from undersign.runtime import Runtime
from undersign.service_factory import ServiceFactory


def letter_form(runtime: Runtime, client_id: str, **changes: str) -> dict[str, str]:
    """Return the MFA letter filled in from the shipped sample, with a review date valid on the test clock."""
    variables = sample(WAIVER_TEMPLATE, "mfa-ra-2026-0042")
    values = form_values(schema_form_for(runtime.templates.get(WAIVER_TEMPLATE), FIXED).items, variables)
    values["review_date"] = "2027-03-31"
    return {**values, "client_id": client_id, "risk": "mfa", **changes}


def register(api: Api, client_id: str) -> list[dict[str, Any]]:
    """Return the client's register entries."""
    items: list[dict[str, Any]] = api.get(f"/v1/risks?client_id={client_id}").json()["items"]
    return items


class TestLetter:
    def test_pick_fill_and_send(self, staff: Staff, api: Api, runtime: Runtime) -> None:
        """The catalogue is offered; the letter is filed and sent to the approver, then the technician."""
        client_id = add_client(staff)
        pick = staff.get(f"/console/tech/letters/new?client_id={client_id}", Role.TECH)
        assert "Multi-factor authentication not enabled" in pick.text
        form = staff.get(f"/console/tech/letters/new?client_id={client_id}&risk=mfa", Role.TECH)
        assert form.status_code == 200 and 'value="RA-2026-0001"' in form.text  # the next free record id
        assert 'value="Marcus Lee"' in form.text  # the client's contact is the suggested approver
        sent = staff.post("/console/tech/letters", Role.TECH, letter_form(runtime, client_id))
        assert sent.status_code == 303, sent.text
        followed = staff.get(sent.headers["location"], Role.TECH)
        assert followed.status_code == 200 and "Waiting for signatures" in followed.text, followed.text[-3000:]
        envelope = api.get(f"/v1/envelopes/{sent.headers['location'].split('/')[-1]}").json()
        assert [(s["name"], s["role"]) for s in envelope["signers"]] == [
            ("Marcus Lee", "client"),
            ("Dana Okafor", "msp"),
        ]
        (entry,) = register(api, client_id)
        assert (entry["record_id"], entry["status"], entry["review_on"]) == ("RA-2026-0042", "sent", "2027-03-31")
        page = staff.get(f"/console/tech?client_id={client_id}", Role.TECH)
        assert "RA-2026-0042" in page.text and "2027-03-31" in page.text

    def test_review_date_too_far_is_refused_and_nothing_is_filed(
        self, staff: Staff, api: Api, runtime: Runtime
    ) -> None:
        """A review date more than 12 months ahead re-renders the letter with the reason; no letter, no entry."""
        client_id = add_client(staff)
        refused = staff.post(
            "/console/tech/letters", Role.TECH, letter_form(runtime, client_id, review_date="2028-06-01")
        )
        assert refused.status_code == 422
        assert 'id="f-review_date-error"' in refused.text
        assert register(api, client_id) == []
        assert api.get(f"/v1/documents?client_id={client_id}").json()["items"] == []

    def test_missing_approver_address_and_forbidden_role(self, staff: Staff, api: Api, runtime: Runtime) -> None:
        """Without the approver's e-mail the letter cannot be sent (422); billing may not send letters (403)."""
        client_id = add_client(staff)
        no_mail = staff.post(
            "/console/tech/letters", Role.TECH, letter_form(runtime, client_id, **{"approver.email": ""})
        )
        assert no_mail.status_code == 422 and "is needed to send the letter for signature" in no_mail.text
        assert staff.post("/console/tech/letters", Role.BILLING, letter_form(runtime, client_id)).status_code == 403
        assert register(api, client_id) == []


class TestRegisterActions:
    def accepted_entry(self, staff: Staff, api: Api, runtime: Runtime, clock: FixedClock) -> tuple[str, str]:
        """Send a letter and accept it as a completed envelope would; return (client id, entry id)."""
        client_id = add_client(staff)
        staff.post("/console/tech/letters", Role.TECH, letter_form(runtime, client_id))
        (entry,) = register(api, client_id)
        document_id = api.get(f"/v1/risks/{entry['id']}").json()["documents"][0]["document_id"]
        with unit_of_work(runtime.sessions) as session:
            ServiceFactory(session, runtime).risks().envelope_completed(
                SYSTEM, entry["envelope_id"], document_id, 1, clock.now(), [{"name": "Marcus Lee", "role": "client"}]
            )
        return client_id, entry["id"]

    def test_renew_and_remediate(self, staff: Staff, api: Api, runtime: Runtime, clock: FixedClock) -> None:
        """Renew prints letter version 2 with the new date; remediate closes the entry with its reason."""
        _client_id, risk_id = self.accepted_entry(staff, api, runtime, clock)
        page = staff.get(f"/console/tech/risks/{risk_id}", Role.TECH)
        assert "Accepted by the client" in page.text and "/renew" in page.text
        renewed = staff.post(f"/console/tech/risks/{risk_id}/renew", Role.TECH, {"review_on": "2027-05-01"})
        assert renewed.status_code == 303
        entry = api.get(f"/v1/risks/{risk_id}").json()
        assert entry["status"] == "renewed" and [d["version"] for d in entry["documents"]] == [1, 1]
        assert [d["record_version"] for d in entry["documents"]] == [1, 2]

    def test_bad_reason_and_forbidden_role_change_nothing(
        self, staff: Staff, api: Api, runtime: Runtime, clock: FixedClock
    ) -> None:
        """Revoking without a reason is a 422 page; sales may not revoke (403); the entry stays accepted."""
        _client_id, risk_id = self.accepted_entry(staff, api, runtime, clock)
        empty = staff.post(f"/console/tech/risks/{risk_id}/revoke", Role.TECH, {"reason": "  "})
        assert empty.status_code == 422 and 'id="f-reason-error"' in empty.text
        assert staff.post(f"/console/tech/risks/{risk_id}/revoke", Role.SALES, {"reason": "x"}).status_code == 403
        assert (
            staff.post(f"/console/tech/risks/{risk_id}/revoke", Role.TECH, {"reason": "x"}, csrf=False).status_code
            == 403
        )
        assert api.get(f"/v1/risks/{risk_id}").json()["status"] == "accepted"
        done = staff.post(
            f"/console/tech/risks/{risk_id}/remediate", Role.TECH, {"reason": "MFA is on for every user."}
        )
        assert done.status_code == 303
        assert api.get(f"/v1/risks/{risk_id}").json()["status"] == "remediated"
