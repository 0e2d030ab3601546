"""The envelope service driven through fakes: sending freezes and invites, voids and expiries thaw, reminders pace."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.template_library import TemplateLibrary
from domain.actor import Actor
from domain.envelopes import EnvelopeStatus, SignerRole, SignerSpec, SignerStatus, hash_token
from domain.errors import Conflict, InvalidInput, InvalidTransition, MailUnavailable, RateLimited
from domain.ports import EnvelopeOutcomeListener
from domain.risks import RiskStatus
from domain.roles import Role
from services.documents import DocumentThaw
from services.envelopes import EnvelopeRequest, EnvelopeService
from tests.fakes.envelopes import RecordingOutcomeListener
from tests.services.office import FakeOffice
from undersign.settings import REPO_ROOT

TECH = Actor(name="tech-desk", role=Role.TECH)
LETTER = "waivers/decline-of-service"
MFA_SAMPLE = REPO_ROOT / "templates" / LETTER / "samples" / "mfa-ra-2026-0042.json"
CLIENT_SIGNER = SignerSpec("Marcus Lee", "marcus@example.com", "CEO", SignerRole.CLIENT, 1)
MSP_SIGNER = SignerSpec("Priya Shah", "priya@harbour.example", "Director", SignerRole.MSP, 2)


@pytest.fixture
def office(template_library: TemplateLibrary) -> FakeOffice:
    """A back office over fakes on 2026-11-25, with one decline-of-service letter filed for a client."""
    office = FakeOffice(template_library, at=datetime(2026, 11, 25, 12, tzinfo=UTC))
    variables: dict[str, Any] = json.loads(MFA_SAMPLE.read_text())
    with office.transaction():
        office.document_service([office.risk_service()]).create(
            TECH, LETTER, office.add_client().id, variables, ["pdf"]
        )
    return office


def letter_id(office: FakeOffice) -> str:
    """Return the id of the filed letter."""
    [document_id] = office.documents.documents
    return document_id


def service(office: FakeOffice, *extra: EnvelopeOutcomeListener) -> EnvelopeService:
    """The envelope service with the listeners production wires (the thaw, the risk register) and ``extra``."""
    return office.envelope_service([DocumentThaw(office.documents), office.risk_service(), *extra])


def send(office: FakeOffice, *extra: EnvelopeOutcomeListener, **overrides: Any) -> str:
    """Send the letter to the client then the MSP, in one transaction; return the envelope id."""
    request = EnvelopeRequest(document_id=letter_id(office), version=1, signers=[CLIENT_SIGNER, MSP_SIGNER])
    request = replace(request, **overrides)
    with office.transaction():
        envelope = service(office, *extra).create(TECH, request)
    return envelope.id


def link_token(text: str) -> str:
    """Return the token of the signing link in a mail's text."""
    found = re.search(r"https://sign\.harbour\.example/sign/(\S+)", text)
    assert found is not None, text
    return found.group(1)


class TestSend:
    def test_sending_freezes_the_version_and_invites_the_first_signer_only(self, office: FakeOffice) -> None:
        """The client gets a personal link whose hash (only) is stored; the MSP waits its turn; the risk is sent."""
        listener = RecordingOutcomeListener()
        envelope_id = send(office, listener)
        assert listener.outcomes == [("sent", envelope_id)]
        stored = office.envelopes.get(envelope_id)
        assert stored is not None and stored.status is EnvelopeStatus.SENT
        assert [(s.email, s.status) for s in stored.signers] == [
            ("marcus@example.com", SignerStatus.INVITED),
            ("priya@harbour.example", SignerStatus.WAITING),
        ]
        pdf = office.documents.versions[(letter_id(office), 1)].files[0].blob
        assert (stored.sent_sha256, stored.sent_version_id) == (pdf.sha256, pdf.version_id)
        assert office.documents.documents[letter_id(office)].frozen_at == office.clock.now()
        [mail] = office.mailer.sent
        token = link_token(mail.text)
        assert mail.to == ("marcus@example.com",) and token not in str(office.envelopes.tokens)
        assert office.envelopes.by_token(hash_token(token)) == (envelope_id, stored.signers[0].id)
        actions = [e.action for e in office.envelopes.events(envelope_id)]
        assert actions == ["envelope.created", "envelope.sent", "signer.delivered"]
        # The audit chain has the same events, then the register's own step on the same envelope.
        audited = [e.action for e in office.audit.recorded if e.subjects.get("envelope") == envelope_id]
        assert audited == [*actions, "risk.sent"]
        [entry_id] = office.risks.entries
        assert office.risks.entries[entry_id].status is RiskStatus.SENT

    def test_a_refused_invitation_stores_nothing(self, office: FakeOffice) -> None:
        """With the relay down the send fails whole: no envelope, no token, the letter not frozen, the risk a draft."""
        office.mailer.down = True
        events = len(office.audit.recorded)
        listener = RecordingOutcomeListener()
        with pytest.raises(MailUnavailable):
            send(office, listener)
        assert listener.outcomes == []
        assert office.envelopes.envelopes == {} and office.envelopes.tokens == {}
        assert office.documents.documents[letter_id(office)].frozen_at is None
        assert len(office.audit.recorded) == events
        assert next(iter(office.risks.entries.values())).status is RiskStatus.DRAFT

    def test_bad_signers_and_a_second_envelope_are_refused(self, office: FakeOffice) -> None:
        """The same address twice names the field; a version already out is a Conflict; neither sends mail."""
        twice = SignerSpec("M. Lee", CLIENT_SIGNER.email.upper(), "CEO", SignerRole.CLIENT, 1)
        with pytest.raises(InvalidInput) as refused:
            send(office, signers=[CLIENT_SIGNER, twice])
        assert [e.pointer for e in refused.value.errors] == ["/signers/1/email"]
        send(office)
        with pytest.raises(Conflict, match="already out for signature"):
            send(office)
        assert len(office.envelopes.envelopes) == 1 and len(office.mailer.sent) == 1

    def test_a_risk_letter_goes_only_to_the_approver_it_names(self, office: FakeOffice) -> None:
        """Another client signer, or the approver at another address, is refused naming the field; nothing is sent."""
        stranger = SignerSpec("Dana Fox", "dana@northwind.example", "Controller", SignerRole.CLIENT, 1)
        elsewhere = replace(CLIENT_SIGNER, email="marcus@northwind.example")
        for client_signer, pointer in ((stranger, "/signers/0/name"), (elsewhere, "/signers/0/email")):
            with pytest.raises(InvalidInput, match="names Marcus Lee as the person who accepts the risk") as refused:
                send(office, signers=[client_signer, MSP_SIGNER])
            assert pointer in [e.pointer for e in refused.value.errors]
        assert office.envelopes.envelopes == {} and office.mailer.sent == []
        assert office.documents.documents[letter_id(office)].frozen_at is None


