"""What a signer is told and what is recorded of it: code mails, the consent disclosure, the attestation wording."""

from __future__ import annotations

import hashlib
import json
import subprocess

import pytest
from sqlalchemy import select

from storage.tables import audit_events
from tests.api.envelope_support import code_from, link_for, mails_to, post_form, send_msa
from tests.api.test_envelopes import smtp  # noqa: F401 - fixture reused by name
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import Runtime
from undersign.settings import Settings

CLIENT = "dana@northwind.example"
CONTACT = "Contracts desk, contracts@msp.example, +1 604 555 0100"


@pytest.fixture
def settings(settings: Settings, smtp: LoopbackSmtpServer) -> Settings:  # noqa: F811
    """The shared settings mailing through the loopback SMTP server, with a paper-copy contact configured."""
    mail = settings.mail.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "starttls": False})
    signing = settings.signing.model_copy(update={"paper_copy_contact": CONTACT})
    return settings.model_copy(update={"mail": mail, "signing": signing})


def payloads(runtime: Runtime, action: str) -> list[dict[str, object]]:
    """Return the chained payloads of every ``action`` event."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(audit_events.c.payload).where(audit_events.c.action == action)).all()
    return [json.loads(row[0]) if isinstance(row[0], str) else dict(row[0]) for row in rows]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
class TestSignerFacingText:
    def test_code_is_in_the_body_never_the_subject(self, api: Api, smtp: LoopbackSmtpServer) -> None:  # noqa: F811
        """The one-time code mail names the document in its Subject and carries the code only in its body."""
        send_msa(api, otp=True)
        path = link_for(smtp, CLIENT)
        assert post_form(api, f"{path}/consent", data={"agree": "yes", "version": "esign-consent-2"}).status_code == 200
        assert post_form(api, f"{path}/code/send").status_code == 200
        mail = mails_to(smtp, CLIENT)[-1]
        code = code_from(mail)
        assert not any(ch.isdigit() for ch in str(mail["Subject"]).replace("MSA", ""))
        assert code not in str(mail["Subject"])

    def test_disclosure_names_the_paper_copy_contact_and_is_recorded_as_shown(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """The consent page offers paper copies from the configured contact (not by reply) and the text is chained."""
        send_msa(api)
        path = link_for(smtp, CLIENT)
        page = api.client.get(path).text
        assert CONTACT in page and "replying" not in page
        assert post_form(api, f"{path}/consent", data={"agree": "yes", "version": "esign-consent-2"}).status_code in (
            200,
            303,
        )
        (recorded,) = payloads(runtime, "signer.consented")
        text = str(recorded["disclosure_text"])
        assert CONTACT in text and text in page
        assert recorded["disclosure_sha256"] == hashlib.sha256(text.encode()).hexdigest()

    def test_legal_name_ending_in_a_period_is_not_printed_with_two(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """A client called "... Ltd." reads "Ltd." (not "Ltd..") on the page, in the chain and on the certificate."""
        envelope = send_msa(api)
        path = link_for(smtp, CLIENT)
        assert post_form(api, f"{path}/consent", data={"agree": "yes", "version": "esign-consent-2"}).status_code == 200
        page = api.client.get(path).text
        assert "on behalf of Northwind Dental Clinic Ltd." in page and "Ltd.." not in page
        form = {"full_name": "Dana Wu", "title": "Office Manager", "attest": "yes", "method": "typed"}
        assert post_form(api, f"{path}/sign", data=form).status_code == 200
        sam = link_for(smtp, "sam@msp.example")
        assert post_form(api, f"{sam}/consent", data={"agree": "yes", "version": "esign-consent-2"}).status_code == 200
        form = {"full_name": "Sam Provider", "title": "Director", "attest": "yes", "method": "typed"}
        assert post_form(api, f"{sam}/sign", data=form).status_code == 200
        attestations = [str(p["attestation"]) for p in payloads(runtime, "signer.signed")]
        assert attestations[0].endswith("on behalf of Northwind Dental Clinic Ltd.")
        assert all(".." not in a for a in attestations)
        sealed = api.get(f"/v1/envelopes/{envelope['id']}/sealed.pdf")
        assert sealed.status_code == 200, sealed.text
        text = subprocess.run(["pdftotext", "-", "-"], input=sealed.content, capture_output=True, check=True)
        flat = " ".join(text.stdout.decode().split())
        assert "Northwind Dental Clinic Ltd." in flat and "Ltd.." not in flat
        # Development without a TSA says so on the certificate instead of implying a trusted time.
        assert "PAdES B-B without a trusted timestamp: no timestamp authority is configured" in flat
