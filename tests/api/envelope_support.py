"""Helpers for the envelope tests: send a document, read links and codes from the loopback SMTP server."""

from __future__ import annotations

import io
import re
from email.message import Message
from typing import Any

from PIL import Image, ImageDraw

from domain.roles import Role
from tests.api.test_documents import create_msa, make_client, sample
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer

LINK = re.compile(r"https?://[^\s/]+(/sign/[A-Za-z0-9_\-]+)")
# The code mail in English or in French ("Votre code à usage unique ... est 123456.").
CODE = re.compile(r"(?:one-time code .* is|code à usage unique .* est) (\d{6})\.")


def send_msa(api: Api, signers: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    """Create a client and an MSA, send it for signature, and return the envelope body."""
    client_id = make_client(api)
    document = create_msa(api, client_id, sample("msa/msa", "us-tx-monthly"))
    assert document.status_code == 201, document.text
    body = {
        "document_id": document.json()["id"],
        "version": 1,
        "signers": signers
        or [
            {
                "name": "Dana Wu",
                "email": "dana@northwind.example",
                "title": "Office Manager",
                "role": "client",
                "order": 1,
            },
            {"name": "Sam Provider", "email": "sam@msp.example", "title": "Director", "role": "msp", "order": 2},
        ],
        "message": "Please sign the MSA.",
        **extra,
    }
    created = api.post("/v1/envelopes", role=Role.SALES, json=body)
    assert created.status_code == 201, created.text
    envelope: dict[str, Any] = created.json()
    return envelope


def text_of(message: Message) -> str:
    """Return the plain-text body of a received message."""
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode()
    return ""


def mails_to(smtp: LoopbackSmtpServer, address: str) -> list[Message]:
    """Return every message received for ``address``, oldest first."""
    return [m.message for m in smtp.received if address in m.recipients]


def link_for(smtp: LoopbackSmtpServer, address: str) -> str:
    """Return the path of the newest signing link mailed to ``address``."""
    for message in reversed(mails_to(smtp, address)):
        found = LINK.search(text_of(message))
        if found:
            return found.group(1)
    raise AssertionError(f"no signing link was mailed to {address}")


def code_from(message: Message) -> str:
    """Return the one-time code from the body of a code mail (the Subject never carries it)."""
    found = CODE.search(text_of(message))
    assert found, text_of(message)
    assert found.group(1) not in str(message["Subject"])
    return found.group(1)


def attachment(message: Message) -> bytes | None:
    """Return the first attachment of ``message``."""
    for part in message.walk():
        if part.get_filename():
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload
    return None


def drawn_png() -> bytes:
    """A scribble like the canvas produces."""
    image = Image.new("RGBA", (400, 120), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 100), (90, 20), (200, 110), (390, 30)], fill=(10, 20, 90, 255), width=5)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def form_token(api: Api, link: str, headers: dict[str, str] | None = None) -> str:
    """Open the signing page at ``link`` as a browser would and return its forms' anti-forgery token."""
    page = api.client.get(link, headers=headers)
    found = CSRF_FIELD.search(page.text)
    assert found, page.text
    return found.group(1)


def post_form(api: Api, url: str, data: dict[str, str] | None = None, **kwargs: Any) -> Any:
    """Submit a signing-page form to ``url`` the way the page does: opened first, its token sent back."""
    link = "/".join(url.split("/")[:3])  # /sign/<token>
    # The page is opened by the same browser (same headers, e.g. User-Agent) that then submits its form.
    token = form_token(api, link, headers=kwargs.get("headers"))
    return api.client.post(url, data={**(data or {}), "csrf": token}, **kwargs)
