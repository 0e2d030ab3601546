"""The MSP's person on the record: an envelope sent with a named user's key names them on the certificate.

The letter is sent through the API with a key that belongs to a technician, signed on the real
signing pages, and the sealed PDF's text (``pdftotext``) must print who sent it, with their title;
the envelope's own events and the audit chain name the same person.
"""

from __future__ import annotations

import subprocess

from sqlalchemy import select

from domain.actor import SYSTEM
from domain.roles import Role
from storage.database import unit_of_work
from storage.tables import audit_events
from storage.tables_envelopes import envelope_events
from tests.api.envelope_support import link_for
from tests.api.test_envelopes import settings, sign_as, smtp  # noqa: F401 - fixtures reused by name
from tests.api.test_risk_signing import APPROVER, APPROVER_EMAIL, new_client, send_letter
from tests.api.test_risks import create_letter
from tests.conftest import Api
from tests.support.console import create_user
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import Runtime
from undersign.service_factory import ServiceFactory


def sealed_text(api: Api, envelope_id: str) -> str:
    """Return the sealed copy's text as pdftotext reads it, white space collapsed."""
    sealed = api.get(f"/v1/envelopes/{envelope_id}/sealed.pdf")
    assert sealed.status_code == 200
    out = subprocess.run(["pdftotext", "-", "-"], input=sealed.content, capture_output=True, check=True).stdout
    return " ".join(out.decode().split())


class TestEnvelopeSender:
    def test_the_certificate_names_the_user_who_sent_it(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """A letter sent with Tess's own key is 'Sent by Tess Tech, Senior Technician' on the sealed certificate."""
        tess = create_user(runtime, "tess@msp.example", [Role.TECH], name="Tess Tech", title="Senior Technician")
        with unit_of_work(runtime.sessions) as session:
            _record, key = ServiceFactory(session, runtime).api_keys().create_for_user("tess-laptop", tess, by=SYSTEM)
        api.keys[Role.TECH] = key
        client_id = new_client(api)
        envelope = send_letter(api, create_letter(api, client_id)).json()
        assert sign_as(api, link_for(smtp, APPROVER_EMAIL), name=APPROVER).status_code == 200
        text = sealed_text(api, envelope["id"])
        msp = runtime.settings.branding.msp_name
        assert f"Sent by Tess Tech, Senior Technician, {msp}" in text

        with runtime.engine.connect() as conn:
            created = conn.execute(
                select(envelope_events.c.detail).where(
                    envelope_events.c.envelope_id == envelope["id"], envelope_events.c.action == "envelope.created"
                )
            ).scalar_one()
            chained = conn.execute(
                select(audit_events.c.payload).where(audit_events.c.action == "envelope.created")
            ).scalar_one()
        person = {"user_id": tess, "name": "Tess Tech", "title": "Senior Technician", "roles": ["tech"]}
        assert created["by"] == person and chained["by"] == person

    def test_a_plain_keys_envelope_names_nobody(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """An integration's key (no person behind it) leaves the certificate without a 'Sent by' line."""
        client_id = new_client(api)
        envelope = send_letter(api, create_letter(api, client_id)).json()
        assert sign_as(api, link_for(smtp, APPROVER_EMAIL), name=APPROVER).status_code == 200
        assert "Sent by" not in sealed_text(api, envelope["id"])
