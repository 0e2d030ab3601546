"""Embedded signing over the API: who may issue a URL, for whom, how long it works and who may frame it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from domain.roles import Role
from tests.api.envelope_support import link_for, post_form, send_msa
from tests.api.test_envelopes import CLIENT, smtp  # noqa: F401 - fixtures reused by name
from tests.conftest import Api
from tests.fakes.clock import FixedClock
from tests.support.smtp import LoopbackSmtpServer
from undersign.settings import Settings

PORTAL, OTHER = "https://portal.msp.example", "https://intranet.msp.example"


@pytest.fixture
def settings(settings: Settings, smtp: LoopbackSmtpServer) -> Settings:  # noqa: F811
    """Mail through the loopback SMTP server; two portal origins may embed signing."""
    mail = settings.mail.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "starttls": False})
    signing = settings.signing.model_copy(update={"embed_origins": [PORTAL, OTHER]})
    return settings.model_copy(update={"mail": mail, "signing": signing})


def _url(api: Api, envelope: dict[str, Any], signer: int = 0, role: Role = Role.SALES, **body: Any) -> Any:
    signer_id = envelope["signers"][signer]["id"]
    return api.post(f"/v1/envelopes/{envelope['id']}/signers/{signer_id}/signing-url", role=role, json=body)


class TestSigningUrl:
    def test_url_is_framed_only_by_its_origin_and_dies_after_its_ttl(
        self,
        api: Api,
        smtp: LoopbackSmtpServer,  # noqa: F811
        clock: FixedClock,
    ) -> None:
        """The issued URL's pages allow framing by the chosen origin only; e-mailed links stay unframeable."""
        envelope = send_msa(api)
        issued = _url(api, envelope, origin=PORTAL + "/")
        assert issued.status_code == 200, issued.text
        body = issued.json()
        assert body["origin"] == PORTAL and body["signer_id"] == envelope["signers"][0]["id"]
        path = re.sub(r"^https?://[^/]+", "", body["url"])
        page = api.client.get(path)
        assert page.status_code == 200 and 'id="agree"' in page.text
        csp = page.headers["content-security-policy"]
        assert f"frame-ancestors {PORTAL}" in csp and "x-frame-options" not in page.headers
        assert OTHER not in csp

        mailed = api.client.get(link_for(smtp, CLIENT))
        assert "frame-ancestors 'none'" in mailed.headers["content-security-policy"]
        assert mailed.headers["x-frame-options"] == "DENY"

        events = api.get(f"/v1/envelopes/{envelope['id']}").json()["events"]
        issued_events = [e for e in events if e["action"] == "signer.embedded_link_issued"]
        assert [e["detail"]["origin"] for e in issued_events] == [PORTAL]

        clock.advance(minutes=11)
        assert "This link cannot be used" in api.client.get(path).text
        assert 'id="agree"' in api.client.get(link_for(smtp, CLIENT)).text  # the mailed link is not short-lived

    def test_decline_page_posts_the_outcome_to_the_listed_origin_only(
        self,
        api: Api,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """Declining in the embedded page answers with a postMessage addressed to the portal origin, never "*"."""
        envelope = send_msa(api)
        path = re.sub(r"^https?://[^/]+", "", _url(api, envelope, origin=OTHER).json()["url"])
        done = post_form(api, f"{path}/decline", data={"reason": "Not this quarter."})
        assert done.status_code == 200 and "You declined to sign" in done.text
        assert f"frame-ancestors {OTHER}" in done.headers["content-security-policy"]
        posted = re.search(r"postMessage\((\{.*?\}), (\"[^\"]*\")\)", done.text)
        assert posted is not None
        message = json.loads(posted.group(1))
        assert message == {
            "type": "undersign.declined",
            "envelope_id": envelope["id"],
            "signer_id": envelope["signers"][0]["id"],
        }
        assert json.loads(posted.group(2)) == OTHER

    @pytest.mark.parametrize(
        ("signer", "role", "body", "status"),
        [
            (0, Role.AUDITOR, {"origin": PORTAL}, 403),
            (0, Role.BILLING, {"origin": PORTAL}, 403),
            (0, Role.SALES, {}, 422),  # two origins listed: the request must choose
            (0, Role.SALES, {"origin": "https://evil.example"}, 422),
            (0, Role.SALES, {"origin": "https://*.msp.example"}, 422),
            (0, Role.SALES, {"origin": "http://portal.msp.example"}, 422),
            (0, Role.SALES, {"origin": PORTAL, "ttl": 999}, 422),
            (1, Role.SALES, {"origin": PORTAL}, 409),  # order 2: not this signer's turn yet
        ],
    )
    def test_refusals_issue_nothing(
        self,
        api: Api,
        smtp: LoopbackSmtpServer,  # noqa: F811
        signer: int,
        role: Role,
        body: dict[str, Any],
        status: int,
    ) -> None:
        """Wrong role, unlisted or bad origin, unknown field, or a signer not yet invited: refused, nothing issued."""
        envelope = send_msa(api)
        answer = _url(api, envelope, signer=signer, role=role, **body)
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        events = api.get(f"/v1/envelopes/{envelope['id']}").json()["events"]
        assert not any(e["action"] == "signer.embedded_link_issued" for e in events)

    def test_unknown_signer_is_404_and_a_finished_envelope_is_409(
        self,
        api: Api,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """A signer id of another envelope is not found; a voided envelope issues no URL."""
        envelope = send_msa(api)
        missing = api.post(f"/v1/envelopes/{envelope['id']}/signers/nobody/signing-url", json={"origin": PORTAL})
        assert missing.status_code == 404
        api.post(f"/v1/envelopes/{envelope['id']}/void", json={"reason": "Wrong fee"})
        assert _url(api, envelope, origin=PORTAL).status_code == 409


class TestEmbeddingOff:
    def test_without_listed_origins_no_url_is_issued(
        self,
        api: Api,
        smtp: LoopbackSmtpServer,  # noqa: F811
        settings: Settings,
    ) -> None:
        """With no portal origin listed the call is refused and says which setting turns it on."""
        settings.signing.embed_origins = []
        envelope = send_msa(api)
        answer = _url(api, envelope, origin=PORTAL)
        assert answer.status_code == 409 and "UNDERSIGN_SIGNING__EMBED_ORIGINS" in answer.text
