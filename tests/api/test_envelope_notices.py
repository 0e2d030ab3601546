"""Declining from every step, and who is told how an envelope ends, through the signing pages and the API.

Mail goes through a real SMTP server on loopback (aiosmtpd); each assertion reads the received
message, so "told" means a message arrived, not that a function was called.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from domain.roles import Role
from tests.api.envelope_support import code_from, link_for, mails_to, post_form, send_msa, text_of
from tests.api.test_envelopes import sign_as
from tests.conftest import Api
from tests.fakes.clock import FixedClock
from tests.support.smtp import LoopbackSmtpServer
from undersign.jobs import envelope_due
from undersign.runtime import Runtime
from undersign.settings import Settings

CLIENT, MSP = "dana@northwind.example", "sam@msp.example"
SENDER = "contracts@msp.example"
REASON = "We do not accept the 30-day payment terms."


@pytest.fixture
def smtp() -> Iterator[LoopbackSmtpServer]:
    """A real SMTP server on loopback that keeps every message."""
    server = LoopbackSmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, smtp: LoopbackSmtpServer) -> Settings:
    """The shared settings, mailing through the loopback SMTP server."""
    mail = settings.mail.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "starttls": False})
    return settings.model_copy(update={"mail": mail})


def _send(api: Api, **extra: Any) -> dict[str, Any]:
    return send_msa(api, sender_email=SENDER, sender_name="Casey Contracts", **extra)


def _consent(api: Api, path: str) -> None:
    done = post_form(
        api, f"{path}/consent", data={"agree": "yes", "version": "esign-consent-2"}, follow_redirects=False
    )
    assert done.status_code == 303, done.text


def _subjects(smtp: LoopbackSmtpServer, address: str) -> list[str]:
    return [str(m["Subject"]) for m in mails_to(smtp, address)]


def _state(api: Api, envelope: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = api.get(f"/v1/envelopes/{envelope['id']}").json()
    return body


class TestDeclineFromEveryStep:
    @pytest.mark.parametrize("step", ["before_consent", "before_code", "after_code", "after_consent"])
    def test_signer_declines_at_any_step_and_everyone_gets_the_reason(
        self, api: Api, smtp: LoopbackSmtpServer, step: str
    ) -> None:
        """Wherever the signer is, the page offers decline; the refusal ends the envelope and both mails carry it."""
        envelope = _send(api, otp=step in ("before_code", "after_code"))
        path = link_for(smtp, CLIENT)
        if step != "before_consent":
            _consent(api, path)
        if step == "after_code":
            post_form(api, f"{path}/code/send")
            assert (
                'id="sign-form"'
                in post_form(api, f"{path}/code", data={"code": code_from(mails_to(smtp, CLIENT)[-1])}).text
            )
        page = api.client.get(path).text
        expected_step = {"before_consent": 'id="agree"', "before_code": 'id="code"'}.get(step, 'id="sign-form"')
        assert expected_step in page and 'id="decline-button"' in page
        if step == "before_code":
            assert not any("signing code" in s for s in _subjects(smtp, CLIENT))  # no code was ever asked for

        answer = post_form(api, f"{path}/decline", data={"reason": REASON})
        assert answer.status_code == 200 and "You declined to sign" in answer.text
        assert f"A copy of your answer was e-mailed to {CLIENT}." in answer.text
        assert "The sender was e-mailed your answer and your reason." in answer.text

        state = _state(api, envelope)
        assert state["status"] == "declined" and state["signers"][0]["decline_reason"] == REASON
        copy = [m for m in mails_to(smtp, CLIENT) if str(m["Subject"]).startswith("You declined to sign")]
        assert len(copy) == 1 and REASON in text_of(copy[0])
        told = mails_to(smtp, SENDER)
        assert [str(m["Subject"]) for m in told] == [f"Declined: {state['title']}"]
        assert (
            REASON in text_of(told[0]) and "Dana Wu" in text_of(told[0]) and "Hello Casey Contracts" in text_of(told[0])
        )
        notices = [e["detail"]["notice"] for e in state["events"] if e["action"] == "envelope.notice_mailed"]
        assert notices == ["decline_copy", "sender_declined"]
        assert mails_to(smtp, MSP) == []  # the order-2 signer never had a link: nothing to withdraw

    def test_decline_without_the_pages_form_token_is_refused_and_changes_nothing(
        self, api: Api, smtp: LoopbackSmtpServer
    ) -> None:
        """Declining before the code still needs the form token of the signer's own page (CSRF protection stays)."""
        envelope = _send(api, otp=True)
        path = link_for(smtp, CLIENT)
        forged = api.client.post(f"{path}/decline", data={"reason": REASON, "csrf": "x.y"})
        assert forged.status_code == 403 and "could not be accepted" in forged.text
        assert _state(api, envelope)["status"] == "sent" and mails_to(smtp, SENDER) == []

    @pytest.mark.parametrize(
        ("reason", "says"),
        [
            ("", "Please say why you decline."),
            ("no", "Please say why you decline."),
            ("Fee \u202etoo high", "text-direction control characters"),
            ("x" * 2001, ""),
        ],
    )
    def test_bad_reasons_are_refused_and_nothing_is_recorded(
        self, api: Api, smtp: LoopbackSmtpServer, reason: str, says: str
    ) -> None:
        """An empty, too short, too long or direction-overriding reason is refused with a reason; nothing is sent."""
        envelope = _send(api)
        path = link_for(smtp, CLIENT)
        answer = post_form(api, f"{path}/decline", data={"reason": reason})
        assert answer.status_code == 422
        assert says in answer.text
        assert _state(api, envelope)["status"] == "sent" and mails_to(smtp, SENDER) == []

    def test_page_does_not_claim_the_sender_was_told_when_there_is_nobody_to_tell(
        self, api: Api, smtp: LoopbackSmtpServer
    ) -> None:
        """Without a sender address the page says the sender could not be e-mailed, and the event says why."""
        envelope = send_msa(api)
        answer = post_form(api, f"{link_for(smtp, CLIENT)}/decline", data={"reason": REASON})
        assert "The sender could not be e-mailed automatically" in answer.text
        assert "The sender was e-mailed" not in answer.text
        events = _state(api, envelope)["events"]
        missed = [e["detail"] for e in events if e["action"] == "envelope.notice_not_mailed"]
        assert missed == [{"notice": "sender_declined", "error": "no address to send it to"}]


