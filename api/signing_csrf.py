"""Cross-site request forgery protection for the signing forms: a per-page token bound to the link.

The signing link is the signer's only credential, so a page on another site that knows (or
guesses from a leaked e-mail) a link must not be able to make the signer's browser consent, sign
or decline. Each signing page sets a random browser secret in a cookie scoped to that link's path
(``HttpOnly``, ``SameSite=Strict``: other sites can neither read it nor send it), and every form
on the page carries ``nonce.mac`` where ``mac = HMAC-SHA256(secret, nonce | link hash)``. A POST is
accepted only when the form's token matches the cookie of the same link. Nothing is stored on
the server, and a token from one link is worthless on another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Annotated

from fastapi import Depends, Request, Response

from domain.envelopes import hash_token

COOKIE = "undersign_form"
FIELD = "csrf"
_SECRET = re.compile(r"[A-Za-z0-9_-]{43}")
_MAX_AGE = 24 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _mac(secret: str, nonce: str, link_token: str) -> str:
    message = f"{nonce}|{hash_token(link_token)}".encode()
    return _b64(hmac.new(secret.encode(), message, hashlib.sha256).digest())


def issue_form_token(secret: str, link_token: str) -> str:
    """Return a fresh form token for ``link_token`` under the browser secret ``secret``."""
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{_mac(secret, nonce, link_token)}"


class SigningFormGuard:
    """Issues form tokens for one request's pages and checks the token a form sent back."""

    def __init__(self, request: Request) -> None:
        cookie = request.cookies.get(COOKIE, "")
        self._secret = cookie if _SECRET.fullmatch(cookie) else None
        self._fresh = self._secret is None
        self._https = request.url.scheme == "https"

    def token_for(self, link_token: str) -> str:
        """Return a new form token for a page of ``link_token`` (setting up the browser secret if needed)."""
        if self._secret is None:
            self._secret = secrets.token_urlsafe(32)
        return issue_form_token(self._secret, link_token)

    def accepts(self, link_token: str, submitted: str) -> bool:
        """Return whether ``submitted`` was issued with this browser's secret for ``link_token``."""
        if self._fresh or self._secret is None:
            return False
        nonce, _, mac = submitted.partition(".")
        if not nonce or not mac:
            return False
        return hmac.compare_digest(mac, _mac(self._secret, nonce, link_token))

    def set_cookie(self, response: Response, link_token: str, *, framed: bool = False) -> None:
        """Give the browser its secret for this link (only when the request did not bring a valid one).

        An embedded link's pages live in a frame of the MSP's portal, which is usually another site: a
        ``SameSite=Strict`` cookie would never come back from there. Over HTTPS its cookie is therefore
        ``SameSite=None; Secure; Partitioned``: sent from that frame only, kept apart per top-level site
        (CHIPS), so a page of any other site still cannot send it. The form token check is the same.
        """
        if self._fresh and self._secret is not None:
            cross_site = framed and self._https
            response.set_cookie(
                COOKIE,
                self._secret,
                max_age=_MAX_AGE,
                path=f"/sign/{link_token}",
                httponly=True,
                samesite="none" if cross_site else "strict",
                secure=self._https,
                partitioned=cross_site,
            )


FormGuardDep = Annotated[SigningFormGuard, Depends(SigningFormGuard)]
