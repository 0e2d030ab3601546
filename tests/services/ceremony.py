"""A decline-of-service letter out for signature over the fakes, and the signing service behind its links."""

from __future__ import annotations

import json
import re
from typing import Any

from domain.actor import Actor
from domain.document_kind import DocumentKind
from domain.envelopes import RetentionPolicy, SignerRole, SignerSpec, SignerStatus
from domain.ports import EnvelopeOutcomeListener
from domain.risks import RiskStatus
from domain.roles import Role
from domain.sealing.completion import Completer
from domain.sealing.keys import SealingKey
from domain.sealing.seal import Sealer
from services.completion import CompletionService
from services.documents import DocumentThaw
from services.envelopes import EnvelopeRequest, EnvelopeService
from services.signing import Caller, SigningService
from tests.fakes.envelopes import FakeDocumentPages
from tests.services.office import FakeOffice
from undersign.settings import REPO_ROOT

TECH = Actor(name="tech-desk", role=Role.TECH)
LETTER = "waivers/decline-of-service"
MFA_SAMPLE = REPO_ROOT / "templates" / LETTER / "samples" / "mfa-ra-2026-0042.json"
CALLER = Caller(ip="198.51.100.4", user_agent="Firefox/140")
SIGNERS = [
    SignerSpec("Marcus Lee", "marcus@example.com", "CEO", SignerRole.CLIENT, 1),
    SignerSpec("Priya Shah", "priya@harbour.example", "Director", SignerRole.MSP, 2),
]


class Ceremony:
    """A letter out for signature over the office's fakes, and the signing service behind its links."""

    def __init__(self, office: FakeOffice, *, otp: bool = False) -> None:
        self.office = office
        self.pages = FakeDocumentPages(office.blobs)
        variables: dict[str, Any] = json.loads(MFA_SAMPLE.read_text())
        with office.transaction():
            document, _version = office.document_service([office.risk_service()]).create(
                TECH, LETTER, office.add_client().id, variables, ["pdf"]
            )
            envelopes = self.envelopes()
            self.envelope_id = envelopes.create(
                TECH, EnvelopeRequest(document_id=document.id, version=1, signers=SIGNERS, otp=otp)
            ).id
        self.document_id = document.id
        # Production asks for the page images at creation and a task renders them; here the fake does both.
        sent = office.envelopes.get(self.envelope_id)
        assert sent is not None
        self.pages.request(sent.sent_sha256, sent.sent_key, sent.sent_version_id)
        self.pages.render_requested()

    def envelopes(self) -> EnvelopeService:
        """The envelope service with the listeners production wires."""
        return self.office.envelope_service([DocumentThaw(self.office.documents), self.office.risk_service()])

    def signing(self, *extra: EnvelopeOutcomeListener) -> SigningService:
        """The signing service over the same fakes and listeners, and ``extra`` ones (a refusal recorder)."""
        envelopes = self.envelopes()
        return SigningService(
            envelopes=self.office.envelopes,
            blobs=self.office.blobs,
            pages=self.pages,
            invitations=envelopes.invitations,
            recorder=envelopes.recorder,
            mailer=self.office.mailer,
            clock=self.office.clock,
            rules=self.office.rules,
            tasks=self.office.tasks,
            listeners=[DocumentThaw(self.office.documents), self.office.risk_service(), *extra],
        )

    def token_for(self, email: str) -> str:
        """Return the token of the latest link mailed to ``email``."""
        text = self.office.mailer.to(email)[-1].text
        found = re.search(r"/sign/(\S+)", text)
        assert found is not None
        return found.group(1)

    def status(self, email: str) -> SignerStatus:
        """Return the stored status of the signer with ``email``."""
        envelope = self.office.envelopes.get(self.envelope_id)
        assert envelope is not None
        return next(s.status for s in envelope.signers if s.email == email)

    def risk_status(self) -> RiskStatus:
        """Return the register entry's status."""
        return next(iter(self.office.risks.entries.values())).status

    def sign(self, token: str, name: str) -> None:
        """Consent and sign by typing ``name``, as the page would, in one transaction each."""
        signing = self.signing()
        with self.office.transaction():
            signing.consent(token, CALLER, agreed=True, version="esign-consent-2")
        with self.office.transaction():
            signing.view(token, CALLER)
        with self.office.transaction():
            signing.sign(token, CALLER, full_name=name, title="Director", attested=True, method="typed", drawn_png=None)

    def completion(self, key: SealingKey) -> CompletionService:
        """The completion service over the same fakes and listeners, sealing with ``key``."""
        office = self.office
        return CompletionService(
            envelopes=office.envelopes,
            documents=office.documents,
            signed=office.signed,
            blobs=office.blobs,
            mailer=office.mailer,
            recorder=self.envelopes().recorder,
            clock=office.clock,
            completer=Completer(Sealer(key, location="undersign tests")),
            retention=RetentionPolicy(mode="GOVERNANCE", years_by_kind={DocumentKind.WAIVER: 7}),
            listeners=[DocumentThaw(office.documents), office.risk_service()],
        )