class TestEnd:
    def test_voiding_thaws_the_document_and_cannot_be_repeated(self, office: FakeOffice) -> None:
        """A void needs a reason, ends the envelope, unfreezes the letter, and a second void is refused."""
        envelope_id = send(office)
        with pytest.raises(InvalidInput):
            service(office).void(TECH, envelope_id, "  ")
        with office.transaction():
            service(office).void(TECH, envelope_id, "Wrong client contact")
        voided = office.envelopes.get(envelope_id)
        assert voided is not None and (voided.status, voided.end_reason) == (
            EnvelopeStatus.VOIDED,
            "Wrong client contact",
        )
        assert office.documents.documents[letter_id(office)].frozen_at is None
        with pytest.raises(InvalidTransition):
            service(office).void(TECH, envelope_id, "again")
        # The refused second void left no second "voided" event (mail notices may follow the first).
        assert [e.action for e in office.envelopes.events(envelope_id)].count("envelope.voided") == 1

    def test_an_envelope_expires_once_when_its_time_is_up(self, office: FakeOffice) -> None:
        """expire_one does nothing before the expiry; after it, it expires the envelope once and thaws the letter."""
        envelope_id = send(office, expires_in_days=10)
        office.clock.advance(days=9)
        assert service(office).expire_one() is False
        office.clock.advance(days=1)
        assert service(office).expire_one() is True and service(office).expire_one() is False
        expired = office.envelopes.get(envelope_id)
        assert expired is not None and expired.status is EnvelopeStatus.EXPIRED
        assert office.documents.documents[letter_id(office)].frozen_at is None


class TestReminders:
    def test_a_reminder_sends_a_fresh_link_and_is_paced(self, office: FakeOffice) -> None:
        """Reminding sends a new link (the old one stays valid); a second reminder within the hour is refused."""
        envelope_id = send(office)
        office.clock.advance(hours=2)
        assert service(office).remind(TECH, envelope_id) == 1
        first, second = (link_token(m.text) for m in office.mailer.sent)
        assert first != second and office.mailer.sent[1].subject.startswith("Reminder: ")
        assert len(office.envelopes.tokens) == 2
        office.clock.advance(minutes=30)
        with pytest.raises(RateLimited):
            service(office).remind(TECH, envelope_id)
        reminded = office.envelopes.get(envelope_id)
        assert reminded is not None and reminded.reminders_sent == 1 and len(office.mailer.sent) == 2

    def test_the_automatic_reminder_follows_its_schedule(self, office: FakeOffice) -> None:
        """remind_one finds nothing before the reminder day and reminds the invited signer on it."""
        envelope_id = send(office, reminder_every_days=3)
        office.clock.advance(days=2)
        assert service(office).remind_one() is False
        office.clock.advance(days=1)
        assert service(office).remind_one() is True
        assert [m.to for m in office.mailer.sent] == [("marcus@example.com",)] * 2
        reminded = office.envelopes.get(envelope_id)
        assert reminded is not None and reminded.reminders_sent == 1
        assert reminded.next_reminder_at == office.clock.now() + timedelta(days=3)
