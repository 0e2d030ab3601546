"""The billing pages: CSV import with per-line errors, the dunning table and chart, approvals, the dry-run preview."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from domain.roles import Role
from tests.api.console.conftest import Staff
from tests.api.test_dunning import DUE, new_invoice, on, run_day
from tests.api.test_invoices import make_client
from tests.conftest import Api
from tests.fakes.clock import FixedClock


def csv_for(client_id: str) -> bytes:
    """Return a CSV export of three invoices whose second data line has an amount that is not a number."""
    return (
        "number,client_id,amount,currency,issued_on,due_on\n"
        f"INV-100,{client_id},1200.00,USD,2026-10-01,2026-10-31\n"
        f"INV-101,{client_id},twelve,USD,2026-10-01,2026-10-31\n"
        f"INV-102,{client_id},80.50,USD,2026-10-05,2026-11-04\n"
    ).encode()


def invoices(api: Api) -> list[dict[str, Any]]:
    """Return every stored invoice."""
    items: list[dict[str, Any]] = api.get("/v1/invoices?limit=500").json()["items"]
    return items


class TestImport:
    def test_good_lines_go_in_and_the_bad_line_is_named(self, staff: Staff, api: Api) -> None:
        """Two good lines are imported; line 3 is listed with its reason; importing again changes nothing."""
        client_id = make_client(api)
        upload = {"file": ("export.csv", csv_for(client_id), "text/csv")}
        response = staff.post("/console/billing/invoices/import", Role.BILLING, {"format": "undersign"}, files=upload)
        assert response.status_code == 200, response.text
        assert "Imported 2 new invoices" in response.text and "1 line refused" in response.text
        assert "<td>3</td>" in response.text and "amount" in response.text
        assert sorted(i["number"] for i in invoices(api)) == ["INV-100", "INV-102"]
        again = staff.post(
            "/console/billing/invoices/import",
            Role.BILLING,
            {"format": "undersign"},
            files=upload,
            headers={"HX-Request": "true"},
        )
        assert "Imported 0 new invoices" in again.text and "2 already on file" in again.text
        assert "<html" not in again.text  # htmx gets the result only

    def test_empty_file_forbidden_role_and_missing_csrf(self, staff: Staff, api: Api) -> None:
        """An empty file is a 422 in words; an auditor gets 403; a post without CSRF gets 403; nothing is stored."""
        client_id = make_client(api)
        empty = staff.post(
            "/console/billing/invoices/import", Role.BILLING, {}, files={"file": ("e.csv", b"", "text/csv")}
        )
        assert empty.status_code == 422 and "The file is empty" in empty.text
        upload = {"file": ("export.csv", csv_for(client_id), "text/csv")}
        assert staff.post("/console/billing/invoices/import", Role.AUDITOR, {}, files=upload).status_code == 403
        assert (
            staff.post("/console/billing/invoices/import", Role.BILLING, {}, files=upload, csrf=False).status_code
            == 403
        )
        assert invoices(api) == []


class TestDunning:
    def waiting_suspension(self, api: Api, clock: FixedClock) -> str:
        """Walk one invoice up the ladder to day 35, where the suspension waits for approval; return the client."""
        client_id = make_client(api)
        new_invoice(api, client_id)
        for day in (7, 14, 21, 30):
            run_day(api, clock, day)
        run_day(api, clock, 35, approve=False)
        return client_id

    def test_overview_chart_and_approval(self, staff: Staff, api: Api, clock: FixedClock) -> None:
        """The page shows the table, an SVG chart with its text and the waiting suspension; approving suspends."""
        client_id = self.waiting_suspension(api, clock)
        page = staff.get("/console/billing/dunning", Role.BILLING)
        assert page.status_code == 200
        assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text and 'role="img"' in page.text
        assert "<desc" in page.text and "Suspension of services: 1250.50</desc>" in page.text
        assert "Suspension of services: invoice INV-1" in page.text
        (waiting,) = api.get("/v1/dunning/approvals").json()
        refused = staff.post(f"/console/billing/approvals/{waiting['id']}/approve", Role.SALES, {"note": ""})
        assert refused.status_code == 403
        approved = staff.post(
            f"/console/billing/approvals/{waiting['id']}/approve", Role.BILLING, {"note": "Called twice, no answer."}
        )
        assert approved.status_code == 303, approved.text
        assert api.get("/v1/dunning/approvals").json() == []
        assert api.get(f"/v1/clients/{client_id}").json()["suspended_since"] == on(35).isoformat()

    def test_bad_note_changes_nothing(self, staff: Staff, api: Api, clock: FixedClock) -> None:
        """A note with a control character is refused with its reason and the step still waits."""
        self.waiting_suspension(api, clock)
        (waiting,) = api.get("/v1/dunning/approvals").json()
        bad = staff.post(f"/console/billing/approvals/{waiting['id']}/approve", Role.BILLING, {"note": "a\x07b"})
        assert bad.status_code == 422 and f'id="note-{waiting["id"]}-error"' in bad.text
        assert len(api.get("/v1/dunning/approvals").json()) == 1

    def test_preview_of_tomorrow_sends_nothing(self, staff: Staff, api: Api, clock: FixedClock) -> None:
        """The dry run lists tomorrow's reminder and files nothing; an auditor may not run it."""
        client_id = make_client(api)
        new_invoice(api, client_id)
        clock.at = datetime.combine(on(6), time(12), tzinfo=UTC)
        preview = staff.get("/console/billing/dunning/preview", Role.BILLING)
        assert preview.status_code == 200, preview.text
        assert "nothing was sent or filed" in preview.text and "E-mail reminder" in preview.text
        assert on(7).isoformat() in preview.text and on(7) > DUE
        assert api.get(f"/v1/documents?client_id={client_id}").json()["items"] == []
        assert staff.get("/console/billing/dunning/preview", Role.AUDITOR).status_code == 403


