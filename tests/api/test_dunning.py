"""The dunning run end to end: service, database, document assembly, object store and a real SMTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from domain.actor import Actor, ActorKind
from domain.blobs import StoredBlob
from domain.documents import SignedDocument
from domain.roles import Role
from services.dunning_run import run_dunning
from storage.database import unit_of_work
from storage.dunning_repository import SqlDunningRepository
from storage.signed_document_repository import SqlSignedDocumentRepository
from tests.api.test_documents import create_msa, sample
from tests.api.test_invoices import invoice_body, make_client
from tests.conftest import Api
from tests.fakes.clock import FixedClock
from tests.support.smtp import LoopbackSmtpServer
from undersign.jobs import dunning_units
from undersign.runtime import Runtime
from undersign.settings import MailSettings

DUE = date(2026, 3, 2)  # a Monday


def on(day: int) -> date:
    """Return the date ``day`` days after the due date."""
    return DUE + timedelta(days=day)


@pytest.fixture
def smtp(runtime: Runtime) -> Iterator[LoopbackSmtpServer]:
    """A real SMTP server on loopback that the runtime's mail settings point at."""
    server = LoopbackSmtpServer()
    server.start()
    runtime.settings = runtime.settings.model_copy(
        update={"mail": MailSettings(smtp_host="127.0.0.1", smtp_port=server.port, starttls=False)}
    )
    yield server
    server.stop()


def new_invoice(api: Api, client_id: str, number: str = "INV-1", **overrides: Any) -> str:
    """Record an invoice due on ``DUE`` and return its id."""
    body = invoice_body(
        client_id, number=number, issued_on=(DUE - timedelta(days=30)).isoformat(), due_on=DUE.isoformat()
    )
    body.update(overrides)
    response = api.post("/v1/invoices", role=Role.BILLING, json=body)
    assert response.status_code == 201, response.text
    invoice_id: str = response.json()["id"]
    return invoice_id


def run_day(api: Api, clock: FixedClock, day: int, *, approve: bool = True) -> list[tuple[int, str]]:
    """Run the ladder for ``day`` (approving what waits, as billing staff would) and return the notices sent."""
    clock.at = datetime.combine(on(day), time(12), tzinfo=UTC)
    response = api.post("/v1/dunning/run", role=Role.BILLING, json={"date": on(day).isoformat()})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["failed"] == []
    sent = [
        (day, s["step"])
        for s in body["steps"]
        if s["disposition"] == "issued" and s["kind"] != "phone_task" and not s["needs_approval"]
    ]
    if approve:
        waiting_list = api.get("/v1/dunning/approvals")
        assert waiting_list.status_code == 200, waiting_list.text
        for waiting in waiting_list.json():
            decided = api.post(f"/v1/dunning/approvals/{waiting['id']}/approve", role=Role.BILLING, json={})
            assert decided.status_code == 200, decided.text
            sent.append((day, waiting["step"]))
    return sent


def record_signed_msa(api: Api, client_id: str) -> None:
    """Create the us-tx-monthly sample MSA for the client and record it as signed on 15 January 2026."""
    msa = create_msa(api, client_id, sample("msa/msa", "us-tx-monthly"))
    assert msa.status_code == 201, msa.text
    runtime: Runtime = api.client.app.state.runtime  # type: ignore[attr-defined]
    with unit_of_work(runtime.sessions) as session:
        blob = msa.json()["files"][0]
        SqlSignedDocumentRepository(session).add(
            SignedDocument(
                envelope_id="env-msa-1",
                document_id=msa.json()["id"],
                version=1,
                client_id=client_id,
                template_id="msa/msa",
                signed_at=datetime(2026, 1, 15, 10, tzinfo=UTC),
                sealed=StoredBlob(blob["bucket"], blob["key"], blob["version_id"], blob["sha256"], blob["size"]),
            )
        )