class TestSenderAndSignersAreTold:
    def test_void_mails_the_sender_and_every_signer_who_still_had_a_link(
        self, api: Api, smtp: LoopbackSmtpServer
    ) -> None:
        """Voiding mails the sender the reason and each invited signer; a signer still waiting had no link."""
        envelope = _send(
            api,
            signers=[
                {"name": "Dana Wu", "email": CLIENT, "title": "Owner", "role": "client", "order": 1},
                {"name": "Lee Park", "email": "lee@northwind.example", "title": "CFO", "role": "client", "order": 1},
                {"name": "Sam Provider", "email": MSP, "title": "Director", "role": "msp", "order": 2},
            ],
        )
        voided = api.post(f"/v1/envelopes/{envelope['id']}/void", role=Role.SALES, json={"reason": "Wrong fee"})
        assert voided.status_code == 200
        assert _subjects(smtp, SENDER) == [f"Withdrawn: {envelope['title']}"]
        assert "Wrong fee" in text_of(mails_to(smtp, SENDER)[0])
        for address in (CLIENT, "lee@northwind.example"):
            last = mails_to(smtp, address)[-1]
            assert str(last["Subject"]).startswith("No longer needed") and "Wrong fee" in text_of(last)
        assert mails_to(smtp, MSP) == []
        events = _state(api, envelope)["events"]
        told = sorted(e["detail"]["to"][0] for e in events if e["action"] == "envelope.notice_mailed")
        assert told == sorted([SENDER, CLIENT, "lee@northwind.example"])

    def test_expiry_mails_the_sender_and_the_signers_whose_link_died(
        self, api: Api, runtime: Runtime, clock: FixedClock, smtp: LoopbackSmtpServer
    ) -> None:
        """run-due expires the envelope and mails the sender (naming who had not signed) and the invited signer."""
        envelope = _send(api, expires_in_days=2)
        clock.advance(days=3)
        assert envelope_due(runtime)["expired"] == 1
        assert _subjects(smtp, SENDER) == [f"Expired unsigned: {envelope['title']}"]
        assert "Dana Wu (dana@northwind.example)" in text_of(mails_to(smtp, SENDER)[0])
        assert str(mails_to(smtp, CLIENT)[-1]["Subject"]).startswith("Signing link expired")
        assert mails_to(smtp, MSP) == []
        assert envelope_due(runtime)["expired"] == 0 and len(mails_to(smtp, SENDER)) == 1

    def test_completion_mails_the_sender(self, api: Api, smtp: LoopbackSmtpServer) -> None:
        """When the last signer signs and the copy is sealed, the sender is mailed that everyone signed."""
        envelope = _send(api)
        assert sign_as(api, link_for(smtp, CLIENT)).status_code == 200
        assert mails_to(smtp, SENDER) == []
        assert sign_as(api, link_for(smtp, MSP), name="Sam Provider", title="Director").status_code == 200
        assert _state(api, envelope)["status"] == "completed"
        assert _subjects(smtp, SENDER) == [f"Signed by everyone: {envelope['title']}"]
        assert "Dana Wu" in text_of(mails_to(smtp, SENDER)[0]) and "Sam Provider" in text_of(mails_to(smtp, SENDER)[0])

    def test_sender_defaults_to_the_notify_setting_and_a_bad_address_is_refused(
        self, api: Api, runtime: Runtime, smtp: LoopbackSmtpServer
    ) -> None:
        """A bad sender_email is a 422 that stores and sends nothing; without one the setting's address is used."""
        bad = api.post(
            "/v1/envelopes",
            json={"document_id": "x", "version": 1, "signers": [], "sender_email": "Casey <c@msp.example>"},
        )
        assert bad.status_code == 422 and "sender_email" in bad.text and smtp.received == []
        runtime.settings.signing.notify_email = "desk@msp.example"
        envelope = send_msa(api)
        assert envelope["sender_email"] == "desk@msp.example"


