"""The risk register driven through fakes: letters filed by the real document service, envelope outcomes, reviews."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from adapters.template_library import TemplateLibrary
from domain.actor import SYSTEM, Actor
from domain.clients import Client
from domain.errors import Conflict, InvalidInput, InvalidTransition
from domain.risks import Approver, RiskStatus
from domain.roles import Role
from tests.services.office import FakeOffice
from undersign.settings import REPO_ROOT

TECH = Actor(name="tech-desk", role=Role.TECH)
LETTER = "waivers/decline-of-service"
MFA_SAMPLE = REPO_ROOT / "templates" / LETTER / "samples" / "mfa-ra-2026-0042.json"


@pytest.fixture
def office(template_library: TemplateLibrary) -> FakeOffice:
    """A back office over fakes on 2026-11-25."""
    return FakeOffice(template_library, at=datetime(2026, 11, 25, 12, tzinfo=UTC))


def file_letter(office: FakeOffice, client: Client, **overrides: Any) -> str:
    """File the MFA decline-of-service letter through the document service (register listening); return its id."""
    variables = {**json.loads(MFA_SAMPLE.read_text()), **overrides}
    with office.transaction():
        document, _version = office.document_service([office.risk_service()]).create(
            TECH, LETTER, client.id, variables, ["pdf"]
        )
    return document.id


def only_entry(office: FakeOffice) -> Any:
    """Return the one register entry, with letters and history."""
    [entry_id] = office.risks.entries
    return office.risks.get(entry_id)


class TestApprover:
    def test_a_reassigned_approver_gets_a_new_letter_and_the_old_one_moves_nothing(self, office: FakeOffice) -> None:
        """The new version names the new approver; a signature on the superseded one is audited, accepts nothing."""
        old_letter = file_letter(office, office.add_client())
        risks, now = office.risk_service(), office.clock.now()
        risks.envelope_sent(SYSTEM, "ENV-1", old_letter, 1, now)
        entry = only_entry(office)
        dana = Approver(name="Dana Fox", title="Controller", email="dana@northwind.example")
        with pytest.raises(InvalidInput, match="already the approver"):
            risks.reassignment_variables(entry.id, Approver("Marcus  Lee", "Owner", "marcus@example.com"))
        with office.transaction():
            _entry, variables = risks.reassignment_variables(entry.id, dana)
            document, version = office.document_service([office.risk_service()]).create(
                TECH, LETTER, entry.client_id, variables, ["pdf"]
            )
            risks.reassign_approver(TECH, entry.id, dana, "Marcus has left the company", document.id, version.version)
        entry = only_entry(office)
        assert (entry.approver_name, entry.approver_email) == ("Dana Fox", "dana@northwind.example")
        assert [(d.document_id, d.record_version) for d in entry.documents] == [(old_letter, 1), (document.id, 2)]
        assert version.variables["approver"] == {
            "name": "Dana Fox",
            "title": "Controller",
            "email": "dana@northwind.example",
        }
        [reassigned] = office.audit.of("risk.approver_reassigned")
        assert reassigned.subjects["risk"] == entry.id
        # Marcus signs the letter that named him: it no longer speaks for the record.
        risks.envelope_completed(SYSTEM, "ENV-1", old_letter, 1, now, [{"name": "Marcus Lee", "role": "client"}])
        assert only_entry(office).status is not RiskStatus.ACCEPTED
        [used] = office.audit.of("risk.superseded_letter_used")
        assert used.payload is not None and used.payload["current_document"] == document.id
        risks.envelope_sent(SYSTEM, "ENV-2", document.id, 1, now)
        risks.envelope_completed(SYSTEM, "ENV-2", document.id, 1, now, [{"name": "Dana Fox", "role": "client"}])
        assert only_entry(office).status is RiskStatus.ACCEPTED
        with pytest.raises(Conflict, match="cannot change its approver"):
            risks.reassignment_variables(entry.id, Approver("Marcus Lee", "Owner", "marcus@example.com"))


class TestLifecycle:
    def test_a_filed_letter_opens_a_draft_that_signing_accepts(self, office: FakeOffice) -> None:
        """Filing makes a draft linked to the letter; sent, viewed (twice) and signed move it once each, all audited."""
        document_id = file_letter(office, office.add_client())
        entry = only_entry(office)
        assert (entry.record_id, entry.risk, entry.status) == ("RA-2026-0042", "mfa", RiskStatus.DRAFT)
        assert [(d.document_id, d.record_version) for d in entry.documents] == [(document_id, 1)]
        risks, now = office.risk_service(), office.clock.now()
        risks.envelope_sent(SYSTEM, "ENV-1", document_id, 1, now)
        risks.envelope_viewed(SYSTEM, "ENV-1", document_id, 1, now)
        risks.envelope_viewed(SYSTEM, "ENV-1", document_id, 1, now)  # a second signer's view changes nothing
        risks.envelope_completed(SYSTEM, "ENV-1", document_id, 1, now, [{"name": "Marcus Lee", "role": "client"}])
        entry = only_entry(office)
        assert entry.status is RiskStatus.ACCEPTED and entry.accepted_at == now and entry.envelope_id == "ENV-1"
        assert [h.to_status for h in entry.history] == [
            RiskStatus.DRAFT,
            RiskStatus.SENT,
            RiskStatus.VIEWED,
            RiskStatus.ACCEPTED,
        ]
        risk_events = [e.action for e in office.audit.recorded if e.subjects.get("risk") == entry.id]
        assert risk_events == ["risk.created", "risk.sent", "risk.viewed", "risk.accepted"]

    def test_a_refusal_is_kept_and_a_revocation_is_final(self, office: FakeOffice) -> None:
        """A declined letter is refused-to-sign with its reason; revoked, it can no longer be remediated."""
        document_id = file_letter(office, office.add_client())
        risks = office.risk_service()
        risks.envelope_declined(SYSTEM, "ENV-1", document_id, 1, office.clock.now(), "We will not sign this")
        entry = only_entry(office)
        assert entry.status is RiskStatus.REFUSED and entry.history[-1].reason == "We will not sign this"
        risks.revoke(TECH, entry.id, "Client replaced by a new letter")
        with pytest.raises(InvalidTransition):
            risks.remediate(TECH, entry.id, "MFA turned on")
        assert [h.to_status for h in only_entry(office).history][-1] is RiskStatus.REVOKED

    def test_a_record_id_of_another_client_is_refused_and_the_letter_rolls_back(self, office: FakeOffice) -> None:
        """Filing RA-2026-0042 for a second client fails in the listener; its document is not filed either."""
        file_letter(office, office.add_client())
        documents_before = dict(office.documents.documents)
        with pytest.raises(Conflict, match="another client"):
            file_letter(office, office.add_client("Contoso Ltd", "ap@contoso.example"))
        assert office.documents.documents == documents_before
        assert len(only_entry(office).documents) == 1


class TestReviews:
    def accepted(self, office: FakeOffice) -> str:
        """File and sign a letter; return its entry id."""
        document_id = file_letter(office, office.add_client())
        office.risk_service().envelope_completed(SYSTEM, "ENV-1", document_id, 1, office.clock.now(), [])
        entry_id: str = only_entry(office).id
        return entry_id

    def test_the_review_date_flags_once_and_reminds_the_msp(self, office: FakeOffice) -> None:
        """Past its review date the entry turns review-due with one reminder mail; a second pass does nothing."""
        entry_id = self.accepted(office)
        review_on = office.risks.entries[entry_id].review_on
        risks = office.risk_service()
        assert risks.flag_reviews(SYSTEM, review_on - timedelta(days=1), office.mailer, ("risk@msp.example",)) == 0
        assert risks.flag_reviews(SYSTEM, review_on, office.mailer, ("risk@msp.example",)) == 1
        assert risks.flag_reviews(SYSTEM, review_on, office.mailer, ("risk@msp.example",)) == 0
        assert office.risks.entries[entry_id].status is RiskStatus.REVIEW_DUE
        [mail] = office.mailer.sent
        assert mail.to == ("risk@msp.example",) and "RA-2026-0042" in mail.subject

    def test_an_unrenewed_review_expires_after_the_grace(self, office: FakeOffice) -> None:
        """A review-due entry expires on the day its grace (30 days after the review date) runs out, not before."""
        entry_id = self.accepted(office)
        review_on = office.risks.entries[entry_id].review_on
        risks = office.risk_service()
        risks.flag_reviews(SYSTEM, review_on, None, ())
        assert risks.expire_overdue(SYSTEM, review_on + timedelta(days=29), grace_days=30) == 0
        assert risks.expire_overdue(SYSTEM, review_on + timedelta(days=30), grace_days=30) == 1
        assert office.risks.entries[entry_id].status is RiskStatus.EXPIRED

    def test_renewal_prints_the_next_record_version_and_links_it(self, office: FakeOffice) -> None:
        """Renewing files letter version 2 with record version 2 and the new review date, linked to the entry."""
        entry_id = self.accepted(office)
        risks = office.risk_service()
        review_on = date(2027, 6, 30)
        entry, variables = risks.renewal_variables(entry_id, review_on)
        document_id = entry.documents[-1].document_id
        with office.transaction():
            version = office.document_service([risks]).add_version(TECH, document_id, variables, ["pdf"])
            risks.renew(TECH, entry_id, review_on, document_id, version.version)
        renewed = only_entry(office)
        assert renewed.status is RiskStatus.RENEWED and renewed.review_on == review_on
        assert [(d.version, d.record_version) for d in renewed.documents] == [(1, 1), (2, 2)]
        stored = office.documents.get_version(document_id, 2)
        assert stored is not None and stored.variables["review_date"] == "2027-06-30"
