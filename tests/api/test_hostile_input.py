"""Hostile values in API bodies, paths and queries: each is a 4xx problem naming the field, and nothing changes.

Every test runs on SQLite and PostgreSQL (the ``api`` fixture). "Nothing changed" is checked by
reading back through the API (and the audit chain's head, which every change moves).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from domain.blobs import StoredBlob
from domain.documents import SignedDocument
from domain.invoices import InvoiceRecord
from domain.roles import Role
from storage.database import unit_of_work
from storage.invoice_repository import SqlInvoiceRepository
from storage.signed_document_repository import SqlSignedDocumentRepository
from storage.tables import audit_head
from tests.api.envelope_support import mails_to
from tests.api.test_clients import client_body, count_clients
from tests.api.test_documents import create_msa, sample
from tests.api.test_envelopes import settings, smtp  # noqa: F401 - fixtures reused by name
from tests.api.test_invoices import invoice_body, make_client
from tests.conftest import Api
from tests.fakes.clock import FixedClock
from tests.support.smtp import LoopbackSmtpServer
from undersign.jobs import dunning_units
from undersign.runtime import Runtime

HOSTILE_TEXT = {
    "right-to-left override": ("Acme\u202eLtd", "text-direction"),
    "isolate": ("Acme \u2067Ltd\u2069", "text-direction"),
    "zero-width space": ("Ac\u200bme Ltd", "invisible"),
    "soft hyphen": ("Ac\u00adme Ltd", "invisible"),
    "escape character": ("Acme\x1b[31m Ltd", "control"),
    "line break": ("Acme Ltd\r\nBcc: x@evil.example", "single line"),
    "unpaired surrogate": ("Acme \ud800Ltd", "string"),  # refused by the JSON parser itself
}
FULLWIDTH_NORTHWIND = "\uff2e\uff4f\uff52\uff54\uff48\uff57\uff49\uff4e\uff44"
HOSTILE_EMAILS = [
    "victim@northwind.example,attacker@evil.example",
    "victim,attacker@evil.example",
    "Victim <attacker@evil.example>",
    "victim@northwind.example\r\nBcc: attacker@evil.example",
    '"victim@northwind.example"@evil.example',
]


def head_seq(runtime: Runtime) -> int:
    """Return the audit chain's head (every stored change moves it)."""
    with unit_of_work(runtime.sessions) as session:
        seq: int = session.execute(select(audit_head.c.seq).where(audit_head.c.id == 1)).scalar_one()
        return seq


def refused(response: Any, status: int, pointer: str, words: str = "") -> None:
    """Assert ``response`` is a problem+json of ``status`` naming ``pointer`` (and saying ``words``)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json().get("errors", [])
    reasons = [e["reason"] for e in errors if e["pointer"] == pointer]
    assert reasons, (pointer, errors)
    assert any(words in reason for reason in reasons), reasons


class TestClientText:
    @pytest.mark.parametrize("kind", sorted(HOSTILE_TEXT))
    def test_hostile_legal_name_is_refused_and_nothing_stored(self, api: Api, runtime: Runtime, kind: str) -> None:
        """Overrides, invisibles, control characters, line breaks and lone surrogates in a name are a 422."""
        value, words = HOSTILE_TEXT[kind]
        before = head_seq(runtime)
        # JSON escapes (\\ud800) as a client would send them: a lone surrogate is not encodable as UTF-8.
        body = json.dumps(client_body(legal_name=value), ensure_ascii=True)
        response = api.post("/v1/clients", content=body, headers={"Content-Type": "application/json"})
        refused(response, 422, "/legal_name", words)
        assert count_clients(api) == 0 and head_seq(runtime) == before

    def test_contact_name_and_title_follow_the_same_rules(self, api: Api) -> None:
        """The contact's name and title are checked like every other name."""
        contact = {"name": "Dana\u202eWu", "title": "Office\nManager", "email": "dana@northwind.example"}
        response = api.post("/v1/clients", json=client_body(primary_contact=contact))
        refused(response, 422, "/primary_contact/name", "text-direction")
        refused(response, 422, "/primary_contact/title", "single line")
        assert count_clients(api) == 0

    @pytest.mark.parametrize("address", HOSTILE_EMAILS)
    def test_billing_email_is_one_bare_address(self, api: Api, address: str) -> None:
        """Lists, display names, quoted parts and header injection in an address are a 422."""
        refused(api.post("/v1/clients", json=client_body(billing_email=address)), 422, "/billing_email")
        assert count_clients(api) == 0

    @pytest.mark.parametrize(
        "look_alike", [f"{FULLWIDTH_NORTHWIND} Dental Clinic Ltd.", "NORTHWIND  dental clinic ltd."]
    )
    def test_look_alike_name_is_a_duplicate(self, api: Api, runtime: Runtime, look_alike: str) -> None:
        """Fullwidth letters or other case and spacing do not make a second client of the same name."""
        make_client(api)
        before = head_seq(runtime)
        response = api.post("/v1/clients", json=client_body(legal_name=look_alike))
        assert response.status_code == 409, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert count_clients(api) == 1 and head_seq(runtime) == before

    def test_search_finds_a_name_typed_in_fullwidth(self, api: Api) -> None:
        """Searching with look-alike letters finds the client (one key for storing and finding)."""
        make_client(api)
        found = api.get(f"/v1/clients?q={FULLWIDTH_NORTHWIND}").json()["items"]
        assert [c["short_name"] for c in found] == ["Northwind"]


