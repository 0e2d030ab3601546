"""What signers read in their e-mail: no internal version numbers, and a signed copy named by its title."""

from __future__ import annotations

from tests.api.envelope_support import link_for, mails_to, send_msa, text_of
from tests.api.test_envelopes import settings, sign_as, smtp  # noqa: F401 - fixtures: loopback SMTP settings
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer

CLIENT = "dana@northwind.example"


def test_invitation_and_signed_copy_speak_to_the_client(api: Api, smtp: LoopbackSmtpServer) -> None:  # noqa: F811
    """The invitation names the document without "(version N)"; the sealed copy is attached by title and date."""
    signer = {"name": "Dana Wu", "email": CLIENT, "title": "Office Manager", "role": "client", "order": 1}
    send_msa(api, signers=[signer], allow_unreviewed=True)
    [invitation] = mails_to(smtp, CLIENT)
    body = text_of(invitation)
    assert '"Master Services Agreement".' in body and "(version" not in body
    assert sign_as(api, link_for(smtp, CLIENT)).status_code == 200
    completed = [m for m in mails_to(smtp, CLIENT) if "Completed" in str(m["Subject"])]
    assert len(completed) == 1
    names = [str(part.get_filename()) for part in completed[0].walk() if part.get_filename()]
    assert len(names) == 1 and names[0].startswith("Master Services Agreement - signed ")
    assert names[0].endswith(".pdf") and "-" in names[0]
