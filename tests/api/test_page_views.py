"""'Viewed' means seen: a view is recorded only when page images reach the signer, and says which pages."""

from __future__ import annotations

import re
import subprocess
from typing import Any

from sqlalchemy import select

from storage.tables import audit_events
from tests.api.envelope_support import link_for, post_form
from tests.api.test_envelopes import settings, smtp  # noqa: F401 - fixtures reused by name
from tests.api.test_risk_signing import APPROVER, APPROVER_EMAIL, new_client, send_letter
from tests.api.test_risks import create_letter, only_risk
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import Runtime

PAGE = re.compile(r'src="(/sign/[^"]+/pages/(\d+)\.png)"')


def view_events(runtime: Runtime) -> list[tuple[str, Any]]:
    """Return the chained (action, payload) of every page-view event (and any older per-page one), in order."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(audit_events.c.action, audit_events.c.payload)
            .where(audit_events.c.action.in_(["signer.viewed", "signer.page_viewed"]))
            .order_by(audit_events.c.seq)
        ).all()
    return [(row[0], row[1]) for row in rows]


def decision_payload(runtime: Runtime, action: str) -> Any:
    """Return the chained payload of the only ``signer.signed`` or ``signer.declined`` event."""
    with runtime.engine.connect() as conn:
        return conn.execute(select(audit_events.c.payload).where(audit_events.c.action == action)).scalar_one()


def consent(api: Api, path: str) -> list[str]:
    """Consent on the signing page and return the page-image URLs the document page lists."""
    assert post_form(api, f"{path}/consent", data={"agree": "yes", "version": "esign-consent-2"}).status_code in (
        200,
        303,
    )
    page = api.client.get(path)
    assert 'id="sign-form"' in page.text
    return [src for src, _ in PAGE.findall(page.text)]


class TestViewedMeansSeen:
    def test_page_without_images_is_not_a_view_and_each_page_is_recorded_once(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """Showing the page records no view; the first page image is chained once; later pages go with the signature."""
        client_id = new_client(api)
        send_letter(api, create_letter(api, client_id))
        path = link_for(smtp, APPROVER_EMAIL)
        images = consent(api, path)
        assert len(images) >= 2
        api.client.get(path)
        assert view_events(runtime) == []
        assert only_risk(api, client_id)["status"] == "sent"

        assert api.client.get(images[0]).content.startswith(b"\x89PNG")
        assert only_risk(api, client_id)["status"] == "viewed"
        api.client.get(images[0])
        api.client.get(images[1])
        events = view_events(runtime)
        assert [action for action, _ in events] == ["signer.viewed"]
        assert [(p["page"], p["pages"]) for _, p in events] == [(1, len(images))]

        form = {"full_name": APPROVER, "title": "Owner", "attest": "yes", "method": "typed"}
        assert post_form(api, f"{path}/sign", data=form).status_code == 200
        signed = decision_payload(runtime, "signer.signed")
        assert signed["viewed_pages"] == [1, 2] and signed["seen"] == f"pages 1-2 of {len(images)}"

    def test_a_refusal_chains_the_pages_seen_before_it(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """A signer who read two pages and then declined: the chained refusal names those two pages."""
        send_letter(api, create_letter(api, new_client(api)))
        path = link_for(smtp, APPROVER_EMAIL)
        images = consent(api, path)
        assert [api.client.get(image).status_code for image in images[:2]] == [200, 200]
        assert post_form(api, f"{path}/decline", data={"reason": "Not our risk to accept"}).status_code == 200
        declined = decision_payload(runtime, "signer.declined")
        assert declined["viewed_pages"] == [1, 2] and declined["page_count"] == len(images)
        assert declined["seen"] == f"pages 1-2 of {len(images)}"

    def test_certificate_and_register_say_which_pages_were_seen(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """A letter signed after seeing only page 1 says so on the sealed certificate and in the register."""
        client_id = new_client(api)
        envelope = send_letter(api, create_letter(api, client_id)).json()
        path = link_for(smtp, APPROVER_EMAIL)
        images = consent(api, path)
        api.client.get(images[0])
        form = {"full_name": APPROVER, "title": "Owner", "attest": "yes", "method": "typed"}
        assert post_form(api, f"{path}/sign", data=form).status_code == 200
        seen = f"page 1 of {len(images)}"
        risk = only_risk(api, client_id)
        assert risk["status"] == "accepted" and risk["signers"][0]["pages_viewed"] == seen
        sealed = api.get(f"/v1/envelopes/{envelope['id']}/sealed.pdf")
        text = subprocess.run(["pdftotext", "-", "-"], input=sealed.content, capture_output=True, check=True)
        assert f"({seen} shown)" in " ".join(text.stdout.decode().split())

    def test_signing_without_any_page_image_records_no_view(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """A signature posted without loading the pages leaves no view; the certificate says no page was shown."""
        client_id = new_client(api)
        envelope = send_letter(api, create_letter(api, client_id)).json()
        path = link_for(smtp, APPROVER_EMAIL)
        images = consent(api, path)
        form = {"full_name": APPROVER, "title": "Owner", "attest": "yes", "method": "typed"}
        assert post_form(api, f"{path}/sign", data=form).status_code == 200
        assert view_events(runtime) == []
        risk = only_risk(api, client_id)
        assert [step["to"] for step in risk["history"]] == ["draft", "sent", "accepted"]
        sealed = api.get(f"/v1/envelopes/{envelope['id']}/sealed.pdf")
        text = subprocess.run(["pdftotext", "-", "-"], input=sealed.content, capture_output=True, check=True)
        assert f"no page of the {len(images)}-page document was shown" in " ".join(text.stdout.decode().split())