def notice_variables(api: Api, client_id: str, template: str) -> list[dict[str, Any]]:
    """Return the variables of every stored notice of ``template`` for the client, oldest first."""
    items = api.get(f"/v1/documents?client_id={client_id}&template={template}").json()["items"]
    return [api.get(f"/v1/documents/{d['id']}/versions/1").json()["variables"] for d in reversed(items)]


class TestWalk:
    def test_day_0_to_70_issues_the_ladder_once_each_then_reinstates(
        self, api: Api, runtime: Runtime, clock: FixedClock, smtp: LoopbackSmtpServer
    ) -> None:
        """Daily runs from day 0 to 70 send exactly the ladder's notices on its days; payment lifts the suspension."""
        client_id = make_client(api)
        new_invoice(api, client_id)
        sent: list[tuple[int, str]] = []
        for day in range(71):
            sent += run_day(api, clock, day)
        assert sent == [
            (7, "reminder-1"),
            (14, "reminder-2"),
            (21, "official-notice"),
            (30, "final-notice"),
            (35, "suspension"),
            (40, "collections-referral"),
            (60, "letter-before-action"),
        ]
        assert len(smtp.received) == 7
        first = smtp.received[0].message
        assert first["To"] == "ap@northwind.example" and "INV-1" in first["Subject"]
        assert [p.get_content_type() for p in first.walk() if p.get_filename()] == ["application/pdf"]
        assert api.get(f"/v1/clients/{client_id}").json()["suspended_since"] == on(35).isoformat()
        official = notice_variables(api, client_id, "notices/official-notice")[0]
        assert official["pay_by"] == on(30).isoformat() and official["invoices"][0]["days_overdue"] == 21
        # Paid after the suspension: the next run lifts it and confirms in writing, once.
        invoice_id = api.get(f"/v1/invoices?client_id={client_id}").json()["items"][0]["id"]
        api.patch(f"/v1/invoices/{invoice_id}", json={"paid_on": on(71).isoformat()})
        clock.at = datetime.combine(on(71), time(12), tzinfo=UTC)
        assert api.post("/v1/dunning/run", json={"date": on(71).isoformat()}).json()["reinstated"] == 1
        clock.at = datetime.combine(on(72), time(12), tzinfo=UTC)
        assert api.post("/v1/dunning/run", json={"date": on(72).isoformat()}).json()["reinstated"] == 0
        assert api.get(f"/v1/clients/{client_id}").json()["suspended_since"] is None
        assert "Reinstatement" in smtp.received[-1].message["Subject"] and len(smtp.received) == 8

    def test_paid_on_day_25_stops_and_dispute_holds(self, api: Api, clock: FixedClock) -> None:
        """Payment on day 25 stops the ladder; a dispute holds it; once cleared, catch-up sends the latest notice."""
        client_id = make_client(api)
        paid = new_invoice(api, client_id, "INV-PAID")
        disputed = new_invoice(api, client_id, "INV-DISP")
        api.patch(f"/v1/invoices/{paid}", json={"paid_on": on(25).isoformat()})
        api.patch(f"/v1/invoices/{disputed}", json={"dispute": {"reason": "Wrong rate", "since": on(10).isoformat()}})
        sent: list[tuple[int, str]] = []
        for day in (7, 14, 21, 25, 30, 35):
            sent += run_day(api, clock, day, approve=False)
        assert sent == [(7, "reminder-1"), (7, "reminder-1"), (14, "reminder-2"), (21, "official-notice")]
        api.patch(f"/v1/invoices/{disputed}", json={"dispute": None})
        clock.at = datetime.combine(on(36), time(12), tzinfo=UTC)
        body = api.post("/v1/dunning/run", json={"date": on(36).isoformat()}).json()
        steps = {(s["invoice_number"], s["step"]): s["disposition"] for s in body["steps"]}
        # Every step after day 7 (held by the dispute) up to the final notice is superseded by it.
        ladder = api.get(f"/v1/clients/{client_id}/dunning-policy").json()["effective"]["steps"]
        held = {("INV-DISP", step["key"]): "skipped-superseded" for step in ladder if 7 < step["offset"] < 30}
        assert {key for _, key in held} >= {"reminder-2", "official-notice"}
        assert steps == {**held, ("INV-DISP", "final-notice"): "issued"}
        overview = api.get(f"/v1/dunning/overview?date={on(36).isoformat()}").json()
        assert overview[0]["overdue"] == {"CAD": "1250.50"} and overview[0]["oldest_days_overdue"] == 36
        assert overview[0]["current_step"]["step"] == "final-notice"
        assert overview[0]["next_step"]["step"] == "suspension"