class TestRemindersStop:
    @pytest.mark.parametrize("end", ["declined", "voided", "expired", "completed"])
    def test_no_reminder_after_an_envelope_ends(
        self, api: Api, runtime: Runtime, clock: FixedClock, smtp: LoopbackSmtpServer, end: str
    ) -> None:
        """Once declined, voided, expired or completed, run-due sends no reminder however much time passes."""
        envelope = _send(api, expires_in_days=30, reminder_every_days=1)
        path = link_for(smtp, CLIENT)
        if end == "declined":
            post_form(api, f"{path}/decline", data={"reason": REASON})
        elif end == "voided":
            api.post(f"/v1/envelopes/{envelope['id']}/void", json={"reason": "Wrong fee"})
        elif end == "expired":
            clock.advance(days=31)
            assert envelope_due(runtime)["expired"] == 1
        else:
            sign_as(api, path)
            sign_as(api, link_for(smtp, MSP), name="Sam Provider", title="Director")
        assert _state(api, envelope)["status"] == end
        before = len(smtp.received)
        for _ in range(3):
            clock.advance(days=2)
            assert envelope_due(runtime)["reminded"] == 0
        assert len(smtp.received) == before
        assert not any(s.startswith("Reminder") for s in _subjects(smtp, CLIENT) + _subjects(smtp, MSP))
