"""Risk register use cases: entries from decline-of-service letters, the lifecycle, reviews, reports.

Each decline-of-service letter filed creates (or, for a renewed letter with the same record id,
extends) a register entry. Envelope outcomes move it: signed -> accepted, declined ->
refused-to-sign. Review dates turn it review-due (``run-due``, with a reminder mail to the MSP).
Every transition is kept in the entry's history and recorded in the audit chain.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from domain.actor import Actor
from domain.documents import Document, DocumentVersion
from domain.errors import Conflict, FieldError, InvalidInput, NotFound
from domain.ports import (
    AuditTrail,
    Clock,
    DocumentRepository,
    Mailer,
    OutgoingMail,
    RiskRepository,
    TemplateCatalog,
)
from domain.risks import (
    ALLOWED,
    REASSIGNABLE,
    WAIVER_TEMPLATE,
    Approver,
    DocumentLink,
    RiskEntry,
    RiskStatus,
    RiskTransition,
    check_review_date,
    entry_from_letter,
    names_match,
)


class RiskService:
    """The risk register; also the document and envelope-outcome listener that keeps it current."""

    def __init__(
        self,
        *,
        risks: RiskRepository,
        documents: DocumentRepository,
        templates: TemplateCatalog,
        audit: AuditTrail,
        clock: Clock,
    ) -> None:
        self._risks = risks
        self._documents = documents
        self._templates = templates
        self._audit = audit
        self._clock = clock

    # -- listeners -----------------------------------------------------------------------------------

    def document_version_created(self, actor: Actor, document: Document, version: DocumentVersion) -> None:
        """Create the register entry of a new decline-of-service letter, or link a renewed letter to it."""
        if document.template_id != WAIVER_TEMPLATE:
            return
        variables = dict(version.variables)
        try:
            review_on = date.fromisoformat(str(variables["review_date"]))
        except (KeyError, ValueError) as exc:
            raise InvalidInput(
                "The review date is not a date.", errors=[FieldError("/variables/review_date", "YYYY-MM-DD")]
            ) from exc
        check_review_date(version.created_at.date(), review_on, field="/variables/review_date")
        link = DocumentLink(document.id, version.version, int(variables.get("record_version", 1)))
        existing = self._risks.by_record_id(str(variables["record_id"]), lock=True)
        if existing is None:
            catalogue = self._templates.get(WAIVER_TEMPLATE).data.get("catalogue", {}).get("risks", {})
            entry = entry_from_letter(
                entry_id=str(uuid.uuid4()),
                client_id=document.client_id,
                variables=variables,
                catalogue=catalogue,
                now=version.created_at,
            )
            self._risks.add(entry)
            self._risks.link_document(entry.id, link)
            self._step(
                actor, entry, None, RiskStatus.DRAFT, "risk.created", document_id=document.id, version=link.version
            )
            return
        if existing.client_id != document.client_id:
            raise Conflict(f"Risk record {existing.record_id} belongs to another client.")
        self._risks.link_document(existing.id, link)
        self._audit.record(
            actor,
            "risk.letter_linked",
            {"risk": existing.id, "client": existing.client_id, "document": document.id},
            payload={
                "record_id": existing.record_id,
                "version": version.version,
                "record_version": link.record_version,
            },
        )

    def _current_entry(self, actor: Actor, envelope_id: str, document_id: str, version: int) -> RiskEntry | None:
        """Return the entry whose *current* letter is ``document_id`` v``version``, locked; else ``None``.

        A letter superseded by a newer version (a reassigned approver, a renewal) no longer speaks for
        the record: what happens to it is kept in the audit chain but moves nothing in the register.
        """
        entry = self._risks.by_document(document_id, lock=True)
        if entry is None or not entry.documents:
            return entry
        latest = entry.documents[-1]
        if (latest.document_id, latest.version) == (document_id, version):
            return entry
        self._audit.record(
            actor,
            "risk.superseded_letter_used",
            {"risk": entry.id, "client": entry.client_id, "envelope": envelope_id, "document": document_id},
            payload={
                "record_id": entry.record_id,
                "version": version,
                "current_document": latest.document_id,
                "current_version": latest.version,
            },
        )
        return None

    def envelope_sent(self, actor: Actor, envelope_id: str, document_id: str, version: int, sent_at: datetime) -> None:
        """A letter sent for signature moves its entry from draft to sent."""
        self._advance(actor, document_id, RiskStatus.SENT, sent_at, "risk.sent", envelope_id, version)

    def envelope_viewed(
        self, actor: Actor, envelope_id: str, document_id: str, version: int, viewed_at: datetime
    ) -> None:
        """The client opened the letter: the entry is viewed (evidence the risk was read)."""
        self._advance(actor, document_id, RiskStatus.VIEWED, viewed_at, "risk.viewed", envelope_id, version)

    def _advance(
        self,
        actor: Actor,
        document_id: str,
        status: RiskStatus,
        at: datetime,
        action: str,
        envelope_id: str,
        version: int,
    ) -> None:
        entry = self._current_entry(actor, envelope_id, document_id, version)
        # Only a forward step is recorded: a second signer's view, or a view after acceptance, changes nothing.
        if entry is None or not entry.can_move(status):
            return
        moved = entry.moved(status, at, envelope_id=envelope_id)
        self._save(actor, entry, moved, action, envelope_id=envelope_id, document_id=document_id, version=version)

    def envelope_completed(
        self,
        actor: Actor,
        envelope_id: str,
        document_id: str,
        version: int,
        completed_at: datetime,
        signers: list[dict[str, str]],
    ) -> None:
        """A signed letter accepts the risk (only the record's current letter version does)."""
        entry = self._current_entry(actor, envelope_id, document_id, version)
        if entry is None:
            return
        moved = entry.moved(
            RiskStatus.ACCEPTED,
            completed_at,
            accepted_at=completed_at,
            envelope_id=envelope_id,
            signers=tuple(dict(s) for s in signers),
        )
        self._save(
            actor, entry, moved, "risk.accepted", envelope_id=envelope_id, document_id=document_id, version=version
        )

    def envelope_declined(
        self, actor: Actor, envelope_id: str, document_id: str, version: int, declined_at: datetime, reason: str
    ) -> None:
        """A declined letter is refused-to-sign, kept as evidence that the client was told in writing."""
        entry = self._current_entry(actor, envelope_id, document_id, version)
        if entry is None:
            return
        moved = entry.moved(RiskStatus.REFUSED, declined_at, refused_at=declined_at, envelope_id=envelope_id)
        self._save(
            actor,
            entry,
            moved,
            "risk.refused",
            reason=reason,
            envelope_id=envelope_id,
            document_id=document_id,
            version=version,
        )

    # -- API transitions -----------------------------------------------------------------------------

    def revoke(self, actor: Actor, risk_id: str, reason: str) -> RiskEntry:
        """The client withdrew its acceptance (or the MSP ended it)."""
        return self._simple(actor, risk_id, RiskStatus.REVOKED, "risk.revoked", reason)

    def remediate(self, actor: Actor, risk_id: str, reason: str) -> RiskEntry:
        """The recommended control was put in place: the risk is closed."""
        return self._simple(actor, risk_id, RiskStatus.REMEDIATED, "risk.remediated", reason)

    def renewal_variables(self, risk_id: str, review_on: date) -> tuple[RiskEntry, dict[str, Any]]:
        """Return the entry and the variables of its next letter version (record version + 1, new review date)."""
        entry = self.get(risk_id)
        if RiskStatus.RENEWED not in ALLOWED[entry.status]:
            raise Conflict(f"A risk record that is '{entry.status}' cannot be renewed.")
        check_review_date(self._clock.now().date(), review_on)
        latest = entry.documents[-1]
        stored = self._documents.get_version(latest.document_id, latest.version)
        if stored is None:
            raise NotFound(f"The letter of risk record {entry.record_id} is missing.")
        variables = dict(stored.variables)
        variables["record_version"] = latest.record_version + 1
        variables["review_date"] = review_on.isoformat()
        return entry, variables

    def renew(self, actor: Actor, risk_id: str, review_on: date, document_id: str, version: int) -> RiskEntry:
        """Mark the entry renewed by the new letter version (which awaits signature) until ``review_on``."""
        entry = self._locked(risk_id)
        moved = entry.moved(RiskStatus.RENEWED, self._clock.now(), review_on=review_on, envelope_id=None)
        self._save(actor, entry, moved, "risk.renewed", document_id=document_id, version=version)
        return self.get(risk_id)

    def reassignment_variables(self, risk_id: str, approver: Approver) -> tuple[RiskEntry, dict[str, Any]]:
        """Return the entry and the variables of its next letter version, naming ``approver``."""
        entry = self.get(risk_id)
        if entry.status not in REASSIGNABLE:
            raise Conflict(
                f"A risk record that is '{entry.status}' cannot change its approver: the acceptance is given "
                "(renew the record to have someone else accept it)."
            )
        if names_match(approver.name, entry.approver_name) and (approver.email or None) == entry.approver_email:
            raise InvalidInput(
                f"{entry.approver_name} is already the approver.",
                errors=[FieldError("/name", "the same person as the current approver")],
            )
        # The letter keeps its review date; it must still be a valid one for a letter printed today.
        check_review_date(self._clock.now().date(), entry.review_on, field="/review_on")
        latest = entry.documents[-1]
        stored = self._documents.get_version(latest.document_id, latest.version)
        if stored is None:
            raise NotFound(f"The letter of risk record {entry.record_id} is missing.")
        variables = dict(stored.variables)
        variables["record_version"] = latest.record_version + 1
        variables["approver"] = approver.as_variable()
        return entry, variables

    def reassign_approver(
        self, actor: Actor, risk_id: str, approver: Approver, reason: str, document_id: str, version: int
    ) -> RiskEntry:
        """Name ``approver`` as the one who accepts the risk; the new letter version is the one to sign."""
        entry = self._locked(risk_id)
        moved = replace(
            entry,
            approver_name=approver.name,
            approver_title=approver.title,
            approver_email=approver.email,
            updated_at=self._clock.now(),
        )
        self._risks.save(moved)
        why = f"approver changed from {entry.approver_name} to {approver.name}: {reason}"
        self._step(
            actor,
            moved,
            entry.status,
            entry.status,
            "risk.approver_reassigned",
            why,
            document_id=document_id,
            version=version,
        )
        return self.get(risk_id)

    # -- reviews -------------------------------------------------------------------------------------

    def flag_reviews(self, actor: Actor, today: date, mailer: Mailer | None, remind: tuple[str, ...]) -> int:
        """Turn accepted or refused entries whose review date has come review-due; remind the MSP by mail."""
        count = 0
        for entry in self._risks.due_for_review(today):
            moved = entry.moved(RiskStatus.REVIEW_DUE, self._clock.now())
            self._save(actor, entry, moved, "risk.review_due", reason=f"review date {entry.review_on} reached")
            if mailer is not None and remind:
                mailer.send(
                    OutgoingMail(
                        to=remind,
                        subject=f"Risk acceptance {entry.record_id} is due for review",
                        text=(
                            f"The accepted risk '{entry.title}' ({entry.record_id}) of client {entry.client_id} "
                            f"reached its review date {entry.review_on}.\n"
                            "Renew the letter, or record that the control was put in place or the acceptance revoked.\n"
                        ),
                        message_id=f"<risk-review-{entry.id}-{entry.review_on}@undersign>",
                    )
                )
            count += 1
        return count

    def expire_overdue(self, actor: Actor, today: date, grace_days: int) -> int:
        """Expire review-due entries left unrenewed, unrevoked and unremediated ``grace_days`` after review."""
        count = 0
        for entry in self._risks.due_for_expiry(today - timedelta(days=grace_days)):
            moved = entry.moved(RiskStatus.EXPIRED, self._clock.now())
            reason = f"not renewed within {grace_days} days of the review date {entry.review_on}"
            self._save(actor, entry, moved, "risk.expired", reason=reason)
            count += 1
        return count

    # -- reading -------------------------------------------------------------------------------------

    def get(self, risk_id: str) -> RiskEntry:
        """Return one entry with its letters and whole history."""
        entry = self._risks.get(risk_id)
        if entry is None:
            raise NotFound(f"No risk record with id '{risk_id}'.")
        return entry

    def search(
        self,
        *,
        client_id: str | None = None,
        risk: str | None = None,
        status: str | None = None,
        review_before: date | None = None,
        limit: int = 200,
    ) -> list[RiskEntry]:
        """Return entries matching every filter, soonest review first."""
        try:
            wanted = RiskStatus(status) if status else None
        except ValueError as exc:
            raise InvalidInput(
                f"Unknown status '{status}'.", errors=[FieldError("query:status", "not a risk status")]
            ) from exc
        return self._risks.search(
            client_id=client_id, risk=risk, status=wanted, review_before=review_before, limit=limit
        )

    def for_report(self, client_id: str) -> list[RiskEntry]:
        """Return every entry of a client with history (for the risk report)."""
        return [self.get(entry.id) for entry in self._risks.search(client_id=client_id, limit=10_000)]

    # -- helpers -------------------------------------------------------------------------------------

    def _locked(self, risk_id: str) -> RiskEntry:
        entry = self._risks.get(risk_id, lock=True)
        if entry is None:
            raise NotFound(f"No risk record with id '{risk_id}'.")
        return entry

    def _simple(self, actor: Actor, risk_id: str, target: RiskStatus, action: str, reason: str) -> RiskEntry:
        entry = self._locked(risk_id)
        self._save(actor, entry, entry.moved(target, self._clock.now()), action, reason=reason)
        return self.get(risk_id)

    def _save(
        self,
        actor: Actor,
        before: RiskEntry,
        after: RiskEntry,
        action: str,
        *,
        reason: str = "",
        envelope_id: str | None = None,
        document_id: str | None = None,
        version: int | None = None,
    ) -> None:
        self._risks.save(after)
        self._step(actor, after, before.status, after.status, action, reason, envelope_id, document_id, version)

    def _step(
        self,
        actor: Actor,
        entry: RiskEntry,
        from_status: RiskStatus | None,
        to_status: RiskStatus,
        action: str,
        reason: str = "",
        envelope_id: str | None = None,
        document_id: str | None = None,
        version: int | None = None,
    ) -> None:
        at = self._clock.now()
        self._risks.add_transition(
            entry.id,
            RiskTransition(0, from_status, to_status, at, actor.label, reason, envelope_id, document_id, version),
        )
        subjects = {"risk": entry.id, "client": entry.client_id}
        if envelope_id:
            subjects["envelope"] = envelope_id
        if document_id:
            subjects["document"] = document_id
        self._audit.record(
            actor,
            action,
            subjects,
            payload={
                "record_id": entry.record_id,
                "risk": entry.risk,
                "from": from_status.value if from_status else None,
                "to": to_status.value,
                "reason": reason,
                "review_on": entry.review_on.isoformat(),
                "version": version,
            },
        )
