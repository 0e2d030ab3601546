"""Envelopes end to end over the API: send, sign in order, seal, file, mail; refuse what must be refused."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from api.signing_csrf import COOKIE, issue_form_token
from domain.actor import Actor
from domain.envelopes import hash_token
from domain.roles import Role
from domain.sealing.verify import verify_sealed_pdf
from storage.database import unit_of_work
from storage.envelope_repository import SqlEnvelopeRepository
from storage.signed_document_repository import SqlSignedDocumentRepository
from storage.tables import audit_events
from tests.api.envelope_support import (
    attachment,
    code_from,
    drawn_png,
    link_for,
    mails_to,
    post_form,
    send_msa,
)
from tests.api.test_documents import sample
from tests.conftest import Api
from tests.fakes.clock import FixedClock
from tests.support.smtp import LoopbackSmtpServer
from tests.support.tsa import LocalTsa, TsaIdentity
from undersign.jobs import envelope_due
from undersign.runtime import Runtime
from undersign.settings import Settings

CLIENT, MSP = "dana@northwind.example", "sam@msp.example"
INVALID_TEXT = "The signing link is not valid."


@pytest.fixture
def smtp() -> Iterator[LoopbackSmtpServer]:
    """A real SMTP server on loopback that keeps every message."""
    server = LoopbackSmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tsa_identity() -> TsaIdentity:
    """The local TSA's keys (RSA: made once per run)."""
    return TsaIdentity()


@pytest.fixture
def tsa(tsa_identity: TsaIdentity) -> Iterator[LocalTsa]:
    """A running RFC 3161 TSA on loopback."""
    server = LocalTsa(tsa_identity)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, smtp: LoopbackSmtpServer, request: pytest.FixtureRequest) -> Settings:
    """The shared settings, mailing through the loopback SMTP server (and the local TSA when a test asks)."""
    mail = settings.mail.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "starttls": False})
    signing = settings.signing
    if "tsa" in request.fixturenames:
        tsa: LocalTsa = request.getfixturevalue("tsa")
        signing = signing.model_copy(update={"tsa_url": tsa.url})
    return settings.model_copy(update={"mail": mail, "signing": signing})


def sign_as(api: Api, path: str, *, drawn: bool = False, name: str = "Dana Wu", title: str = "Owner") -> Any:
    """Consent, view and sign through the signing page's forms."""
    consent = post_form(
        api, f"{path}/consent", data={"agree": "yes", "version": "esign-consent-2"}, follow_redirects=False
    )
    assert consent.status_code == 303, consent.text
    page = api.client.get(path)
    assert page.status_code == 200 and 'id="sign-form"' in page.text, page.text
    # Read the document as a browser would: every page image the page lists is fetched.
    for src in re.findall(r'src="(/sign/[^"]+/pages/\d+\.png)"', page.text):
        assert api.client.get(src).status_code == 200
    form = {"full_name": name, "title": title, "attest": "yes", "method": "drawn" if drawn else "typed"}
    if drawn:
        form["signature"] = "data:image/png;base64," + base64.b64encode(drawn_png()).decode()
    return post_form(api, f"{path}/sign", data=form)


def pdfsig_ok(path: Path, home: Path) -> bool:
    """Return whether poppler's pdfsig says the signature is valid and covers the whole file."""
    home.mkdir(exist_ok=True)
    out = subprocess.run(
        ["pdfsig", "-no-ocsp", str(path)], capture_output=True, text=True, env={"HOME": str(home)}, check=False
    )
    text = out.stdout + out.stderr
    return "Signature Validation: Signature is Valid." in text and "Total document signed" in text


def audit_actions(runtime: Runtime) -> list[str]:
    """Return every audit action in chain order."""
    with runtime.engine.connect() as conn:
        return [row[0] for row in conn.execute(select(audit_events.c.action).order_by(audit_events.c.seq))]