class TestInvoiceValues:
    def test_number_with_a_trailing_newline_is_refused(self, api: Api) -> None:
        """A number ending in a newline is refused (it used to be stored and then break every run)."""
        client_id = make_client(api)
        refused(api.post("/v1/invoices", json=invoice_body(client_id, number="INV-7\n")), 422, "/number")
        assert api.get("/v1/invoices").json()["items"] == []

    @pytest.mark.parametrize(("field", "value"), [("due_on", "9999-12-31"), ("issued_on", "0001-01-01")])
    def test_dates_far_from_today_are_refused(self, api: Api, runtime: Runtime, field: str, value: str) -> None:
        """Issue and due dates must lie within ten years of today; the problem names the field and the window."""
        client_id = make_client(api)
        before = head_seq(runtime)
        refused(api.post("/v1/invoices", json=invoice_body(client_id, **{field: value})), 422, f"/{field}", "between")
        assert api.get("/v1/invoices").json()["items"] == [] and head_seq(runtime) == before

    def test_state_dates_far_from_today_are_refused(self, api: Api, runtime: Runtime) -> None:
        """A pause until 9999 or a dispute dated year 1 is refused and the invoice stays as it was."""
        client_id = make_client(api)
        invoice = api.post("/v1/invoices", json=invoice_body(client_id)).json()
        url = f"/v1/invoices/{invoice['id']}"
        before = head_seq(runtime)
        refused(api.patch(url, json={"paused_until": "9999-12-31"}), 422, "/paused_until", "between")
        dispute = {"dispute": {"reason": "Wrong rate", "since": "0001-01-01"}}
        refused(api.patch(url, json=dispute), 422, "/dispute/since", "between")
        assert api.get(url).json() == invoice and head_seq(runtime) == before


class TestOtherFreeText:
    @pytest.mark.parametrize(
        ("url", "body", "pointer"),
        [
            ("/v1/risks/any-risk/revoke", {"reason": "Client asked \u202eteg"}, "/reason"),
            ("/v1/dunning/approvals/any-step/approve", {"note": "ok\x1b[2J"}, "/note"),
        ],
    )
    def test_reasons_and_notes_follow_the_text_rules(
        self, api: Api, runtime: Runtime, url: str, body: dict[str, str], pointer: str
    ) -> None:
        """A revocation reason with an override or an approval note with an escape sequence is a 422."""
        before = head_seq(runtime)
        refused(api.post(url, json=body), 422, pointer)
        assert head_seq(runtime) == before


