"""Hostile requests to the signing pages: forged forms, look-alike names, oversized drawings, forged IPs.

Each runs on SQLite and PostgreSQL; each refusal is an HTML page (signers use a browser) with a 4xx
status, and the envelope's state read back through the API shows nothing changed.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from api.signing_csrf import COOKIE, issue_form_token
from storage.database import unit_of_work
from storage.envelope_repository import SqlEnvelopeRepository
from tests.api.envelope_support import form_token, link_for, post_form, send_msa
from tests.api.test_envelopes import settings, smtp  # noqa: F401 - fixtures reused by name
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import Runtime

CLIENT = "dana@northwind.example"
OTHER = "lee@northwind.example"
PARALLEL = [
    {"name": "Dana Wu", "email": CLIENT, "title": "Office Manager", "role": "client", "order": 1},
    {"name": "Lee Park", "email": OTHER, "title": "Owner", "role": "client", "order": 1},
]
CONSENT = {"agree": "yes", "version": "esign-consent-2"}


def signer_state(api: Api, envelope_id: str, email: str) -> dict[str, Any]:
    """Return one signer's state as the API reports it."""
    envelope = api.get(f"/v1/envelopes/{envelope_id}").json()
    found: dict[str, Any] = next(s for s in envelope["signers"] if s["email"] == email)
    return found


def consented_page(api: Api, link: str) -> None:
    """Consent through the page so the signature form is shown."""
    assert post_form(api, f"{link}/consent", data=CONSENT, follow_redirects=False).status_code == 303


def giant_png(width: int, height: int) -> bytes:
    """A valid PNG declaring ``width`` x ``height`` grey pixels: a few KB on the wire, huge when decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def data_url(png: bytes) -> str:
    """The drawing as the page's canvas sends it."""
    return "data:image/png;base64," + base64.b64encode(png).decode()


class TestForgedForms:
    def test_form_without_the_page_token_is_refused(self, api: Api, smtp: LoopbackSmtpServer) -> None:  # noqa: F811
        """A consent posted without the page's token (a forged cross-site form) is a 403 page; nothing recorded."""
        envelope = send_msa(api)
        link = link_for(smtp, CLIENT)
        response = api.client.post(f"{link}/consent", data=CONSENT, follow_redirects=False)
        assert response.status_code == 403 and "Nothing was recorded" in response.text
        assert response.headers["content-type"].startswith("text/html")
        assert signer_state(api, envelope["id"], CLIENT)["consented_at"] is None
        assert post_form(api, f"{link}/consent", data=CONSENT, follow_redirects=False).status_code == 303

    def test_token_of_another_link_is_refused(self, api: Api, smtp: LoopbackSmtpServer) -> None:  # noqa: F811
        """A token minted for one signer's link does not work on another signer's link, even with the cookie."""
        envelope = send_msa(api, signers=PARALLEL)
        mine, theirs = link_for(smtp, CLIENT), link_for(smtp, OTHER)
        secret = "k" * 43
        api.client.cookies.set(COOKIE, secret)
        stolen = issue_form_token(secret, mine.removeprefix("/sign/"))
        response = api.client.post(f"{theirs}/consent", data={**CONSENT, "csrf": stolen}, follow_redirects=False)
        assert response.status_code == 403
        assert signer_state(api, envelope["id"], OTHER)["consented_at"] is None

    def test_every_form_on_the_page_carries_a_fresh_token(self, api: Api, smtp: LoopbackSmtpServer) -> None:  # noqa: F811
        """Each page view issues its own token, and the cookie that backs it is HttpOnly, SameSite=Strict."""
        send_msa(api)
        link = link_for(smtp, CLIENT)
        api.client.cookies.clear()
        first = api.client.get(link)
        cookie = first.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and f"Path={link}" in cookie
        assert form_token(api, link) != form_token(api, link)


