"""The dunning use cases inside one unit of work: plan an invoice, issue its due steps, approve, reinstate.

Each call works on one invoice (or one approval, or one client) in the caller's transaction, so
the step's effect (the notice filed, the mail handed to the relay, the client suspended) and its
record commit together: a crash repeats nothing and loses nothing. The invoice row is claimed
with ``SELECT ... FOR UPDATE SKIP LOCKED`` and every record is unique per (invoice, step), so two
runs at once never issue a step twice. The mail goes out last, just before the commit; should
the commit then fail, the next run sends the same message again with the same Message-ID.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any

from domain.actor import Actor
from domain.clients import Client
from domain.documents import FileFormat
from domain.dunning import (
    ClauseCitation,
    ClauseRef,
    ClientOverview,
    ContractTerms,
    DueStep,
    LadderPolicy,
    StepKind,
    apply_override,
    client_overview,
    parse_policy,
    plan,
    terms_from_msa,
)
from domain.dunning.calendar import add_days
from domain.dunning.records import REINSTATEMENT_STEP, StepRecord, StepStatus
from domain.errors import Conflict, FieldError, InvalidInput, InvalidTransition, NotFound
from domain.invoices import InvoiceRecord
from domain.money import to_decimal
from domain.ports import (
    AuditTrail,
    ClientRepository,
    Clock,
    DocumentRepository,
    DunningRepository,
    InvoiceRepository,
    Mailer,
    SignedDocumentRepository,
    TemplateCatalog,
)
from domain.roles import Permission
from domain.text import multi_line, text_problem
from services.documents import CreatedDocument, DocumentService, NewDocument
from services.dunning_notices import MsaFacts, NoticeFacts, NoticeSettings, interest_on, notice_variables
from services.notice_mail import notice_mail

MSA_TEMPLATE = "msa/msa"
_log = logging.getLogger(__name__)


@dataclass
class InvoiceOutcome:
    """What handling one invoice on one day did (counts for the run summary)."""

    issued: int = 0
    awaiting_approval: int = 0
    tasks: int = 0
    skipped: int = 0
    held: bool = False
    locked: bool = False
    suspended: bool = False
    steps: list[PlannedStep] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedStep:
    """One step a run handles (or would handle, in a dry run) for one invoice."""

    invoice_id: str
    invoice_number: str
    client_id: str
    step_key: str
    kind: str
    on: date
    disposition: str
    needs_approval: bool
    template: str | None
    superseded_by: str | None = None


@dataclass(frozen=True)
class _Notice:
    """A notice planned in a batch: its step, facts, day and variables, waiting to be rendered."""

    invoice: InvoiceRecord
    record: StepRecord
    facts: NoticeFacts
    day: date
    template_id: str
    title: str
    client_id: str
    variables: dict[str, Any]


TASK_NOTE_MAX = 1000
"""The longest note on how a call went (characters)."""
TASK_NOTE_FIELD = "body:note"
"""The field a refused note on a call is reported under (the API's body field; the console places it)."""


@dataclass(frozen=True)
class PhoneTask:
    """A phone step of the ladder with its invoice and the client to call."""

    record: StepRecord
    invoice: InvoiceRecord
    client: Client


@dataclass(frozen=True)
class ClientTerms:
    """A client's ladder and, when it has a signed MSA, the terms that bind the ladder."""

    policy: LadderPolicy
    terms: ContractTerms | None
    msa: MsaFacts | None


class DunningService:
    """Plans and performs the ladder for invoices, inside the caller's unit of work."""

    def __init__(
        self,
        *,
        invoices: InvoiceRepository,
        steps: DunningRepository,
        clients: ClientRepository,
        signed: SignedDocumentRepository,
        documents: DocumentRepository,
        document_service: DocumentService,
        templates: TemplateCatalog,
        mailer: Mailer,
        audit: AuditTrail,
        clock: Clock,
        default_policy: Mapping[str, Any],
        notice: NoticeSettings,
        cache: MutableMapping[str, ClientTerms] | None = None,
    ) -> None:
        self._invoices = invoices
        self._steps = steps
        self._clients = clients
        self._signed = signed
        self._documents = documents
        self._document_service = document_service
        self._templates = templates
        self._mailer = mailer
        self._audit = audit
        self._clock = clock
        self._default = default_policy
        self._notice = notice
        # Shared by the units of one run: a client's policy and signed terms are read once per run.
        self._cache: MutableMapping[str, ClientTerms] = cache if cache is not None else {}

    # -- policy and terms ----------------------------------------------------------------------------

    def policy_override(self, client_id: str) -> dict[str, Any] | None:
        """Return the client's stored override (``None`` when it follows the default ladder)."""
        self._client(client_id)
        return self._steps.policy_override(client_id)

    def effective_policy(self, client_id: str) -> LadderPolicy:
        """Return the ladder in force for the client (the default with its override applied)."""
        override = self._steps.policy_override(client_id)
        return apply_override(self._default, override) if override else parse_policy(self._default)

    def set_policy_override(self, actor: Actor, client_id: str, override: dict[str, Any]) -> LadderPolicy:
        """Validate and store the client's override; a bad one is refused naming each field."""
        actor.require(Permission.DUNNING_APPROVE)
        self._client(client_id)
        policy = apply_override(self._default, override)
        self._steps.set_policy_override(client_id, override, self._clock.now(), actor.label)
        for key in [k for k in self._cache if k == client_id or k.startswith(f"{client_id}@")]:
            self._cache.pop(key, None)
        self._audit.record(actor, "dunning.policy_changed", {"client": client_id}, payload={"override": override})
        return policy

    def client_terms(self, client_id: str, as_of: date | None = None) -> ClientTerms:
        """Return the client's ladder and signed terms, cached for this run.

        The terms are those of the MSA in force on ``as_of`` (the latest signed by the end of that
        day; a backfill must not cite a contract signed after the day it is dated), or of the latest
        MSA when no day is given.
        """
        key = client_id if as_of is None else f"{client_id}@{as_of.isoformat()}"
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        terms, msa = self._signed_terms(client_id, as_of)
        found = ClientTerms(policy=self.effective_policy(client_id), terms=terms, msa=msa)
        self._cache[key] = found
        return found

    def _signed_terms(self, client_id: str, as_of: date | None) -> tuple[ContractTerms | None, MsaFacts | None]:
        before = None if as_of is None else datetime.combine(add_days(as_of, 1), time.min, tzinfo=UTC)
        signed = self._signed.latest_for_client(client_id, MSA_TEMPLATE, signed_before=before)
        if signed is None:
            return None, None
        version = self._documents.get_version(signed.document_id, signed.version)
        if version is None:
            return None, None
        signed_on = signed.signed_at.date()
        refs: dict[str, ClauseRef] = {}
        for clause in version.clauses:
            ref = ClauseRef(number=str(clause.number), title=clause.title)
            clause_id = clause.id
            if clause_id == "msa.payment-terms":
                refs["payment_terms"] = ref
            elif clause_id.startswith("msa.late-fees"):
                refs["late_fee"] = ref
            elif clause_id == "msa.suspension":
                refs["suspension_notice"] = ref
        terms = terms_from_msa(version.variables, signed_on=signed_on, clauses=refs)

        def cite(group: str) -> ClauseCitation | None:
            ref = refs.get(group)
            return ClauseCitation(ref.number, ref.title, signed_on) if ref else None

        msa = MsaFacts(
            signed_on=signed_on,
            variables=dict(version.variables),
            payment_clause=cite("payment_terms"),
            suspension_clause=cite("suspension_notice"),
        )
        return terms, msa

    # -- planning ------------------------------------------------------------------------------------

    def invoice_ids_for_run(self, as_of: date) -> list[str]:
        """Return the invoices a run on ``as_of`` looks at (issued by then and not paid by then)."""
        return self._invoices.due_for_run(as_of)

    def plan_invoices(self, invoice_ids: list[str], as_of: date) -> list[PlannedStep]:
        """Return what a run on ``as_of`` would do for these invoices, changing nothing (dry run)."""
        records = self._steps.steps_for(invoice_ids)
        planned: list[PlannedStep] = []
        for invoice_id in invoice_ids:
            invoice = self._invoices.get(invoice_id)
            if invoice is None:
                continue
            due = self._plan(invoice, records[invoice_id], as_of)
            planned.extend(_planned(invoice, step) for step in due)
        return planned

    def _plan(self, invoice: InvoiceRecord, records: list[StepRecord], as_of: date) -> list[DueStep]:
        if any(r.status is StepStatus.AWAITING_APPROVAL for r in records):
            return []  # the ladder waits for a person's decision before it goes further
        ct = self.client_terms(invoice.client_id, as_of)
        issued = [s for s in (r.issued_step() for r in records) if s is not None]
        return plan(invoice.ladder_invoice(), ct.policy, ct.terms, issued, as_of)

    # -- performing ----------------------------------------------------------------------------------

    def process_invoice(self, actor: Actor, invoice_id: str, as_of: date) -> InvoiceOutcome:
        """Claim the invoice and perform every step due on ``as_of``; skip it if another run holds it."""
        return self.process_invoices(actor, [invoice_id], as_of)[invoice_id]

    def process_invoices(self, actor: Actor, invoice_ids: Sequence[str], as_of: date) -> dict[str, InvoiceOutcome]:
        """Perform the steps due on ``as_of`` for a batch of invoices in this one unit of work.

        Each invoice is claimed and planned in turn and its records written; the notices of the
        whole batch are then rendered side by side on every render worker and filed, and only then
        mailed and recorded, in the same order. One failure fails the batch (the caller retries its
        invoices one by one, so only the bad one is reported).
        """
        actor.require(Permission.DUNNING_RUN)
        outcomes: dict[str, InvoiceOutcome] = {}
        notices: list[_Notice] = []
        for invoice_id in invoice_ids:
            outcome = outcomes[invoice_id] = InvoiceOutcome()
            invoice = self._invoices.claim(invoice_id)
            if invoice is None:
                outcome.locked = True
                continue
            records = self._steps.steps_for([invoice_id])[invoice_id]
            due_steps = self._plan(invoice, records, as_of)
            if not due_steps and any(r.status is StepStatus.AWAITING_APPROVAL for r in records):
                outcome.held = True
            final_on = _final_notice_on(records, self.client_terms(invoice.client_id, as_of).policy)
            for due in due_steps:
                outcome.steps.append(_planned(invoice, due))
                if not due.issued:
                    self._record(invoice, due, StepStatus.SKIPPED)
                    outcome.skipped += 1
                elif due.kind is StepKind.PHONE_TASK:
                    # Open work for the billing team; the ladder does not wait for the call.
                    self._record(invoice, due, StepStatus.OPEN)
                    self._audit.record(
                        actor,
                        "dunning.task_created",
                        {"invoice": invoice.id, "client": invoice.client_id},
                        payload={"step": due.step_key, "on": as_of.isoformat(), "channels": list(due.channels)},
                    )
                    outcome.tasks += 1
                elif due.needs_approval:
                    record = self._record(invoice, due, StepStatus.AWAITING_APPROVAL)
                    self._audit.record(
                        actor,
                        "dunning.approval_requested",
                        {"invoice": invoice.id, "client": invoice.client_id, "dunning_step": record.id},
                        payload={"step": due.step_key, "kind": due.kind.value, "on": as_of.isoformat()},
                    )
                    outcome.awaiting_approval += 1
                else:
                    record = self._record(invoice, due, StepStatus.DONE)
                    notices.append(self._plan_notice(invoice, record, NoticeFacts.of(due), as_of, final_on))
                    if due.kind is StepKind.FINAL_NOTICE:
                        final_on = as_of
                    outcome.issued += 1
        for notice, suspended in zip(notices, self._issue_all(actor, notices), strict=True):
            found = outcomes[notice.invoice.id]
            found.suspended = found.suspended or suspended
        return outcomes

    def _record(self, invoice: InvoiceRecord, due: DueStep, status: StepStatus) -> StepRecord:
        record = StepRecord(
            id=str(uuid.uuid4()),
            invoice_id=invoice.id,
            client_id=invoice.client_id,
            step_key=due.step_key,
            kind=due.kind.value,
            handled_on=due.on,
            status=status,
            created_at=self._clock.now(),
            template_id=due.template,
            superseded_by=due.superseded_by,
            facts=NoticeFacts.of(due).as_json(),
        )
        # Inserted before any effect: a concurrent run that got here first makes this a Conflict.
        self._steps.add_step(record)
        return record

    def _issue(
        self,
        actor: Actor,
        invoice: InvoiceRecord,
        record: StepRecord,
        facts: NoticeFacts,
        day: date,
        final_on: date | None,
    ) -> bool:
        """File and mail the notice of ``record``; suspend the client for a suspension. Return if suspended."""
        return self._issue_all(actor, [self._plan_notice(invoice, record, facts, day, final_on)])[0]

    def _plan_notice(
        self, invoice: InvoiceRecord, record: StepRecord, facts: NoticeFacts, day: date, final_on: date | None
    ) -> _Notice:
        """Return what the notice of ``record`` says (its variables), ready to render."""
        ct = self.client_terms(invoice.client_id, day)
        client = self._client(invoice.client_id)
        assert facts.template_id is not None
        manifest = self._templates.get(facts.template_id)
        variables = notice_variables(
            facts,
            invoice,
            day=day,
            interest=interest_on(invoice, ct.terms, facts.due_on, day, ct.policy.interest_rate_cap_percent),
            msa=ct.msa,
            settings=self._notice,
            jurisdiction=client.jurisdiction,
            final_notice_on=final_on,
            allowed=set(dict(manifest.schema).get("properties", {})),
        )
        return _Notice(invoice, record, facts, day, manifest.id, manifest.title, client.id, variables)

    def _issue_all(self, actor: Actor, notices: Sequence[_Notice]) -> list[bool]:
        """Render and file every notice at once, then suspend, mail and record each in order.

        Returns, per notice, whether it suspended the client.
        """
        if not notices:
            return []
        created = self._document_service.create_many(
            actor, [NewDocument(n.template_id, n.client_id, n.variables, ["pdf"]) for n in notices]
        )
        return [self._finish(actor, notice, filed) for notice, filed in zip(notices, created, strict=True)]

    def _finish(self, actor: Actor, notice: _Notice, filed: CreatedDocument) -> bool:
        invoice, record, facts, day = notice.invoice, notice.record, notice.facts, notice.day
        document = filed.document
        # Read now, not when the notice was planned: an earlier notice of the batch may have suspended the client.
        client = self._client(notice.client_id)
        notice_pdf = filed.version.file(FileFormat.PDF)
        suspended = False
        if facts.kind is StepKind.SUSPENSION and client.suspended_since is None:
            self._clients.update(replace(client, suspended_since=day, updated_at=self._clock.now()))
            self._audit.record(
                actor,
                "client.suspended",
                {"client": client.id, "invoice": invoice.id},
                payload={"on": day.isoformat(), "step": record.step_key, "document": document.id},
            )
            suspended = True
        message_id = self._mail(client.billing_email, notice.title, invoice, record, filed, notice.variables)
        done = replace(
            record, handled_on=day, status=StepStatus.DONE, document_id=document.id, mail_message_id=message_id
        )
        self._steps.update_step(done)
        variables = notice.variables
        self._audit.record(
            actor,
            "dunning.notice_issued",
            {"invoice": invoice.id, "client": client.id, "document": document.id},
            payload={
                "step": record.step_key,
                "kind": facts.kind.value,
                "template": notice.template_id,
                "on": day.isoformat(),
                "pay_by": variables.get("pay_by"),
                "suspension_date": variables.get("suspension_date"),
                "moved_reason": variables.get("moved_reason"),
                "mail": message_id,
            },
            # The notice as issued is the proof that notice was given: its hash goes in the chained fields.
            document_sha256=notice_pdf.blob.sha256 if notice_pdf else None,
        )
        return suspended

    def _mail(
        self,
        to: str,
        title: str,
        invoice: InvoiceRecord,
        record: StepRecord,
        filed: CreatedDocument,
        variables: Mapping[str, Any],
    ) -> str | None:
        policy = self.client_terms(invoice.client_id).policy
        step = next((s for s in policy.steps if s.key == record.step_key), None)
        if step is not None and "email" not in {c.value for c in step.channels}:
            return None  # a letter-only step: the filed PDF is printed and posted by staff
        # The bytes just rendered and filed are the ones attached: never read back from the store.
        pdf = filed.files[FileFormat.PDF]
        snapshot = filed.version.context
        receipt = self._mailer.send(
            notice_mail(
                to=to,
                title=title,
                invoice_number=invoice.number,
                issued_on=filed.version.document_date,
                client_name=str(snapshot.get("client", {}).get("legal_name", "")) or "Sir or Madam",
                msp_name=str(snapshot.get("branding", {}).get("msp_name", "")),
                variables=variables,
                asks_payment=record.kind not in (StepKind.SUSPENSION.value, REINSTATEMENT_STEP),
                pdf=pdf,
                message_id=f"<dunning-{invoice.id}-{record.step_key}@undersign.local>",
            )
        )
        return receipt.message_id

    # -- approvals -----------------------------------------------------------------------------------

    def approvals(self, limit: int = 200) -> list[tuple[StepRecord, InvoiceRecord]]:
        """Return the steps waiting for a decision with their invoices, oldest first."""
        found = []
        for record in self._steps.awaiting_approval(max(1, min(limit, 500))):
            invoice = self._invoices.get(record.invoice_id)
            if invoice is not None:
                found.append((record, invoice))
        return found

    def invoice_number(self, invoice_id: str) -> str:
        """Return the number of an invoice (for describing its steps)."""
        invoice = self._invoices.get(invoice_id)
        if invoice is None:
            raise NotFound(f"No invoice with id '{invoice_id}'.")
        return invoice.number

    def approve(self, actor: Actor, step_id: str, note: str | None = None) -> StepRecord:
        """Approve a waiting step: its notice goes out today (and a suspension takes effect today)."""
        actor.require(Permission.DUNNING_APPROVE)
        record = self._waiting(step_id)
        invoice = self._invoices.claim(record.invoice_id)
        if invoice is None:
            raise Conflict("A dunning run is handling this invoice right now; try again in a moment.")
        today = self._clock.now().date()
        ct = self.client_terms(invoice.client_id)
        status = invoice.status(today, promise_grace_days=ct.policy.promise_grace_days)
        if status.value != "open":
            raise InvalidTransition(
                f"Invoice {invoice.number} is {status.value} today; reject the step instead of approving it."
            )
        decided = replace(record, decided_by=actor.label, decided_at=self._clock.now(), decision_note=note)
        self._steps.update_step(decided)
        self._audit.record(
            actor,
            "dunning.step_approved",
            {"invoice": invoice.id, "client": invoice.client_id, "dunning_step": record.id},
            payload={"step": record.step_key, "on": today.isoformat(), "note": note},
        )
        records = self._steps.steps_for([invoice.id])[invoice.id]
        facts = NoticeFacts.from_json(record.facts).issued_on(today)
        self._issue(actor, invoice, decided, facts, today, _final_notice_on(records, ct.policy))
        updated = self._steps.claim_step(step_id)
        assert updated is not None
        return updated

    def reject(self, actor: Actor, step_id: str, note: str | None = None) -> StepRecord:
        """Reject a waiting step: it is recorded and never sent; the ladder moves on to the next step."""
        actor.require(Permission.DUNNING_APPROVE)
        record = self._waiting(step_id)
        decided = replace(
            record,
            status=StepStatus.REJECTED,
            decided_by=actor.label,
            decided_at=self._clock.now(),
            decision_note=note,
        )
        self._steps.update_step(decided)
        self._audit.record(
            actor,
            "dunning.step_rejected",
            {"invoice": record.invoice_id, "client": record.client_id, "dunning_step": record.id},
            payload={"step": record.step_key, "note": note},
        )
        return decided

    def _waiting(self, step_id: str) -> StepRecord:
        record = self._steps.claim_step(step_id)
        if record is None:
            raise NotFound(f"No dunning step with id '{step_id}'.")
        if record.status is not StepStatus.AWAITING_APPROVAL:
            raise InvalidTransition(f"This step is already {record.status.value}; it cannot be decided again.")
        return record

    # -- phone tasks ---------------------------------------------------------------------------------

    def tasks(self, status: StepStatus, limit: int = 200) -> list[PhoneTask]:
        """Return the phone tasks that are ``open`` (or ``done``), oldest first, with invoice and client."""
        if status not in (StepStatus.OPEN, StepStatus.DONE):
            raise InvalidInput(
                f"A phone task is open or done, not {status.value}.",
                errors=[FieldError("query:status", "must be open or done")],
            )
        found = []
        for record in self._steps.steps_of_kind(StepKind.PHONE_TASK.value, status, max(1, min(limit, 500))):
            invoice = self._invoices.get(record.invoice_id)
            client = self._clients.get(record.client_id)
            if invoice is not None and client is not None:
                found.append(PhoneTask(record, invoice, client))
        return found

    def task(self, step_id: str) -> PhoneTask:
        """Return one phone task with its invoice and client."""
        record = self._task(step_id)
        invoice = self._invoices.get(record.invoice_id)
        if invoice is None:
            raise NotFound(f"No invoice with id '{record.invoice_id}'.")
        return PhoneTask(record, invoice, self._client(record.client_id))

    def open_task_counts(self) -> dict[str, int]:
        """Return, per client, how many phone tasks are open."""
        counts: dict[str, int] = {}
        for record in self._steps.steps_of_kind(StepKind.PHONE_TASK.value, StepStatus.OPEN, 100_000):
            counts[record.client_id] = counts.get(record.client_id, 0) + 1
        return counts

    def mark_task_done(self, actor: Actor, step_id: str, note: str | None = None) -> StepRecord:
        """Record that a person made the call (who, when, and an optional note on how it went)."""
        actor.require(Permission.DUNNING_APPROVE)
        note = _task_note(note)
        record = self._task(step_id)
        if record.status is StepStatus.DONE:
            who = f" by {record.decided_by}" if record.decided_by else ""
            raise InvalidTransition(f"This phone task is already done{who}; reopen it first to record it again.")
        done = replace(
            record, status=StepStatus.DONE, decided_by=actor.label, decided_at=self._clock.now(), decision_note=note
        )
        self._steps.update_step(done)
        self._audit.record(
            actor,
            "dunning.task_done",
            {"invoice": record.invoice_id, "client": record.client_id, "dunning_step": record.id},
            payload={"step": record.step_key, "note": note},
        )
        return done

    def reopen_task(self, actor: Actor, step_id: str) -> StepRecord:
        """Put a done phone task back on the open list (the call is to be made again)."""
        actor.require(Permission.DUNNING_APPROVE)
        record = self._task(step_id)
        if record.status is not StepStatus.DONE:
            raise InvalidTransition("This phone task is still open; only a done task can be reopened.")
        reopened = replace(record, status=StepStatus.OPEN, decided_by=None, decided_at=None, decision_note=None)
        self._steps.update_step(reopened)
        self._audit.record(
            actor,
            "dunning.task_reopened",
            {"invoice": record.invoice_id, "client": record.client_id, "dunning_step": record.id},
            payload={"step": record.step_key, "was_done_by": record.decided_by, "was_note": record.decision_note},
        )
        return reopened

    def _task(self, step_id: str) -> StepRecord:
        record = self._steps.claim_step(step_id)
        if record is None:
            raise NotFound(f"No dunning step with id '{step_id}'.")
        if record.kind != StepKind.PHONE_TASK.value:
            raise InvalidTransition(
                f"Step '{record.step_key}' is a {record.kind.replace('_', ' ')}, not a phone task; "
                "only phone tasks are marked done by a person."
            )
        return record

    # -- reinstatement -------------------------------------------------------------------------------

    def suspended_clients(self) -> list[str]:
        """Return the clients marked suspended."""
        return self._steps.suspended_client_ids()

    def reinstate_if_paid(self, actor: Actor, client_id: str, as_of: date) -> bool:
        """Lift the client's suspension and send the reinstatement notice once every suspending invoice is paid."""
        client = self._client(client_id)
        if client.suspended_since is None:
            return False
        invoices = self._invoices.search(client_id=client_id, unpaid_on=None, limit=100_000, after=None)
        by_id = {i.id: i for i in invoices}
        records = self._steps.steps_for(list(by_id))
        suspending = [
            r
            for rs in records.values()
            for r in rs
            if r.kind == StepKind.SUSPENSION.value and r.status is StepStatus.DONE
        ]
        if not suspending:
            return False
        paid_on = [by_id[r.invoice_id].paid_on for r in suspending]
        if any(day is None or day > as_of for day in paid_on):
            return False
        latest = max(suspending, key=lambda r: (r.handled_on, r.created_at))
        invoice = by_id[latest.invoice_id]
        record = StepRecord(
            id=str(uuid.uuid4()),
            invoice_id=invoice.id,
            client_id=client_id,
            step_key=REINSTATEMENT_STEP,
            kind=REINSTATEMENT_STEP,
            handled_on=as_of,
            status=StepStatus.DONE,
            created_at=self._clock.now(),
            template_id="notices/reinstatement",
        )
        self._steps.add_step(record)  # once per suspending invoice, whoever runs at once
        self._clients.update(replace(client, suspended_since=None, updated_at=self._clock.now()))
        manifest = self._templates.get("notices/reinstatement")
        ct = self.client_terms(client_id, as_of)
        facts = NoticeFacts(
            step_key=REINSTATEMENT_STEP,
            kind=StepKind.SUSPENSION,
            template_id=manifest.id,
            due_on=invoice.due_on,
            planned_on=as_of,
            suspension_on=client.suspended_since,
        )
        paid = sum(by_id[r.invoice_id].amount_minor for r in {r.invoice_id: r for r in suspending}.values())
        variables = notice_variables(
            facts,
            invoice,
            day=as_of,
            interest=None,
            msa=ct.msa,
            settings=self._notice,
            jurisdiction=client.jurisdiction,
            final_notice_on=None,
            allowed=set(dict(manifest.schema).get("properties", {})),
            extra={"amount_received": float(to_decimal(paid, invoice.currency))},
        )
        filed = self._document_service.create_many(actor, [NewDocument(manifest.id, client_id, variables, ["pdf"])])[0]
        document = filed.document
        message_id = self._mail(client.billing_email, manifest.title, invoice, record, filed, variables)
        self._steps.update_step(replace(record, document_id=document.id, mail_message_id=message_id))
        self._audit.record(
            actor,
            "client.reinstated",
            {"client": client_id, "invoice": invoice.id, "document": document.id},
            payload={
                "on": as_of.isoformat(),
                "suspended_since": client.suspended_since.isoformat(),
                "mail": message_id,
            },
        )
        return True

    # -- overview ------------------------------------------------------------------------------------

    def overview(self, as_of: date) -> list[tuple[ClientOverview, str]]:
        """Return, per client with unpaid invoices, where it stands in the ladder (and its legal name)."""
        invoices = self._invoices.search(client_id=None, unpaid_on=as_of, limit=1_000_000, after=None)
        records = self._steps.steps_for([i.id for i in invoices])
        by_client: dict[str, list[InvoiceRecord]] = {}
        for invoice in invoices:
            by_client.setdefault(invoice.client_id, []).append(invoice)
        result = []
        for client_id, items in sorted(by_client.items()):
            ct = self.client_terms(client_id, as_of)
            pairs = [
                (i.ladder_invoice(), [s for s in (r.issued_step() for r in records[i.id]) if s is not None])
                for i in items
            ]
            try:
                view = client_overview(client_id, pairs, ct.policy, ct.terms, as_of)
            except Exception:
                # One client's odd record must not blank the overview for every other client.
                _log.exception("dunning overview %s: client %s skipped", as_of, client_id)
                continue
            if view.overdue_invoices or view.current_step or view.next_step:
                result.append((view, self._client(client_id).legal_name))
        return result

    def _client(self, client_id: str) -> Client:
        client = self._clients.get(client_id)
        if client is None:
            raise NotFound(f"No client with id '{client_id}'.")
        return client


def _task_note(note: str | None) -> str | None:
    """Return the checked note on a call (``None`` when blank); a bad one is refused naming the field."""
    if note is None or not note.strip():
        return None
    problem = text_problem(note, multi_line=True)
    if problem is None and len(note) > TASK_NOTE_MAX:
        problem = f"must be at most {TASK_NOTE_MAX} characters"
    if problem is not None:
        raise InvalidInput("The note on the call is not usable.", errors=[FieldError(TASK_NOTE_FIELD, problem)])
    return multi_line(note).strip()


def _planned(invoice: InvoiceRecord, due: DueStep) -> PlannedStep:
    return PlannedStep(
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        client_id=invoice.client_id,
        step_key=due.step_key,
        kind=due.kind.value,
        on=due.on,
        disposition=due.disposition.value,
        needs_approval=due.needs_approval,
        template=due.template,
        superseded_by=due.superseded_by,
    )


def _final_notice_on(records: list[StepRecord], policy: LadderPolicy) -> date | None:
    finals = {s.key for s in policy.steps if s.kind is StepKind.FINAL_NOTICE}
    return next((r.handled_on for r in records if r.step_key in finals and r.status is StepStatus.DONE), None)
