"""The dunning service and run driven through fakes: what each day leaves in the books, the outbox and the audit.

Real template library, real ladder policy file, real document service; in-memory database, object
store, relay and clock. Every assertion reads the fakes' recorded state (step records, mails handed
to the relay, audit events, stored documents), not what the service returned.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from adapters.template_library import TemplateLibrary
from domain.actor import Actor
from domain.documents import SignedDocument
from domain.dunning.records import REINSTATEMENT_STEP, StepStatus
from domain.errors import InvalidInput, InvalidTransition, MailUnavailable, RenderBudgetExceeded
from domain.invoices import InvoiceRecord
from domain.roles import Role
from services.dunning_run import UNEXPECTED, RunReport, run_dunning
from tests.services.office import FakeOffice

DUE = date(2026, 3, 2)  # a Monday
BILLING = Actor(name="billing-desk", role=Role.BILLING)


def on(day: int) -> date:
    """Return the date ``day`` days after the due date."""
    return DUE + timedelta(days=day)


@pytest.fixture
def office(template_library: TemplateLibrary) -> FakeOffice:
    """A back office over fakes, its clock on the due date."""
    office = FakeOffice(template_library)
    office.set_day(DUE)
    return office


def run(office: FakeOffice, day: int, *, dry_run: bool = False) -> RunReport:
    """Run the ladder for ``day`` as the scheduler would, the clock at noon that day."""
    office.set_day(on(day))
    return run_dunning(office.units(), BILLING, on(day), dry_run=dry_run)


def statuses(office: FakeOffice, invoice: InvoiceRecord) -> dict[str, StepStatus]:
    """Return the stored status of each recorded step of ``invoice``."""
    return {key: record.status for key, record in office.steps.of_invoice(invoice.id).items()}


def pdf_text(pdf: bytes) -> str:
    """Return the text of a PDF as ``pdftotext`` reads it (an independent reader)."""
    done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return done.stdout.decode()


def walk_to_suspension(office: FakeOffice) -> InvoiceRecord:
    """Record an invoice and run the ladder on each of its days up to the suspension waiting (day 35)."""
    invoice = office.add_invoice(office.add_client(), "INV-1", DUE)
    for day in (7, 14, 21, 30, 35):
        assert run(office, day).failed == []
    return invoice


class TestOnTheRightDayOnce:
    def test_first_reminder_goes_out_on_day_7_with_its_phone_task(self, office: FakeOffice) -> None:
        """Day 6 does nothing; day 7 files and mails the reminder, records the call task, and audits both."""
        client = office.add_client()
        invoice = office.add_invoice(client, "INV-1", DUE)
        run(office, 6)
        assert office.steps.records == {} and office.mailer.sent == [] and office.audit.recorded == []
        run(office, 7)
        records = office.steps.of_invoice(invoice.id)
        assert statuses(office, invoice) == {"reminder-1": StepStatus.DONE, "call-1": StepStatus.OPEN}
        reminder = records["reminder-1"]
        assert reminder.handled_on == on(7) and reminder.document_id in office.documents.documents
        [mail] = office.mailer.sent
        assert mail.to == ("ap@northwind.example",) and "INV-1" in mail.subject
        assert mail.message_id == reminder.mail_message_id == f"<dunning-{invoice.id}-reminder-1@undersign.local>"
        [attachment] = mail.attachments
        # The attachment is exactly the filed version's bytes, and it names the invoice.
        stored = office.documents.get_version(reminder.document_id or "", 1)
        assert stored is not None and stored.variables["invoices"][0]["days_overdue"] == 7
        pdf = stored.files[0].blob
        assert office.blobs.get(pdf.key, pdf.version_id) == attachment.content
        assert "INV-1" in pdf_text(attachment.content)
        assert sorted(office.audit.actions()) == ["document.created", "dunning.notice_issued", "dunning.task_created"]
        issued = office.audit.of("dunning.notice_issued")[0]
        assert issued.subjects["invoice"] == invoice.id and issued.payload is not None
        assert issued.payload["mail"] == mail.message_id and issued.payload["step"] == "reminder-1"
        # The notice as issued is the proof that notice was given: its hash is in the chained fields.
        assert issued.event.document_sha256 == pdf.sha256

    def test_a_rerun_of_the_same_day_and_the_next_issue_nothing(self, office: FakeOffice) -> None:
        """Running day 7 again, then day 8, adds no record, no mail, no document and no audit event."""
        office.add_invoice(office.add_client(), "INV-1", DUE)
        run(office, 7)
        before = (dict(office.steps.records), len(office.mailer.sent), len(office.documents.documents))
        events = len(office.audit.recorded)
        run(office, 7)
        run(office, 8)
        assert (dict(office.steps.records), len(office.mailer.sent), len(office.documents.documents)) == before
        assert len(office.audit.recorded) == events

    def test_a_dry_run_plans_but_changes_nothing(self, office: FakeOffice) -> None:
        """A dry run for day 7 lists the reminder and the call, and leaves books, outbox and audit untouched."""
        office.add_invoice(office.add_client(), "INV-1", DUE)
        report = run(office, 7, dry_run=True)
        assert {(s.step_key, s.disposition) for s in report.steps} == {
            ("reminder-1", "issued"),
            ("call-1", "issued"),
        }
        assert office.steps.records == {} and office.mailer.sent == [] and office.audit.recorded == []
        assert office.blobs.count() == 0

    def test_an_invoice_another_run_holds_is_left_alone(self, office: FakeOffice) -> None:
        """An invoice another run holds (SKIP LOCKED) gets nothing from this run; the next run serves it."""
        invoice = office.add_invoice(office.add_client(), "INV-1", DUE)
        office.invoices.held_elsewhere.add(invoice.id)
        assert run(office, 7).locked == 1
        assert office.steps.records == {} and office.mailer.sent == []
        office.invoices.held_elsewhere.clear()
        run(office, 7)
        assert statuses(office, invoice) == {"reminder-1": StepStatus.DONE, "call-1": StepStatus.OPEN}


class TestHolds:
    def test_disputed_paused_and_promised_invoices_are_skipped(self, office: FakeOffice) -> None:
        """On day 7 only the open invoice is reminded; disputed, paused and promised ones get no record and no mail."""
        client = office.add_client()
        open_one = office.add_invoice(client, "INV-OPEN", DUE)
        held = {
            "disputed_since": on(5),
            "paused_until": on(20),
            "promise_to_pay_on": on(10),
        }
        held_ids = []
        for number, (field, day) in enumerate(held.items()):
            invoice = office.add_invoice(client, f"INV-HOLD-{number}", DUE)
            office.invoices.update(_with(invoice, field, day))
            held_ids.append(invoice.id)
        run(office, 7)
        assert {r.invoice_id for r in office.steps.records.values()} == {open_one.id}
        assert len(office.mailer.sent) == 1 and "INV-OPEN" in office.mailer.sent[0].subject
        assert office.steps.steps_for(held_ids) == {i: [] for i in held_ids}

    def test_a_pause_that_ends_catches_up_with_the_latest_reminder_only(self, office: FakeOffice) -> None:
        """Paused until day 20, the invoice then gets only the second reminder; the missed first one is superseded."""
        invoice = office.add_invoice(office.add_client(), "INV-1", DUE)
        office.invoices.update(_with(invoice, "paused_until", on(20)))
        for day in (7, 14, 19):
            run(office, day)
        assert office.steps.records == {}
        run(office, 20)
        records = office.steps.of_invoice(invoice.id)
        assert statuses(office, invoice) == {
            "reminder-1": StepStatus.SKIPPED,
            "call-1": StepStatus.SKIPPED,
            "reminder-2": StepStatus.DONE,
            "call-2": StepStatus.OPEN,
        }
        assert records["reminder-1"].superseded_by == "reminder-2" and records["reminder-1"].document_id is None
        [mail] = office.mailer.sent
        assert mail.message_id == f"<dunning-{invoice.id}-reminder-2@undersign.local>"


class TestApproval:
    def test_a_suspension_waits_for_a_person_and_goes_out_when_approved(self, office: FakeOffice) -> None:
        """Day 35 queues the suspension unsent; runs on days 36 and 40 hold; approved on day 36 it is mailed."""
        invoice = walk_to_suspension(office)
        waiting = office.steps.of_invoice(invoice.id)["suspension"]
        assert waiting.status is StepStatus.AWAITING_APPROVAL and waiting.document_id is None
        assert [m.message_id for m in office.mailer.sent] == [
            f"<dunning-{invoice.id}-{step}@undersign.local>"
            for step in ("reminder-1", "reminder-2", "official-notice", "final-notice")
        ]
        [requested] = office.audit.of("dunning.approval_requested")
        assert requested.subjects["dunning_step"] == waiting.id
        assert office.clients.rows[invoice.client_id].suspended_since is None
        records_before = dict(office.steps.records)
        # While the suspension waits, the ladder waits too: the day-40 referral is not even queued.
        assert run(office, 36).held == 1 and run(office, 40).held == 1
        assert office.steps.records == records_before and len(office.mailer.sent) == 4
        office.set_day(on(36))
        with office.unit() as service:
            service.approve(BILLING, waiting.id, note="Called twice, no answer")
        done = office.steps.records[waiting.id]
        assert (done.status, done.handled_on, done.decided_by) == (StepStatus.DONE, on(36), BILLING.label)
        assert done.decision_note == "Called twice, no answer" and done.document_id in office.documents.documents
        assert office.mailer.sent[-1].subject == "Notice of Suspension of Services: invoice INV-1 - Harbour IT Ltd"
        assert office.clients.rows[invoice.client_id].suspended_since == on(36)
        assert [e.action for e in office.audit.recorded[-4:]] == [
            "dunning.step_approved",
            "document.created",
            "client.suspended",
            "dunning.notice_issued",
        ]
        suspension = office.documents.get_version(done.document_id or "", 1)
        assert suspension is not None and suspension.variables["suspension_date"] == on(36).isoformat()

    def test_a_decided_step_cannot_be_decided_again(self, office: FakeOffice) -> None:
        """Approving an approved step is refused and sends nothing more."""
        invoice = walk_to_suspension(office)
        step_id = office.steps.of_invoice(invoice.id)["suspension"].id
        with office.unit() as service:
            service.approve(BILLING, step_id)
        sent, events = len(office.mailer.sent), len(office.audit.recorded)
        with pytest.raises(InvalidTransition), office.unit() as service:
            service.reject(BILLING, step_id)
        assert (len(office.mailer.sent), len(office.audit.recorded)) == (sent, events)
        assert office.steps.records[step_id].status is StepStatus.DONE

    def test_a_rejected_suspension_is_never_sent_and_the_ladder_moves_on(self, office: FakeOffice) -> None:
        """Rejecting the suspension records it unsent; day 40 queues the collections referral, still unsuspended."""
        invoice = walk_to_suspension(office)
        step_id = office.steps.of_invoice(invoice.id)["suspension"].id
        with office.unit() as service:
            service.reject(BILLING, step_id, note="Payment plan agreed by phone")
        rejected = office.steps.records[step_id]
        assert (rejected.status, rejected.document_id, rejected.decided_by) == (
            StepStatus.REJECTED,
            None,
            BILLING.label,
        )
        assert office.audit.of("dunning.step_rejected")[0].payload == {
            "step": "suspension",
            "note": "Payment plan agreed by phone",
        }
        run(office, 40)
        assert statuses(office, invoice)["collections-referral"] is StepStatus.AWAITING_APPROVAL
        assert len(office.mailer.sent) == 4 and office.clients.rows[invoice.client_id].suspended_since is None

    def test_an_invoice_paid_meanwhile_cannot_be_approved(self, office: FakeOffice) -> None:
        """Approving a suspension for an invoice paid the day after is refused; nothing is sent or suspended."""
        invoice = walk_to_suspension(office)
        office.invoices.update(replace(invoice, paid_on=on(36)))
        office.set_day(on(36))
        step_id = office.steps.of_invoice(invoice.id)["suspension"].id
        with pytest.raises(InvalidTransition, match="paid"), office.unit() as service:
            service.approve(BILLING, step_id)
        assert office.steps.records[step_id].status is StepStatus.AWAITING_APPROVAL
        assert len(office.mailer.sent) == 4 and office.clients.rows[invoice.client_id].suspended_since is None


class TestSuspensionAndReinstatement:
    def test_payment_lifts_the_suspension_once_with_a_written_notice(self, office: FakeOffice) -> None:
        """Unpaid on day 45 the client stays suspended; paid on day 50, that run reinstates it once and says so."""
        invoice = walk_to_suspension(office)
        with office.unit() as service:
            service.approve(BILLING, office.steps.of_invoice(invoice.id)["suspension"].id)
        assert office.steps.suspended_client_ids() == [invoice.client_id]
        assert run(office, 45).reinstated == 0
        assert office.clients.rows[invoice.client_id].suspended_since == on(35)
        office.invoices.update(replace(invoice, paid_on=on(50)))
        sent = len(office.mailer.sent)
        assert run(office, 50).failed == []
        assert office.clients.rows[invoice.client_id].suspended_since is None
        reinstated = office.steps.of_invoice(invoice.id)[REINSTATEMENT_STEP]
        assert reinstated.status is StepStatus.DONE and reinstated.handled_on == on(50)
        [mail] = office.mailer.sent[sent:]
        assert mail.subject == "Notice of Reinstatement of Services: invoice INV-1 - Harbour IT Ltd"
        assert mail.message_id == reinstated.mail_message_id
        notice = office.documents.get_version(reinstated.document_id or "", 1)
        assert notice is not None and notice.variables["amount_received"] == 1250.5
        [event] = office.audit.of("client.reinstated")
        assert event.payload is not None and event.payload["suspended_since"] == on(35).isoformat()
        run(office, 51)
        assert len(office.mailer.sent) == sent + 1 and len(office.audit.of("client.reinstated")) == 1


class TestClientPolicy:
    def test_a_bad_override_is_refused_by_field_and_nothing_is_stored(self, office: FakeOffice) -> None:
        """A negative offset is refused naming /steps/0/offset; no override and no audit event remain."""
        client = office.add_client()
        with pytest.raises(InvalidInput) as refused, office.unit() as service:
            service.set_policy_override(BILLING, client.id, {"steps": [{"key": "reminder-1", "offset": -3}]})
        assert [e.pointer for e in refused.value.errors] == ["/steps/0/offset"]
        assert office.steps.overrides == {} and office.audit.recorded == []

    def test_an_override_moves_the_clients_reminder_and_no_one_elses(self, office: FakeOffice) -> None:
        """A client whose first reminder is moved to day 3 is reminded on day 3; another client is not."""
        early = office.add_client("Early Bird Ltd", "ap@early.example")
        other = office.add_client()
        early_invoice = office.add_invoice(early, "INV-E", DUE)
        other_invoice = office.add_invoice(other, "INV-O", DUE)
        with office.unit() as service:
            service.set_policy_override(BILLING, early.id, {"steps": [{"key": "reminder-1", "offset": 3}]})
        assert office.steps.overrides[early.id].by == BILLING.label
        assert office.audit.of("dunning.policy_changed")[0].subjects == {"client": early.id}
        run(office, 3)
        assert statuses(office, early_invoice) == {"reminder-1": StepStatus.DONE}
        assert statuses(office, other_invoice) == {}
        assert [m.to for m in office.mailer.sent] == [("ap@early.example",)]


def sign_msa(office: FakeOffice, template_library: TemplateLibrary, client_id: str, signed_at: datetime) -> None:
    """File the US/Texas sample MSA (10 business days' notice to suspend) for the client, signed at ``signed_at``."""
    samples = template_library.samples("msa/msa")
    msa_sample = next(s.variables for s in samples if s.name == "us-tx-monthly")
    msa, version = office.document_service().create(
        Actor(name="sales-desk", role=Role.SALES), "msa/msa", client_id, dict(msa_sample), ["pdf"]
    )
    office.signed.add(
        SignedDocument(
            envelope_id=f"env-msa-{len(office.signed.rows) + 1}",
            document_id=msa.id,
            version=1,
            client_id=client_id,
            template_id="msa/msa",
            signed_at=signed_at,
            sealed=version.files[0].blob,
        )
    )


class TestBoundToTheSignedMsa:
    def test_ten_business_days_notice_moves_the_suspension_and_the_notices_cite_the_clause(
        self, office: FakeOffice, template_library: TemplateLibrary
    ) -> None:
        """A signed MSA requiring 10 business days' notice moves the suspension from day 35 to day 45, cited."""
        client = office.add_client()
        sign_msa(office, template_library, client.id, datetime(2026, 1, 15, 10, tzinfo=UTC))
        invoice = office.add_invoice(client, "INV-MSA", DUE)
        for day in (30, 35, 43, 44, 45):
            run(office, day)
        records = office.steps.of_invoice(invoice.id)
        assert records["final-notice"].handled_on == on(30) and records["final-notice"].status is StepStatus.DONE
        # Final notice Wednesday 1 April; ten clear business days later is Thursday 16 April, day 45.
        suspension = records["suspension"]
        assert (suspension.handled_on, suspension.status) == (on(45), StepStatus.AWAITING_APPROVAL)
        final = office.documents.get_version(records["final-notice"].document_id or "", 1)
        assert final is not None and final.variables["suspension_date"] == on(45).isoformat()
        assert "10 business days" in final.variables["moved_reason"]
        assert final.variables["msa_clause"]["signed_on"] == "2026-01-15" and final.variables["msa_clause"]["title"]
        assert final.variables["interest"]["annual_rate_percent"] == 18
        # The client reads the same in the PDF it was sent.
        text = pdf_text(office.mailer.sent[-1].attachments[0].content)
        assert "INV-MSA" in text and final.variables["msa_clause"]["title"] in " ".join(text.split())

    def test_a_notice_cites_only_the_msa_in_force_on_its_day(
        self, office: FakeOffice, template_library: TemplateLibrary
    ) -> None:
        """An MSA signed after the final notice's day is not cited by it, nor does it move that notice's dates."""
        client = office.add_client()
        invoice = office.add_invoice(client, "INV-MSA", DUE)
        # Signed the day after the final notice goes out (day 30 is 1 April).
        sign_msa(office, template_library, client.id, datetime.combine(on(31), datetime.min.time(), tzinfo=UTC))
        for day in (7, 14, 21, 30):
            assert run(office, day).failed == []
        final_id = office.steps.of_invoice(invoice.id)["final-notice"].document_id
        final = office.documents.get_version(final_id or "", 1)
        assert final is not None and not final.variables.get("msa_clause")
        assert final.variables["suspension_date"] == on(35).isoformat()


class TestBatches:
    def test_a_run_over_many_invoices_issues_each_notice_once_from_the_rendered_bytes(self, office: FakeOffice) -> None:
        """Twelve invoices (more than one batch) each get one reminder, mailed as filed, never read back."""
        invoices = [
            office.add_invoice(office.add_client(f"Client {n} Ltd", f"ap{n}@c.example"), f"INV-{n}", DUE)
            for n in range(12)
        ]
        report = run(office, 7)
        assert report.failed == [] and report.issued == 12 and report.tasks == 12
        assert office.blobs.reads == 0
        assert sorted(m.to[0] for m in office.mailer.sent) == sorted(f"ap{n}@c.example" for n in range(12))
        for invoice in invoices:
            reminder = office.steps.of_invoice(invoice.id)["reminder-1"]
            [mail] = [m for m in office.mailer.sent if m.message_id == reminder.mail_message_id]
            stored = office.documents.get_version(reminder.document_id or "", 1)
            assert stored is not None
            blob = stored.files[0].blob
            assert office.blobs.objects[blob.key][-1].data == mail.attachments[0].content
            assert invoice.number in pdf_text(mail.attachments[0].content)
        assert len(office.audit.of("dunning.notice_issued")) == 12

    def test_a_bad_invoice_inside_a_batch_fails_alone(self, office: FakeOffice) -> None:
        """One unrenderable notice among eleven good ones: only it is reported; each good one is mailed once."""
        good = [
            office.add_invoice(office.add_client(f"Client {n} Ltd", f"ap{n}@c.example"), f"INV-{n}", DUE)
            for n in range(10)
        ]
        bad = office.add_invoice(office.add_client("Contoso Ltd", "ap@contoso.example"), "INV-BAD", DUE)
        good.append(office.add_invoice(office.add_client("Late Ltd", "ap@late.example"), "INV-LATE", DUE))
        office.renderer.fail_with = RenderBudgetExceeded("The notice took too long to lay out.")
        office.renderer.fail_when = lambda job: job.context.client.legal_name == "Contoso Ltd"
        report = run(office, 7)
        assert report.failed == [(bad.id, "The notice took too long to lay out.")]
        assert statuses(office, bad) == {}
        for invoice in good:
            assert statuses(office, invoice) == {"reminder-1": StepStatus.DONE, "call-1": StepStatus.OPEN}
        sent = [m.message_id for m in office.mailer.sent]
        assert len(sent) == len(set(sent)) == 11


class TestFailures:
    def test_one_invoice_that_cannot_be_rendered_does_not_stop_the_others(self, office: FakeOffice) -> None:
        """A render failing for one client's notice is reported; the others go out; the next run retries it."""
        good = office.add_invoice(office.add_client(), "INV-GOOD", DUE)
        bad_client = office.add_client("Contoso Ltd", "ap@contoso.example")
        bad = office.add_invoice(bad_client, "INV-BAD", DUE)
        office.renderer.fail_with = RenderBudgetExceeded("The notice took too long to lay out.")
        office.renderer.fail_when = lambda job: job.context.client.legal_name == "Contoso Ltd"
        report = run(office, 7)
        assert report.failed == [(bad.id, "The notice took too long to lay out.")]
        assert statuses(office, good) == {"reminder-1": StepStatus.DONE, "call-1": StepStatus.OPEN}
        # The failed invoice's unit rolled back whole: not even its phone task is recorded.
        assert statuses(office, bad) == {}
        assert not any(e.subjects.get("invoice") == bad.id for e in office.audit.recorded)
        assert [m.to for m in office.mailer.sent] == [("ap@northwind.example",)]
        office.renderer.fail_with = None
        assert run(office, 8).failed == []
        assert statuses(office, bad) == {"reminder-1": StepStatus.DONE, "call-1": StepStatus.OPEN}
        assert office.steps.of_invoice(bad.id)["reminder-1"].handled_on == on(8)

    def test_an_unexpected_error_on_one_invoice_is_reported_plainly_and_the_run_goes_on(
        self, office: FakeOffice
    ) -> None:
        """An error no check foresaw fails that invoice only, with a plain message; the others go out."""
        good = office.add_invoice(office.add_client(), "INV-GOOD", DUE)
        bad = office.add_invoice(office.add_client("Contoso Ltd", "ap@contoso.example"), "INV-BAD", DUE)
        office.renderer.fail_with = KeyError("font")
        office.renderer.fail_when = lambda job: job.context.client.legal_name == "Contoso Ltd"
        report = run(office, 7)
        assert report.failed == [(bad.id, UNEXPECTED)] and "font" not in UNEXPECTED
        assert statuses(office, good) == {"reminder-1": StepStatus.DONE, "call-1": StepStatus.OPEN}
        assert statuses(office, bad) == {}
        assert [m.to for m in office.mailer.sent] == [("ap@northwind.example",)]

    def test_a_relay_that_refuses_the_mail_leaves_the_step_to_retry(self, office: FakeOffice) -> None:
        """A refused mail rolls its step back (only an orphan blob stays); the rerun sends it with the same id."""
        invoice = office.add_invoice(office.add_client(), "INV-1", DUE)
        office.mailer.down = True
        report = run(office, 7)
        assert [invoice_id for invoice_id, _ in report.failed] == [invoice.id]
        assert office.steps.records == {} and office.documents.documents == {} and office.audit.recorded == []
        assert office.mailer.sent == [] and len(office.mailer.refused) == 1
        assert office.blobs.count() == 1  # written before the row; harmless, never referenced
        office.mailer.down = False
        assert run(office, 7).failed == []
        assert statuses(office, invoice) == {"reminder-1": StepStatus.DONE, "call-1": StepStatus.OPEN}
        [mail] = office.mailer.sent
        assert mail.message_id == office.mailer.refused[0].message_id

    def test_an_approval_whose_mail_is_refused_can_be_approved_again(self, office: FakeOffice) -> None:
        """With the relay down the approval rolls back (still waiting, not suspended); approved again, it goes out."""
        invoice = walk_to_suspension(office)
        step_id = office.steps.of_invoice(invoice.id)["suspension"].id
        office.mailer.fail_next = 1
        with pytest.raises(MailUnavailable), office.unit() as service:
            service.approve(BILLING, step_id)
        assert office.steps.records[step_id].status is StepStatus.AWAITING_APPROVAL
        assert office.clients.rows[invoice.client_id].suspended_since is None
        assert office.audit.of("dunning.step_approved") == [] and office.audit.of("client.suspended") == []
        with office.unit() as service:
            service.approve(BILLING, step_id)
        assert office.steps.records[step_id].status is StepStatus.DONE
        assert office.clients.rows[invoice.client_id].suspended_since == on(35)
        assert office.mailer.sent[-1].message_id == office.mailer.refused[0].message_id


def _with(invoice: InvoiceRecord, field: str, day: date) -> InvoiceRecord:
    """Return ``invoice`` with one state field (dispute, pause or promise) set to ``day``."""
    changes: dict[str, Any] = {field: day}
    return replace(invoice, **changes)