class TestSignatureForm:
    def test_name_with_a_direction_override_is_refused(self, api: Api, smtp: LoopbackSmtpServer) -> None:  # noqa: F811
        """A typed name with a right-to-left override (which prints as another name) is a 422 page; not signed."""
        envelope = send_msa(api)
        link = link_for(smtp, CLIENT)
        consented_page(api, link)
        form = {"full_name": "Dana \u202euW", "title": "Owner", "attest": "yes", "method": "typed"}
        response = post_form(api, f"{link}/sign", data=form)
        assert response.status_code == 422 and "text-direction" in response.text
        assert signer_state(api, envelope["id"], CLIENT)["status"] == "invited"

    def test_giant_drawing_is_refused_before_decoding(self, api: Api, smtp: LoopbackSmtpServer) -> None:  # noqa: F811
        """A 12000 x 12000 px drawing of a few KB is a 422 page naming its size; the signer has not signed."""
        envelope = send_msa(api)
        link = link_for(smtp, CLIENT)
        consented_page(api, link)
        form = {"full_name": "Dana Wu", "title": "Owner", "attest": "yes", "method": "drawn"}
        response = post_form(api, f"{link}/sign", data={**form, "signature": data_url(giant_png(12000, 12000))})
        assert response.status_code == 422 and "12000 x 12000 pixels" in response.text
        assert signer_state(api, envelope["id"], CLIENT)["status"] == "invited"

    def test_drawing_is_stored_re_encoded_within_the_stamp_box(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """A 2400 x 540 canvas with trailing bytes is accepted and stored as our own smaller PNG."""
        envelope = send_msa(api, signers=PARALLEL[:1])
        link = link_for(smtp, CLIENT)
        consented_page(api, link)
        image = Image.new("RGBA", (2400, 540), (0, 0, 0, 0))
        ImageDraw.Draw(image).line([(20, 500), (2300, 40)], fill=(10, 20, 90, 255), width=12)
        raw = io.BytesIO()
        image.save(raw, "PNG")
        form = {"full_name": "Dana Wu", "title": "Owner", "attest": "yes", "method": "drawn"}
        response = post_form(api, f"{link}/sign", data={**form, "signature": data_url(raw.getvalue() + b"junk")})
        assert response.status_code == 200, response.text
        stored = runtime_signature(runtime, envelope["id"])
        with Image.open(io.BytesIO(stored)) as kept:
            assert kept.size[0] <= 1200 and kept.size[1] <= 400 and kept.mode == "RGBA"
        assert not stored.endswith(b"junk")

    def test_decline_reason_with_an_override_is_refused(self, api: Api, smtp: LoopbackSmtpServer) -> None:  # noqa: F811
        """A decline reason carrying a direction override is a 422 page and the envelope stays open."""
        envelope = send_msa(api)
        link = link_for(smtp, CLIENT)
        response = post_form(api, f"{link}/decline", data={"reason": "Too costly \u202eeerga I"})
        assert response.status_code == 422 and "text-direction" in response.text
        assert api.get(f"/v1/envelopes/{envelope['id']}").json()["status"] == "sent"


class TestForwardedFor:
    def test_forwarded_for_is_believed_only_from_trusted_proxies(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """From 127.0.0.1 untrusted, X-Forwarded-For is ignored; once 127.0.0.1 is a trusted proxy, it is used."""
        envelope = send_msa(api, signers=PARALLEL)
        local = TestClient(api.client.app, client=("127.0.0.1", 50000))
        forged = {"X-Forwarded-For": "198.51.100.7"}
        local.get(link_for(smtp, CLIENT), headers=forged)
        runtime.settings = runtime.settings.model_copy(
            update={"server": runtime.settings.server.model_copy(update={"trusted_proxies": ["127.0.0.1/32"]})}
        )
        local.get(link_for(smtp, OTHER), headers=forged)
        events = api.get(f"/v1/envelopes/{envelope['id']}").json()["events"]
        by_signer = {s["id"]: s["email"] for s in api.get(f"/v1/envelopes/{envelope['id']}").json()["signers"]}
        opened = {by_signer[e["signer_id"]]: e["ip"] for e in events if e["action"] == "signer.opened"}
        assert opened == {CLIENT: "127.0.0.1", OTHER: "198.51.100.7"}


def runtime_signature(runtime: Runtime, envelope_id: str) -> bytes:
    """Return the stored drawn signature of the envelope's first signer."""
    with unit_of_work(runtime.sessions) as session:
        envelope = SqlEnvelopeRepository(session).get(envelope_id)
        assert envelope is not None
        png = envelope.signers[0].signature_png
        assert png is not None
        return png