class TestSigningCeremony:
    def test_two_signers_in_order_complete_seal_file_and_mail(
        self, api: Api, runtime: Runtime, smtp: LoopbackSmtpServer, tmp_path: Path
    ) -> None:
        """Client then MSP sign; the sealed PDF is filed under Object Lock, mailed to both, and validates."""
        completions: list[tuple[str, list[dict[str, str]]]] = []

        class Listener:
            def envelope_sent(self, *args: Any) -> None:
                """Not under test here."""

            def envelope_viewed(self, *args: Any) -> None:
                """Not under test here."""

            def envelope_completed(
                self, actor: Actor, envelope_id: str, document_id: str, version: int, at: datetime, signers: Any
            ) -> None:
                completions.append((envelope_id, signers))

            def envelope_declined(self, *args: Any) -> None:
                raise AssertionError("nobody declined")

        runtime.envelope_listeners.append(Listener())
        envelope = send_msa(api)
        assert [s["status"] for s in envelope["signers"]] == ["invited", "waiting"]
        assert mails_to(smtp, MSP) == []  # order 2 waits for order 1
        first = sign_as(api, link_for(smtp, CLIENT))
        assert first.status_code == 200 and "you have signed" in first.text
        assert api.get(f"/v1/envelopes/{envelope['id']}").json()["status"] == "sent"
        second = sign_as(api, link_for(smtp, MSP), drawn=True, name="Sam Provider", title="Director")
        assert second.status_code == 200, second.text

        done = api.get(f"/v1/envelopes/{envelope['id']}", role=Role.AUDITOR).json()
        assert done["status"] == "completed"
        actions = [e["action"] for e in done["events"]]
        for action in ("envelope.created", "envelope.sent", "signer.delivered", "signer.opened", "signer.consented"):
            assert action in actions
        assert actions.count("signer.signed") == 2 and "document.sealed" in actions and "envelope.completed" in actions
        assert set(actions) <= set(audit_actions(runtime))
        assert [(e, [s["email"] for s in signers]) for e, signers in completions] == [(envelope["id"], [CLIENT, MSP])]

        completed = [m for m in mails_to(smtp, CLIENT) if "Completed" in str(m["Subject"])]
        assert len(completed) == 1 and CLIENT in str(completed[0]["To"]) and MSP in str(completed[0]["To"])
        sealed = attachment(completed[0])
        assert sealed is not None
        sent = api.get(f"/v1/documents/{envelope['document_id']}/versions/1/file.pdf").content
        assert sealed.startswith(sent)  # revision 1 is the sent document, byte for byte

        with unit_of_work(runtime.sessions) as session:
            record = SqlSignedDocumentRepository(session).by_envelope(envelope["id"])
        assert record is not None and record.sealed.sha256 == hashlib.sha256(sealed).hexdigest()
        download = api.get(f"/v1/envelopes/{envelope['id']}/sealed.pdf", role=Role.AUDITOR)
        assert download.status_code == 200 and download.content == sealed
        head = runtime.blob_store.head(record.sealed.key, record.sealed.version_id)  # type: ignore[attr-defined]
        assert head.retention_mode == "GOVERNANCE" and head.retain_until.year == runtime.clock.now().year + 7

        roots = runtime.kit.key.trust_roots()
        verdict = verify_sealed_pdf(sealed, roots, record.sealed.sha256)
        assert verdict.ok, verdict.problems
        assert verdict.envelope_id == envelope["id"] and verdict.document_version == 1
        good, bad = tmp_path / "sealed.pdf", tmp_path / "flipped.pdf"
        good.write_bytes(sealed)
        flipped = bytearray(sealed)
        flipped[len(sent) // 2] ^= 0x01
        bad.write_bytes(bytes(flipped))
        assert pdfsig_ok(good, tmp_path / "nss")
        assert not pdfsig_ok(bad, tmp_path / "nss")
        assert not verify_sealed_pdf(bytes(flipped), roots).ok

        # The version is frozen: it cannot be replaced under the signature.
        again = api.post(
            f"/v1/documents/{envelope['document_id']}/versions", json={"variables": {}, "formats": ["pdf"]}
        )
        assert again.status_code in (409, 422)

    def test_verify_endpoint_names_envelope_signers_and_stored_copy(self, api: Api, smtp: LoopbackSmtpServer) -> None:
        """POST /v1/verify answers ours, intact, the envelope, who signed, and that it equals the stored copy."""
        envelope = send_msa(api)
        sign_as(api, link_for(smtp, CLIENT))
        sign_as(api, link_for(smtp, MSP), name="Sam Provider", title="Director")
        completed = [m for m in mails_to(smtp, MSP) if "Completed" in str(m["Subject"])]
        sealed = attachment(completed[0])
        assert sealed is not None
        answer = api.post("/v1/verify", role=Role.AUDITOR, files={"file": ("s.pdf", sealed, "application/pdf")}).json()
        assert answer["ok"] is True and answer["matches_stored_copy"] is True
        assert answer["envelope_id"] == envelope["id"]
        assert {s["email"] for s in answer["signers"]} == {CLIENT, MSP}
        flipped = bytearray(sealed)
        flipped[100] ^= 0x01
        answer = api.post("/v1/verify", files={"file": ("s.pdf", bytes(flipped), "application/pdf")}).json()
        assert answer["ok"] is False and answer["problems"]
        assert api.post("/v1/verify", files={"file": ("x.pdf", b"hello", "application/pdf")}).status_code == 422


class TestRefusals:
    def test_out_of_order_signature_is_refused_by_the_server(
        self, api: Api, runtime: Runtime, smtp: LoopbackSmtpServer
    ) -> None:
        """A link for the order-2 signer (forged into the store) cannot sign before order 1 has signed."""
        envelope = send_msa(api)
        msp = next(s for s in envelope["signers"] if s["email"] == MSP)
        token = "forged-token-for-a-waiting-signer-0123456789"
        with unit_of_work(runtime.sessions) as session:
            SqlEnvelopeRepository(session).add_token(hash_token(token), msp["id"], envelope["id"], runtime.clock.now())
        # The waiting signer's page is refused, so there is no page to take a form token from; a
        # signer can still mint one for their own browser secret, so the order must hold server-side.
        secret = "s" * 43
        api.client.cookies.set(COOKIE, secret)
        form = {"full_name": "Sam", "title": "Dir", "attest": "yes", "method": "typed"}
        response = api.client.post(f"/sign/{token}/sign", data={**form, "csrf": issue_form_token(secret, token)})
        assert response.status_code in (404, 409) and INVALID_TEXT in response.text
        state = api.get(f"/v1/envelopes/{envelope['id']}").json()
        assert [s["status"] for s in state["signers"]] == ["invited", "waiting"]

    def test_wrong_and_used_tokens_show_the_same_plain_page(self, api: Api, smtp: LoopbackSmtpServer) -> None:
        """An unknown token and an already used one both get the same 404 page naming nothing."""
        send_msa(api)
        path = link_for(smtp, CLIENT)
        sign_as(api, path)
        used = api.client.get(path)
        wrong = api.client.get("/sign/" + "A" * 43)
        assert used.status_code == wrong.status_code == 404
        assert used.text.replace(used.headers.get("x-request-id", ""), "").count(INVALID_TEXT) == 1
        assert "Northwind" not in used.text and "Northwind" not in wrong.text
        assert used.headers["cache-control"] == "no-store" and used.headers["referrer-policy"] == "no-referrer"

    def test_expired_envelope_link_dies_and_run_due_expires_it(
        self, api: Api, runtime: Runtime, clock: FixedClock, smtp: LoopbackSmtpServer
    ) -> None:
        """After expires_in_days the link shows the plain page and run-due marks the envelope expired."""
        envelope = send_msa(api, expires_in_days=2, reminder_every_days=0)
        path = link_for(smtp, CLIENT)
        clock.advance(days=3)
        assert INVALID_TEXT in api.client.get(path).text
        counts = envelope_due(runtime)
        assert counts["expired"] == 1
        state = api.get(f"/v1/envelopes/{envelope['id']}").json()
        # The expiry is recorded once; the notices it mails to the sender and signers may follow it.
        actions = [e["action"] for e in state["events"]]
        assert state["status"] == "expired" and actions.count("envelope.expired") == 1
        assert envelope_due(runtime)["expired"] == 0

    def test_voided_envelope_link_dies(self, api: Api, smtp: LoopbackSmtpServer) -> None:
        """Voiding needs a reason, kills every link, and cannot be repeated; reminding a void envelope is 409."""
        envelope = send_msa(api)
        path = link_for(smtp, CLIENT)
        assert api.post(f"/v1/envelopes/{envelope['id']}/void", json={"reason": ""}).status_code == 422
        assert (
            api.post(f"/v1/envelopes/{envelope['id']}/void", role=Role.AUDITOR, json={"reason": "x"}).status_code == 403
        )
        voided = api.post(f"/v1/envelopes/{envelope['id']}/void", json={"reason": "wrong fee"})
        assert voided.status_code == 200 and voided.json()["status"] == "voided"
        assert INVALID_TEXT in api.client.get(path).text
        assert api.get(f"/v1/envelopes/{envelope['id']}/sealed.pdf").status_code == 404
        assert api.post(f"/v1/envelopes/{envelope['id']}/void", json={"reason": "again"}).status_code == 409
        assert api.post(f"/v1/envelopes/{envelope['id']}/remind").status_code == 409

    def test_document_is_frozen_while_out_and_thawed_when_voided(self, api: Api, smtp: LoopbackSmtpServer) -> None:
        """A new version is refused (409) while the document is out for signature and accepted after a void."""
        envelope = send_msa(api)
        new_version = {"variables": sample("msa/msa", "us-tx-monthly"), "formats": ["pdf"]}
        url = f"/v1/documents/{envelope['document_id']}/versions"
        assert api.post(url, role=Role.SALES, json=new_version).status_code == 409
        api.post(f"/v1/envelopes/{envelope['id']}/void", json={"reason": "fee changes"})
        assert api.post(url, role=Role.SALES, json=new_version).status_code == 201

    def test_decline_needs_a_reason_ends_envelope_and_tells_listeners(
        self, api: Api, runtime: Runtime, smtp: LoopbackSmtpServer
    ) -> None:
        """A decline without reason is refused; with one the envelope is declined and the listener is called."""
        calls: list[tuple[str, str]] = []

        class Listener:
            def envelope_sent(self, *args: Any) -> None:
                """Not under test here."""

            def envelope_viewed(self, *args: Any) -> None:
                """Not under test here."""

            def envelope_completed(self, actor: Actor, envelope_id: str, *args: Any) -> None:
                calls.append(("completed", envelope_id))

            def envelope_declined(
                self, actor: Actor, envelope_id: str, document_id: str, version: int, at: datetime, reason: str
            ) -> None:
                calls.append((actor.kind, reason))

        runtime.envelope_listeners.append(Listener())
        envelope = send_msa(api)
        path = link_for(smtp, CLIENT)
        assert post_form(api, f"{path}/decline", data={"reason": ""}).status_code == 422
        declined = post_form(api, f"{path}/decline", data={"reason": "We do not accept the fee."})
        assert declined.status_code == 200 and "declined" in declined.text
        state = api.get(f"/v1/envelopes/{envelope['id']}").json()
        assert state["status"] == "declined" and state["signers"][0]["decline_reason"] == "We do not accept the fee."
        assert calls == [("signer", "We do not accept the fee.")]
        assert INVALID_TEXT in api.client.get(path).text

    def test_bad_envelope_requests_store_nothing(self, api: Api, smtp: LoopbackSmtpServer) -> None:
        """Duplicate signer e-mails, unknown documents and a reading role are refused and nothing is sent."""
        signer = {"name": "A", "email": "a@x.example", "title": "T", "role": "client", "order": 1}
        body = {"document_id": "nope", "version": 1, "signers": [signer]}
        assert api.post("/v1/envelopes", json=body).status_code == 422
        assert api.post("/v1/envelopes", role=Role.AUDITOR, json=body).status_code == 403
        assert api.post("/v1/envelopes", json={**body, "signers": [signer, signer]}).status_code == 422
        assert api.get("/v1/envelopes").json() == [] and smtp.received == []


class TestRemindersAndCodes:
    def test_remind_mails_fresh_link_and_is_rate_limited(
        self, api: Api, clock: FixedClock, smtp: LoopbackSmtpServer, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A reminder mails a new working link; a second one within the interval is 429; dev mode logs links."""
        caplog.set_level(logging.INFO, logger="undersign.envelopes")
        envelope = send_msa(api)
        first = link_for(smtp, CLIENT)
        assert any(first in record.getMessage() for record in caplog.records)
        reminded = api.post(f"/v1/envelopes/{envelope['id']}/remind", role=Role.SALES)
        assert reminded.status_code == 200 and reminded.json() == {"reminded": 1}
        second = link_for(smtp, CLIENT)
        assert second != first and "Reminder" in str(mails_to(smtp, CLIENT)[-1]["Subject"])
        assert api.post(f"/v1/envelopes/{envelope['id']}/remind").status_code == 429
        clock.advance(minutes=61)
        assert api.post(f"/v1/envelopes/{envelope['id']}/remind").status_code == 200
        assert api.client.get(second).status_code == 200
        listed = api.get(f"/v1/envelopes?status=sent&client_id={envelope['client_id']}").json()
        assert [e["id"] for e in listed] == [envelope["id"]]

    def test_one_time_code_required_and_locked_after_five_wrong_tries(self, api: Api, smtp: LoopbackSmtpServer) -> None:
        """With otp the document is shown only after the mailed code; five wrong codes lock until a reminder."""
        envelope = send_msa(api, otp=True)
        path = link_for(smtp, CLIENT)
        post_form(api, f"{path}/consent", data={"agree": "yes", "version": "esign-consent-2"})
        assert 'id="code"' in api.client.get(path).text
        assert api.client.get(f"{path}/pages/0.png").status_code == 404
        post_form(api, f"{path}/code/send")
        code = code_from(mails_to(smtp, CLIENT)[-1])
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(4):
            assert "not right" in post_form(api, f"{path}/code", data={"code": wrong}).text
        assert "Too many" in post_form(api, f"{path}/code", data={"code": wrong}).text
        assert "Too many" in post_form(api, f"{path}/code", data={"code": code}).text
        # The sender's reminder unlocks the signer: a new code then opens the document.
        assert api.post(f"/v1/envelopes/{envelope['id']}/remind").status_code == 200
        post_form(api, f"{path}/code/send")
        fresh = code_from(mails_to(smtp, CLIENT)[-1])
        assert 'id="sign-form"' in post_form(api, f"{path}/code", data={"code": fresh}).text

    def test_right_code_opens_the_document(self, api: Api, smtp: LoopbackSmtpServer) -> None:
        """The mailed code lets the signer see the pages (PNG) and the signature form."""
        send_msa(api, otp=True)
        path = link_for(smtp, CLIENT)
        post_form(api, f"{path}/consent", data={"agree": "yes", "version": "esign-consent-2"})
        post_form(api, f"{path}/code/send")
        code = code_from(mails_to(smtp, CLIENT)[-1])
        page = post_form(api, f"{path}/code", data={"code": code})
        assert page.status_code == 200 and 'id="sign-form"' in page.text, page.text
        image = api.client.get(f"{path}/pages/0.png")
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


class TestTimestampAuthority:
    def test_seal_waits_for_the_tsa_and_is_made_when_it_is_back(
        self, api: Api, runtime: Runtime, smtp: LoopbackSmtpServer, tsa: LocalTsa
    ) -> None:
        """TSA down: the envelope stays completing with nothing filed; run-due after it returns seals with a token."""
        envelope = send_msa(api)
        sign_as(api, link_for(smtp, CLIENT))
        tsa.stop()
        sign_as(api, link_for(smtp, MSP), name="Sam Provider", title="Director")
        state = api.get(f"/v1/envelopes/{envelope['id']}").json()
        assert state["status"] == "completing" and state["seal_error"]
        with unit_of_work(runtime.sessions) as session:
            assert SqlSignedDocumentRepository(session).by_envelope(envelope["id"]) is None
        assert envelope_due(runtime)["sealed"] == 0
        tsa.start()
        assert envelope_due(runtime)["sealed"] == 1
        with unit_of_work(runtime.sessions) as session:
            record = SqlSignedDocumentRepository(session).by_envelope(envelope["id"])
        assert record is not None
        sealed = runtime.blob_store.get(record.sealed.key, record.sealed.version_id)
        verdict = verify_sealed_pdf(sealed, runtime.kit.key.trust_roots(), timestamp_trust_roots=[tsa.identity.root])
        assert verdict.ok and verdict.timestamp_valid and verdict.timestamp_trusted and verdict.timestamp_time
        assert api.get(f"/v1/envelopes/{envelope['id']}").json()["status"] == "completed"
