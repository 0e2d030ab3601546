"""A French signer through the real path: French mails, the French disclosure recorded, French certificate.

The envelope names Dana (client) in French and Sam (MSP) in English. Everything is read back from what a
person would receive: the messages on the loopback SMTP server and the sealed PDF through ``pdftotext``.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest

from domain.envelopes import CONSENT_DISCLOSURES
from domain.roles import Role
from tests.api.envelope_support import attachment, code_from, link_for, mails_to, post_form, send_msa, text_of
from tests.api.test_envelopes import smtp  # noqa: F401 - fixture reused by name
from tests.api.test_signing_disclosures import (
    payloads,
    settings,  # noqa: F401 - fixture reused by name
)
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import Runtime

CLIENT, MSP = "dana@northwind.example", "sam@msp.example"
SIGNERS = [
    {"name": "Dana Wu", "email": CLIENT, "title": "Office Manager", "role": "client", "order": 1, "language": "fr"},
    {"name": "Sam Provider", "email": MSP, "title": "Director", "role": "msp", "order": 2},
]


def _subject(message: Message) -> str:
    """The decoded Subject, as a mail program shows it (French subjects travel RFC 2047-encoded)."""
    return str(make_header(decode_header(str(message["Subject"]))))


def _pdf_text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
class TestFrenchSigner:
    def test_french_mails_disclosure_and_certificate(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """Dana (fr) gets French invitation, code and completion mails and a French certificate; Sam stays English."""
        envelope = send_msa(api, signers=SIGNERS, otp=True)
        assert [s["language"] for s in envelope["signers"]] == ["fr", "en"]
        (invitation,) = mails_to(smtp, CLIENT)
        assert _subject(invitation).startswith("Veuillez signer\u00a0: ")
        body = text_of(invitation).replace("\r\n", "\n")
        assert body.startswith("Bonjour Dana Wu,\n\n") and "vous invite à examiner et à signer «\u00a0" in body
        assert "Ouvrez votre lien de signature personnel\u00a0:" in body and "Open your personal" not in body

        path = link_for(smtp, CLIENT)
        page = api.client.get(path).text
        assert 'value="esign-consent-fr-1"' in page and "Consentement à faire affaire par voie électronique" in page
        # The English disclosure is not the one in force for a French signer: agreeing to it is refused.
        stale = post_form(api, f"{path}/consent", data={"agree": "yes", "version": "esign-consent-2"})
        assert stale.status_code == 422
        agreed = post_form(api, f"{path}/consent", data={"agree": "yes", "version": "esign-consent-fr-1"})
        assert agreed.status_code == 200
        (consent,) = payloads(runtime, "signer.consented")
        assert consent["disclosure_version"] == "esign-consent-fr-1" and consent["disclosure_language"] == "fr"
        shown = str(consent["disclosure_text"])
        assert shown.startswith(CONSENT_DISCLOSURES["esign-consent-fr-1"][:60]) and "{paper_contact}" not in shown
        assert consent["disclosure_sha256"] == hashlib.sha256(shown.encode()).hexdigest()

        assert post_form(api, f"{path}/code/send").status_code == 200
        code_mail = mails_to(smtp, CLIENT)[-1]
        assert _subject(code_mail).startswith("Votre code de signature pour ")
        assert "Ne le communiquez à personne." in text_of(code_mail)
        assert post_form(api, f"{path}/code", data={"code": code_from(code_mail)}).status_code == 200
        form = {"full_name": "Dana Wu", "title": "Office Manager", "attest": "yes", "method": "typed"}
        assert post_form(api, f"{path}/sign", data=form).status_code == 200

        sam = link_for(smtp, MSP)
        assert _subject(mails_to(smtp, MSP)[0]).startswith("Please sign: ")
        assert post_form(api, f"{sam}/consent", data={"agree": "yes", "version": "esign-consent-2"}).status_code == 200
        assert post_form(api, f"{sam}/code/send").status_code == 200
        assert post_form(api, f"{sam}/code", data={"code": code_from(mails_to(smtp, MSP)[-1])}).status_code == 200
        form = {"full_name": "Sam Provider", "title": "Director", "attest": "yes", "method": "typed"}
        assert post_form(api, f"{sam}/sign", data=form).status_code == 200
        assert api.get(f"/v1/envelopes/{envelope['id']}").json()["status"] == "completed"

        french = mails_to(smtp, CLIENT)[-1]
        english = mails_to(smtp, MSP)[-1]
        assert _subject(french).startswith("Signé par toutes les parties\u00a0: ")
        assert "a été signé par toutes les parties" in text_of(french) and MSP not in str(french["To"])
        assert _subject(english).startswith("Completed: ") and CLIENT not in str(english["To"])
        # The copy's file name is in French too, kept to portable ASCII ("signé" becomes "signe").
        parts = french.get_payload()
        assert isinstance(parts, list)
        last: Any = parts[-1]
        filename = str(last.get_filename())
        months = "janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre"
        assert re.search(rf" - signe le \d+ ({months}) \d{{4}}\.pdf$", filename), filename
        sealed = attachment(french)
        assert sealed is not None and sealed == attachment(english)

        text = _pdf_text(sealed)
        for words in (
            "Certificat d’achèvement",  # noqa: RUF001
            "Signataires",
            "Déroulement",
            "Consentement aux documents électroniques version esign-consent-fr-1",
            "lien par courriel + code à usage unique",
            "A signé le document",
            "A accepté de faire affaire par voie électronique",
            "Moi, Dana Wu, Office Manager, je confirme être autorisé(e) à signer au nom de",
            "signature tapée",
            "Sceau\u00a0: PAdES B-B sans horodatage de confiance",
        ):
            assert words.replace("\u00a0", " ") in text.replace("\u00a0", " "), words
        assert re.search(r"Page \d+ de \d+", text)
        # Sam attested in English, and that is what he confirmed: it stays in his words.
        assert "I, Sam Provider, Director, confirm that I am authorised to sign on behalf of" in text
        assert "Certificate of completion" not in text and "What happened" not in text

    def test_unknown_language_is_refused_and_nothing_is_sent(
        self,
        api: Api,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """A signer language other than en or fr is a 422 problem naming the field; no envelope, no mail."""
        from tests.api.test_documents import create_msa, make_client, sample

        document = create_msa(api, make_client(api), sample("msa/msa", "us-tx-monthly")).json()
        signers = [{**SIGNERS[0], "language": "de"}]
        answer = api.post(
            "/v1/envelopes", role=Role.SALES, json={"document_id": document["id"], "version": 1, "signers": signers}
        )
        assert answer.status_code == 422
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "language" in answer.text
        assert api.get("/v1/envelopes").json() == [] and smtp.received == []
