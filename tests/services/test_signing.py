"""The signing ceremony driven through fakes: a link opens, consent comes first, signers sign in turn or decline."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from adapters.template_library import TemplateLibrary
from domain.envelopes import EnvelopeStatus, OtpCheck, SignerRole, SignerStatus
from domain.errors import InvalidInput, InvalidTransition, NotFound
from domain.risks import RiskStatus
from services.signing import LinkInvalid, PagesPreparing, SigningService
from tests.services.ceremony import CALLER, Ceremony
from tests.services.office import FakeOffice


@pytest.fixture
def office(template_library: TemplateLibrary) -> FakeOffice:
    """A back office over fakes on 2026-11-25."""
    return FakeOffice(template_library, at=datetime(2026, 11, 25, 12, tzinfo=UTC))


class TestCeremony:
    def test_consent_comes_before_the_document_and_each_first_is_recorded_once(self, office: FakeOffice) -> None:
        """Consent comes first; then the pages load once, and a view is recorded only when a page is delivered."""
        ceremony = Ceremony(office)
        token, signing = ceremony.token_for("marcus@example.com"), ceremony.signing()
        assert signing.view(token, CALLER).step == "consent"
        with pytest.raises(LinkInvalid):
            signing.page_image(token, 0, CALLER)
        signing.consent(token, CALLER, agreed=True, version="esign-consent-2")
        first = signing.view(token, CALLER)
        again = signing.view(token, CALLER)
        sent = office.envelopes.get(ceremony.envelope_id)
        assert sent is not None
        pages = len(PdfReader(io.BytesIO(office.blobs.get(sent.sent_key, sent.sent_version_id))).pages)
        assert (first.step, first.page_count, again.page_count) == ("sign", pages, pages) and ceremony.pages.loads == 1

        def signer_actions() -> list[str]:
            actions = [e.action for e in office.envelopes.events(ceremony.envelope_id)]
            return [a for a in actions if a.startswith("signer.") and a != "signer.delivered"]

        # Showing the signing page is not viewing the document: nothing is recorded until a page image goes out.
        assert signer_actions() == ["signer.opened", "signer.consented"]
        assert ceremony.risk_status() is RiskStatus.SENT
        assert signing.page_image(token, 0, CALLER).startswith(b"\x89PNG")
        assert signing.page_image(token, 0, CALLER).startswith(b"\x89PNG")
        assert signer_actions() == ["signer.opened", "signer.consented", "signer.viewed"]
        viewed = next(e for e in office.envelopes.events(ceremony.envelope_id) if e.action == "signer.viewed")
        assert (viewed.ip, viewed.user_agent) == ("198.51.100.4", "Firefox/140")
        assert ceremony.risk_status() is RiskStatus.VIEWED
        if pages > 1:
            signing.page_image(token, 1, CALLER)
            # Later pages are kept on the signer (chained with the signature), not chained one by one.
            assert signer_actions()[-1] == "signer.viewed"
            envelope = office.envelopes.get(ceremony.envelope_id)
            assert envelope is not None
            assert next(s for s in envelope.signers if s.email == "marcus@example.com").viewed_pages == (0, 1)
        with pytest.raises(NotFound):
            signing.page_image(token, pages, CALLER)

    def test_signers_sign_in_turn_and_the_last_signature_completes(self, office: FakeOffice) -> None:
        """The MSP is invited only after the client signs; after both, the envelope is completing and links die."""
        ceremony = Ceremony(office)
        client_token = ceremony.token_for("marcus@example.com")
        assert office.mailer.to("priya@harbour.example") == []
        ceremony.sign(client_token, "Marcus Lee")
        assert ceremony.status("marcus@example.com") is SignerStatus.SIGNED
        assert ceremony.status("priya@harbour.example") is SignerStatus.INVITED
        ceremony.sign(ceremony.token_for("priya@harbour.example"), "Priya Shah")
        envelope = office.envelopes.get(ceremony.envelope_id)
        assert envelope is not None and envelope.status is EnvelopeStatus.COMPLETING
        signed = next(s for s in envelope.signers if s.role is SignerRole.CLIENT)
        assert (signed.signed_name, signed.signature_method, signed.ip) == ("Marcus Lee", "typed", CALLER.ip)
        with pytest.raises(LinkInvalid):
            ceremony.signing().view(client_token, CALLER)

    def test_signing_needs_consent_and_every_field(self, office: FakeOffice) -> None:
        """Signing before consent is refused; then missing name, title and attestation are each named."""
        ceremony = Ceremony(office)
        token, signing = ceremony.token_for("marcus@example.com"), ceremony.signing()
        with pytest.raises(InvalidTransition):
            signing.sign(token, CALLER, full_name="M", title="", attested=False, method="typed", drawn_png=None)
        signing.consent(token, CALLER, agreed=True, version="esign-consent-2")
        with pytest.raises(InvalidInput) as refused:
            signing.sign(token, CALLER, full_name="M", title="", attested=False, method="typed", drawn_png=None)
        assert [e.pointer for e in refused.value.errors] == ["full_name", "title", "attest"]
        assert ceremony.status("marcus@example.com") is SignerStatus.INVITED

    def test_a_decline_ends_the_envelope_refuses_the_risk_and_thaws_the_letter(self, office: FakeOffice) -> None:
        """The reason is kept; the register shows refused-to-sign; the letter may take a new version; the link dies."""
        ceremony = Ceremony(office)
        token = ceremony.token_for("marcus@example.com")
        assert office.documents.documents[ceremony.document_id].frozen_at is not None
        with office.transaction():
            ceremony.signing().decline(token, CALLER, "We have compensating controls")
        envelope = office.envelopes.get(ceremony.envelope_id)
        assert envelope is not None and envelope.status is EnvelopeStatus.DECLINED
        assert envelope.end_reason == "We have compensating controls"
        assert ceremony.risk_status() is RiskStatus.REFUSED
        assert office.documents.documents[ceremony.document_id].frozen_at is None
        with pytest.raises(LinkInvalid):
            ceremony.signing().view(token, CALLER)


class TestOneTimeCode:
    def open_code_step(self, office: FakeOffice) -> tuple[Ceremony, str, SigningService, str]:
        """Send with a one-time code, consent, and have the code mailed; return the ceremony, token and code."""
        ceremony = Ceremony(office, otp=True)
        token, signing = ceremony.token_for("marcus@example.com"), ceremony.signing()
        signing.consent(token, CALLER, agreed=True, version="esign-consent-2")
        assert signing.view(token, CALLER).step == "otp"
        signing.send_code(token, CALLER)
        [mail] = [m for m in office.mailer.to("marcus@example.com") if "code" in m.subject]
        # The code is in the body only: lock screens and mail lists show subjects to anyone nearby.
        assert re.findall(r"\d{6}", mail.subject) == []
        code = re.findall(r"\b\d{6}\b", mail.text)[0]
        return ceremony, token, signing, code

    def test_wrong_codes_lock_the_signer_even_against_the_right_code(self, office: FakeOffice) -> None:
        """Five wrong tries lock the signer; the right code then no longer opens the document."""
        _ceremony, token, signing, code = self.open_code_step(office)
        wrong = "000000" if code != "000000" else "111111"
        results = [signing.check_code(token, CALLER, wrong) for _ in range(5)]
        assert results == [OtpCheck.WRONG] * 4 + [OtpCheck.LOCKED]
        assert signing.check_code(token, CALLER, code) is OtpCheck.LOCKED
        assert signing.view(token, CALLER).step == "otp"

    def test_the_mailed_code_opens_the_document(self, office: FakeOffice) -> None:
        """The code from the mail is accepted and the next step is signing."""
        _ceremony, token, signing, code = self.open_code_step(office)
        assert signing.check_code(token, CALLER, code) is OtpCheck.OK
        assert signing.view(token, CALLER).step == "sign"


class TestPagesBeingPrepared:
    def test_while_page_images_are_rendered_the_page_waits_and_nobody_can_sign(self, office: FakeOffice) -> None:
        """Before the render task has run: the view says preparing, a page image is not ready, signing is refused."""
        ceremony = Ceremony(office)
        ceremony.pages.counts.clear()  # as if the render task had not run yet
        token, signing = ceremony.token_for("marcus@example.com"), ceremony.signing()
        signing.consent(token, CALLER, agreed=True, version="esign-consent-2")
        view = signing.view(token, CALLER)
        assert (view.step, view.page_count, view.preparing) == ("sign", 0, True)
        with pytest.raises(PagesPreparing):
            signing.page_image(token, 0, CALLER)
        with pytest.raises(InvalidInput) as refused:
            signing.sign(
                token, CALLER, full_name="Marcus Lee", title="CEO", attested=True, method="typed", drawn_png=None
            )
        assert [e.pointer for e in refused.value.errors] == ["document"]
        ceremony.pages.render_requested()
        assert signing.view(token, CALLER).preparing is False
        assert signing.page_image(token, 0, CALLER).startswith(b"\x89PNG")