class TestBoundedNumbers:
    @pytest.mark.parametrize("number", [str(2**31), str(2**63), str(2**64), "0", "-1"])
    def test_version_out_of_range_in_a_path_is_a_422(self, api: Api, number: str) -> None:
        """Versions beyond the column (2^31 and up) or below 1 are refused at the edge, on both databases."""
        client_id = make_client(api)
        document = create_msa(api, client_id, sample("msa/msa", "us-tx-monthly")).json()
        for path in (f"versions/{number}", f"versions/{number}/file.pdf", f"versions/1/diff?against={number}"):
            response = api.get(f"/v1/documents/{document['id']}/{path}")
            assert response.status_code == 422, (path, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")

    def test_largest_version_is_a_plain_404(self, api: Api) -> None:
        """2^31 - 1 fits the column: the answer is "no such version", not a server error."""
        client_id = make_client(api)
        document = create_msa(api, client_id, sample("msa/msa", "us-tx-monthly")).json()
        assert api.get(f"/v1/documents/{document['id']}/versions/{2**31 - 1}").status_code == 404


class TestEnvelopeBodies:
    def _body(self, api: Api, **signer: str) -> dict[str, Any]:
        client_id = make_client(api)
        document = create_msa(api, client_id, sample("msa/msa", "us-tx-monthly")).json()
        good = {"name": "Dana Wu", "email": "dana@northwind.example", "title": "Office Manager", "role": "client"}
        return {"document_id": document["id"], "version": 1, "signers": [{**good, **signer}]}

    @pytest.mark.parametrize(
        ("signer", "pointer"),
        [
            ({"name": "Dana\u202eWu"}, "/signers/0/name"),
            ({"name": "Dana\u200b Wu"}, "/signers/0/name"),
            ({"title": "Owner\r\nBcc: attacker@evil.example"}, "/signers/0/title"),
            ({"email": "victim,attacker@evil.example"}, "/signers/0/email"),
            ({"email": "Dana <attacker@evil.example>"}, "/signers/0/email"),
        ],
    )
    def test_hostile_signer_is_refused_and_nobody_is_mailed(
        self,
        api: Api,
        smtp: LoopbackSmtpServer,  # noqa: F811
        signer: dict[str, str],
        pointer: str,
    ) -> None:
        """A signer with an override, invisible, CRLF or a second address is a 422; no envelope, no mail."""
        refused(api.post("/v1/envelopes", role=Role.SALES, json=self._body(api, **signer)), 422, pointer)
        assert api.get("/v1/envelopes").json() == []
        assert mails_to(smtp, "attacker@evil.example") == [] and smtp.received == []

    def test_message_control_characters_and_huge_version_are_refused(
        self,
        api: Api,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """An escape sequence in the message and a version of 2^63 are named; nothing is sent."""
        body = {**self._body(api), "message": "Please sign\x1b]8;;https://evil.example\x07", "version": 2**63}
        response = api.post("/v1/envelopes", role=Role.SALES, json=body)
        refused(response, 422, "/message", "control")
        refused(response, 422, "/version")
        assert api.get("/v1/envelopes").json() == [] and smtp.received == []


class TestDunningDates:
    def _overdue(self, api: Api, number: str, due: date, issued: date) -> str:
        client_id = (
            make_client(api)
            if number == "INV-GOOD"
            else api.post("/v1/clients", json=client_body(legal_name=f"Other {number} Ltd")).json()["id"]
        )
        body = invoice_body(client_id, number=number, issued_on=issued.isoformat(), due_on=due.isoformat())
        response = api.post("/v1/invoices", role=Role.BILLING, json=body)
        assert response.status_code == 201, response.text
        return client_id

    def test_one_far_future_invoice_does_not_stop_the_run_or_the_overview(
        self, api: Api, runtime: Runtime, clock: FixedClock
    ) -> None:
        """A stored invoice due 9999-12-31 (from before the date window) leaves the run and overview working."""
        good_client = self._overdue(api, "INV-GOOD", date(2026, 11, 18), date(2026, 10, 19))
        other_client = api.post("/v1/clients", json=client_body(legal_name="Far Future Ltd")).json()["id"]
        with unit_of_work(runtime.sessions) as session:  # as an older version could store it
            now = clock.now()
            SqlInvoiceRepository(session).add(
                InvoiceRecord(
                    id=str(uuid.uuid4()),
                    number="INV-9999",
                    client_id=other_client,
                    currency="CAD",
                    amount_minor=100,
                    issued_on=date(2026, 10, 1),
                    due_on=date(9999, 12, 31),
                    created_at=now,
                    updated_at=now,
                )
            )
        run = api.post("/v1/dunning/run", role=Role.BILLING, json={})
        assert run.status_code == 200, run.text
        issued = [(s["invoice_number"], s["step"]) for s in run.json()["steps"] if s["disposition"] == "issued"]
        assert ("INV-GOOD", "reminder-1") in issued and run.json()["failed"] == []
        overview = api.get("/v1/dunning/overview")
        assert overview.status_code == 200, overview.text
        assert good_client in [row["client_id"] for row in overview.json()]

    def test_future_run_is_refused_unless_dry_run(self, api: Api, runtime: Runtime) -> None:
        """A run dated after today is a 422 naming the date; a dry run may plan it; nothing is issued."""
        client_id = self._overdue(api, "INV-GOOD", date(2026, 11, 18), date(2026, 10, 19))
        before = head_seq(runtime)
        refused(api.post("/v1/dunning/run", json={"date": "2026-12-25"}), 422, "/date", "future")
        planned = api.post("/v1/dunning/run", json={"date": "2026-12-25", "dry_run": True})
        assert planned.status_code == 200 and planned.json()["steps"], planned.text
        assert head_seq(runtime) == before
        assert api.get(f"/v1/documents?client_id={client_id}&kind=notice").json()["items"] == []

    def test_past_run_needs_an_explicit_backfill_and_is_dated_that_day(self, api: Api, clock: FixedClock) -> None:
        """A past date without ``backfill`` is a 422 that says what it would do; with it, notices carry that date."""
        client_id = self._overdue(api, "INV-GOOD", date(2026, 11, 2), date(2026, 10, 3))
        response = api.post("/v1/dunning/run", json={"date": "2026-11-10"})
        refused(response, 422, "/date", "past")
        assert "backfill" in response.json()["detail"]
        assert api.get(f"/v1/documents?client_id={client_id}&kind=notice").json()["items"] == []
        refused(api.post("/v1/dunning/run", json={"backfill": True}), 422, "/backfill")
        backfill = api.post("/v1/dunning/run", json={"date": "2026-11-10", "backfill": True})
        assert backfill.status_code == 200, backfill.text
        notices = api.get(f"/v1/documents?client_id={client_id}&kind=notice").json()["items"]
        assert len(notices) == 1
        variables = api.get(f"/v1/documents/{notices[0]['id']}/versions/1").json()["variables"]
        assert variables["invoices"][0]["days_overdue"] == 8, variables  # counted to the run day, not today

    def test_backfill_reads_the_msa_in_force_on_its_day(self, api: Api, runtime: Runtime) -> None:
        """A run dated before the MSA was signed cites no MSA; from the signing day on, it cites that MSA."""
        client_id = make_client(api)
        msa = create_msa(api, client_id, sample("msa/msa", "us-tx-monthly")).json()
        blob = msa["files"][0]
        with unit_of_work(runtime.sessions) as session:
            SqlSignedDocumentRepository(session).add(
                SignedDocument(
                    envelope_id="env-msa-in-force",
                    document_id=msa["id"],
                    version=1,
                    client_id=client_id,
                    template_id="msa/msa",
                    signed_at=datetime(2026, 11, 20, 15, tzinfo=UTC),
                    sealed=StoredBlob(blob["bucket"], blob["key"], blob["version_id"], blob["sha256"], blob["size"]),
                )
            )
        with dunning_units(runtime)() as service:
            assert service.client_terms(client_id, date(2026, 11, 19)).msa is None
            in_force = service.client_terms(client_id, date(2026, 11, 20)).msa
            assert in_force is not None and in_force.signed_on == date(2026, 11, 20)

    @pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
    def test_overview_date_out_of_window_is_a_422(self, api: Api, day: str) -> None:
        """The overview for year 9999 or year 1 is refused with the field named, not a 500."""
        refused(api.get(f"/v1/dunning/overview?date={day}"), 422, "query:date", "between")