class TestOncePerStep:
    def test_reruns_and_concurrent_runs_issue_each_step_once(self, api: Api, runtime: Runtime) -> None:
        """Two runs at once for the same day, then a third, record every step exactly once (PostgreSQL)."""
        if runtime.settings.database_url.startswith("sqlite"):
            pytest.skip("SKIP LOCKED and concurrent writers are a PostgreSQL matter; SQLite has one writer")
        client_id = make_client(api)
        for n in range(3):
            new_invoice(api, client_id, f"INV-C{n}")
        actor = Actor(name="test-run", kind=ActorKind.SYSTEM)
        reports = []

        def go() -> None:
            reports.append(run_dunning(dunning_units(runtime), actor, on(7), workers=2))

        threads = [threading.Thread(target=go) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(r.issued for r in reports) in ([0, 3], [1, 2])
        assert sum(r.issued for r in reports) == 3 and all(r.failed == [] for r in reports)
        again = run_dunning(dunning_units(runtime), actor, on(7), workers=2)
        assert (again.issued, again.tasks) == (0, 0)
        assert len(api.get(f"/v1/documents?client_id={client_id}&kind=notice").json()["items"]) == 3


class TestBoundToTheMsa:
    def test_ten_business_days_notice_moves_the_suspension_and_says_why(self, api: Api, clock: FixedClock) -> None:
        """An MSA requiring 10 business days' notice moves the suspension past day 35; the notices cite the clause."""
        client_id = make_client(api)
        record_signed_msa(api, client_id)
        new_invoice(api, client_id, "INV-MSA", currency="USD", issued_on=(DUE - timedelta(days=15)).isoformat())
        sent: list[tuple[int, str]] = []
        for day in (30, 35, 43, 44, 45):
            sent += run_day(api, clock, day)
        # Final notice on day 30 (Wed 1 April); 10 clear business days later is Thursday 16 April = day 45.
        assert sent == [(30, "final-notice"), (45, "suspension")]
        final = notice_variables(api, client_id, "notices/final-notice")[0]
        assert final["suspension_date"] == on(45).isoformat()
        assert "10 business days" in final["moved_reason"] and final["suspension_notice"]["days"] == 10
        assert final["msa_clause"]["signed_on"] == "2026-01-15" and final["msa_clause"]["title"]
        assert final["interest"]["annual_rate_percent"] == 18
        suspension = notice_variables(api, client_id, "notices/suspension")[0]
        assert "written notice before suspension" in suspension["moved_reason"]


class TestPhoneTasks:
    def test_day_21_call_is_open_work_until_billing_marks_it_done(self, api: Api, clock: FixedClock) -> None:
        """The day-21 call is open work with whom to reach; done records person, note and audit; reopen undoes it."""
        client_id = make_client(api)
        new_invoice(api, client_id)
        for day in (7, 14, 21):
            run_day(api, clock, day)
        listed = api.get("/v1/dunning/tasks", role=Role.AUDITOR)
        assert listed.status_code == 200, listed.text
        open_tasks = {t["step"]: t for t in listed.json()}
        assert set(open_tasks) == {"call-1", "call-2", "call-3"}
        call = open_tasks["call-3"]
        assert (call["status"], call["on"], call["invoice_number"]) == ("open", on(21).isoformat(), "INV-1")
        assert call["amount_due"] == "1250.50" and call["billing_email"] == "ap@northwind.example"
        overview = api.get(f"/v1/dunning/overview?date={on(21).isoformat()}").json()
        assert overview[0]["open_tasks"] == 3
        # The ladder did not wait for the calls: the official notice went out on day 21.
        assert overview[0]["current_step"]["step"] in {"official-notice", "call-3"}

        assert api.post(f"/v1/dunning/tasks/{call['id']}/done", role=Role.AUDITOR, json={}).status_code == 403
        done = api.post(
            f"/v1/dunning/tasks/{call['id']}/done", role=Role.BILLING, json={"note": "Spoke to AP; paying Friday"}
        )
        assert done.status_code == 200, done.text
        assert (done.json()["status"], done.json()["done_by"], done.json()["note"]) == (
            "done",
            "key:test-billing(billing)",
            "Spoke to AP; paying Friday",
        )
        assert [t["step"] for t in api.get("/v1/dunning/tasks?status=done").json()] == ["call-3"]
        assert "call-3" not in {t["step"] for t in api.get("/v1/dunning/tasks").json()}
        again = api.post(f"/v1/dunning/tasks/{call['id']}/done", role=Role.BILLING, json={})
        assert again.status_code == 409 and again.headers["content-type"].startswith("application/problem+json")
        assert api.get("/v1/dunning/tasks?status=done").json()[0]["note"] == "Spoke to AP; paying Friday"
        event = api.get("/v1/audit/events?action=dunning.task_done").json()["items"]
        assert len(event) == 1 and event[0]["actor"]["id"] == "test-billing"
        assert event[0]["payload"]["note"] == "Spoke to AP; paying Friday"

        reopened = api.post(f"/v1/dunning/tasks/{call['id']}/reopen", role=Role.BILLING)
        assert reopened.status_code == 200, reopened.text
        assert reopened.json()["status"] == "open" and reopened.json()["done_by"] is None
        assert len(api.get("/v1/audit/events?action=dunning.task_reopened").json()["items"]) == 1
        assert api.get("/v1/dunning/tasks?status=done").json() == []

    def test_bad_task_requests_are_refused_and_change_nothing(self, api: Api, clock: FixedClock) -> None:
        """A notice step, an unknown id, a bad note or a bad status filter is a 4xx problem and nothing changes."""
        client_id = make_client(api)
        new_invoice(api, client_id)
        run_day(api, clock, 7)
        call = api.get("/v1/dunning/tasks").json()[0]
        runtime: Runtime = api.client.app.state.runtime  # type: ignore[attr-defined]
        with unit_of_work(runtime.sessions) as session:
            records = SqlDunningRepository(session).steps_for([call["invoice_id"]])[call["invoice_id"]]
        notice = next(r for r in records if r.step_key == "reminder-1")
        refused = api.post(f"/v1/dunning/tasks/{notice.id}/done", role=Role.BILLING, json={})
        assert refused.status_code == 409 and "not a phone task" in refused.json()["detail"]
        assert api.post("/v1/dunning/tasks/no-such-step/done", role=Role.BILLING, json={}).status_code == 404
        bad_note = api.post(f"/v1/dunning/tasks/{call['id']}/done", role=Role.BILLING, json={"note": "x\u200by"})
        assert bad_note.status_code == 422, bad_note.text
        assert api.post(f"/v1/dunning/tasks/{call['id']}/reopen", role=Role.BILLING).status_code == 409
        assert api.get("/v1/dunning/tasks?status=skipped").status_code == 422
        assert [t["status"] for t in api.get("/v1/dunning/tasks").json()] == ["open"]
        assert api.get("/v1/audit/events?action=dunning.task_done").json()["items"] == []