class TestCallsToMake:
    def test_open_call_has_a_done_button_that_records_the_note(self, staff: Staff, api: Api, clock: FixedClock) -> None:
        """The day-7 call is listed under the calls to make; Done (with CSRF) records it and the note, once."""
        client_id = make_client(api)
        new_invoice(api, client_id)
        run_day(api, clock, 7)
        page = staff.get("/console/billing/dunning", Role.BILLING)
        assert page.status_code == 200 and "Calls to make" in page.text
        (call,) = api.get("/v1/dunning/tasks").json()
        assert f'action="/console/billing/tasks/{call["id"]}/done"' in page.text
        url = f"/console/billing/tasks/{call['id']}/done"
        assert staff.post(url, Role.BILLING, {"note": "x"}, csrf=False).status_code == 403
        bad = staff.post(url, Role.BILLING, {"note": "a\x07b"})
        assert bad.status_code == 422 and f'id="call-{call["id"]}-error"' in bad.text
        done = staff.post(url, Role.BILLING, {"note": "Left a voicemail."})
        assert done.status_code == 303, done.text
        assert api.get("/v1/dunning/tasks").json() == []
        assert api.get("/v1/dunning/tasks?status=done").json()[0]["note"] == "Left a voicemail."
        assert "No calls to make." in staff.get("/console/billing/dunning", Role.BILLING).text

    def test_done_call_has_a_reopen_button_that_puts_it_back_on_the_list(
        self, staff: Staff, api: Api, clock: FixedClock
    ) -> None:
        """A call marked done is listed under the calls made; Reopen (with CSRF) puts it back, audited, once."""
        client_id = make_client(api)
        new_invoice(api, client_id)
        run_day(api, clock, 7)
        (call,) = api.get("/v1/dunning/tasks").json()
        assert (
            staff.post(f"/console/billing/tasks/{call['id']}/done", Role.BILLING, {"note": "Voicemail."}).status_code
            == 303
        )
        page = staff.get("/console/billing/dunning", Role.BILLING).text
        url = f"/console/billing/tasks/{call['id']}/reopen"
        assert "Calls made" in page and f'action="{url}"' in page and "Voicemail." in page
        assert staff.post(url, Role.BILLING, {}, csrf=False).status_code == 403
        assert staff.post(url, Role.AUDITOR, {}).status_code == 403
        reopened = staff.post(url, Role.BILLING, {})
        assert reopened.status_code == 303 and reopened.headers["location"].endswith("done=reopened")
        (open_call,) = api.get("/v1/dunning/tasks").json()
        assert open_call["id"] == call["id"] and api.get("/v1/dunning/tasks?status=done").json() == []
        again = staff.post(url, Role.BILLING, {})
        assert again.status_code == 409 and "only a done task can be reopened" in again.text
        events = api.get("/v1/audit/events?action=dunning.task_reopened", role=Role.AUDITOR).json()["items"]
        assert len(events) == 1
